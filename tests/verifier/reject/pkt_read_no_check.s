# Reads the first packet byte without comparing anything against data_end.
# error: invalid access to packet
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
ldxb %r0, [%r2+0]
exit
