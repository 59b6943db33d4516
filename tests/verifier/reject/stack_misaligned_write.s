# An 8-byte stack write at fp-7.
# error: misaligned stack access off
# errno: EACCES
stdw [%r10-7], 0
mov %r0, 2
exit
