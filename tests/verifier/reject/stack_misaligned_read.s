# A 4-byte stack read at fp-6 after the slot is written.
# error: misaligned stack access off
# errno: EACCES
stdw [%r10-8], 0
ldxw %r0, [%r10-6]
mov %r0, 2
exit
