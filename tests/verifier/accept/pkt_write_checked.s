# A write to the packet inside the proven range (XDP may write packets).
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
stb [%r2+0], 0xff
mov %r5, 7
stxh [%r2+12], %r5
mov %r0, 3                   # XDP_TX
exit
out:
mov %r0, 2
exit
