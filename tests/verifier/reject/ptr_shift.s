# A shift of the context pointer.
# error: R1 pointer arithmetic with <<= operator prohibited
# errno: EACCES
lsh %r1, 1
mov %r0, 2
exit
