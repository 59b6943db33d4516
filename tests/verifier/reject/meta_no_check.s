# Reads data_meta without comparing it against data.
# error: invalid access to packet
# errno: EACCES
ldxw %r2, [%r1+8]            # r2 = data_meta
ldxb %r0, [%r2+0]
mov %r0, 2
exit
