# The context pointer spilled and filled, then dereferenced.
stxdw [%r10-8], %r1
mov %r1, 0
ldxdw %r1, [%r10-8]
ldxw %r2, [%r1+12]
mov %r0, 2
exit
