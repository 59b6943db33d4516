# A loop counted 0..100.
mov %r0, 0
mov %r6, 0
l:
add %r0, %r6
add %r6, 1
jlt %r6, 100, l
mov %r0, 2
exit
