# The caller passes a pointer to its stack; the callee reads through it.
stdw [%r10-8], 42
mov %r1, %r10
add %r1, -8
call local sub
mov %r0, 2
exit
sub:
ldxdw %r0, [%r1+0]
exit
