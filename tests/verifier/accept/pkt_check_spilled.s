# A packet pointer spilled to the stack before the check gains the range too.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
stxdw [%r10-8], %r2
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxdw %r5, [%r10-8]
ldxw %r0, [%r5+10]
out:
mov %r0, 2
exit
