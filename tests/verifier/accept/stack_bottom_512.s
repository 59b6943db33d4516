# The lowest stack slot, fp-512, written and read.
stdw [%r10-512], 7
ldxdw %r0, [%r10-512]
mov %r0, 2
exit
