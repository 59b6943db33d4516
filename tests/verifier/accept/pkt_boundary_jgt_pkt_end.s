# data+14 > data_end goes out: falls through with data+14 <= data_end: bytes [0, 14) are proven, the last one (13) is read.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxb %r0, [%r2+13]
out:
mov %r0, 2
exit
