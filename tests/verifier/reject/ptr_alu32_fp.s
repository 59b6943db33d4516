# 32-bit arithmetic on a copy of the frame pointer.
# error: R1 32-bit pointer arithmetic prohibited
# errno: EACCES
mov %r1, %r10
add32 %r1, -8
mov %r0, 2
exit
