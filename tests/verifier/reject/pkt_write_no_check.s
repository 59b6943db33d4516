# Writes the first packet byte without a bounds check.
# error: invalid access to packet
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
stb [%r2+0], 0
mov %r0, 2
exit
