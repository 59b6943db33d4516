# 320 + 256 bytes of stack in two frames, over the combined 512.
# error: combined stack size of 2 calls is
# errno: EACCES
stdw [%r10-320], 0
call local sub
mov %r0, 2
exit
sub:
stdw [%r10-256], 0
mov %r0, 0
exit
