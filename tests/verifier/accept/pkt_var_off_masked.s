# A variable offset masked to 0..255, then a check of offset + 4.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
ldxw %r5, [%r1+12]
and %r5, 0xff
add %r2, %r5
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxw %r0, [%r2+0]
out:
mov %r0, 2
exit
