# The callee writes the caller's stack; the caller reads it afterwards.
mov %r1, %r10
add %r1, -16
call local sub
ldxdw %r0, [%r10-16]
ldxdw %r0, [%r10-8]
mov %r0, 2
exit
sub:
stdw [%r1+0], 1
stdw [%r1+8], 2
mov %r0, 0
exit
