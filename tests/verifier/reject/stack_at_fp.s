# A write at the frame pointer itself: the frame is below r10.
# error: invalid write to stack R10 off=0 size=8
# errno: EACCES
stdw [%r10+0], 0
mov %r0, 2
exit
