# data_meta must be checked against data; a check against data_end proves nothing.
# error: invalid access to packet
# errno: EACCES
ldxw %r2, [%r1+8]            # r2 = data_meta
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxw %r0, [%r2+0]
out:
mov %r0, 2
exit
