# A constant spilled and filled stays a constant: it bounds a packet check.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r5, 14
stxdw [%r10-8], %r5
ldxdw %r5, [%r10-8]
mov %r4, %r2
add %r4, %r5
jgt %r4, %r3, out
ldxb %r0, [%r2+13]
out:
mov %r0, 2
exit
