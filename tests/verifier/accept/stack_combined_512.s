# 256 + 256 bytes of stack in two frames: the combined limit exactly.
stdw [%r10-256], 0
call local sub
mov %r0, 2
exit
sub:
stdw [%r10-256], 0
mov %r0, 0
exit
