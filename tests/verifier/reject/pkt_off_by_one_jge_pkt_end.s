# data+14 >= data_end goes out: falls through with data+14 < data_end: bytes [0, 15) are proven, byte 15 is read.
# error: invalid access to packet
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r2
add %r4, 14
jge %r4, %r3, out
ldxb %r0, [%r2+15]
out:
mov %r0, 2
exit
