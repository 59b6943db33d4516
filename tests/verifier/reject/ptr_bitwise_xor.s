# xor on the frame pointer's copy.
# error: R1 bitwise operator ^= on pointer prohibited
# errno: EACCES
mov %r1, %r10
xor %r1, 1
mov %r0, 2
exit
