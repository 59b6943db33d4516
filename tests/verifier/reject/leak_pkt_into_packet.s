# kernel-caps: unpriv
# A packet pointer is written into the packet.
# error: R2 leaks addr into packet
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, out
stxdw [%r2+0], %r2
out:
mov %r0, 2
exit
