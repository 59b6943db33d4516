# data_end >= data+14 jumps to the access: bytes [0, 14) are proven, the last one (13) is read.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r2
add %r4, 14
jge %r3, %r4, ok
mov %r0, 2
exit
ok:
ldxb %r0, [%r2+13]
mov %r0, 2
exit
