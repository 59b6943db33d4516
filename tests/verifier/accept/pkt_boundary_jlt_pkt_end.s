# data+14 < data_end jumps to the access: bytes [0, 15) are proven, the last one (14) is read.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r2
add %r4, 14
jlt %r4, %r3, ok
mov %r0, 2
exit
ok:
ldxb %r0, [%r2+14]
mov %r0, 2
exit
