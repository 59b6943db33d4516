# A write above the frame pointer.
# error: invalid write to stack R10 off=8 size=8
# errno: EACCES
stdw [%r10+8], 0
mov %r0, 2
exit
