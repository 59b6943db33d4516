# data_end <= data+14 goes out: falls through with data+14 < data_end: bytes [0, 15) are proven, the last one (14) is read.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r2
add %r4, 14
jle %r3, %r4, out
ldxb %r0, [%r2+14]
out:
mov %r0, 2
exit
