# A write 520 bytes below the frame pointer.
# error: invalid write to stack R10 off=-520 size=8
# errno: EACCES
stdw [%r10-520], 0
mov %r0, 2
exit
