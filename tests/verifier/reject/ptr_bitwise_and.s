# A mask applied to a packet pointer.
# error: R2 bitwise operator &= on pointer prohibited
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
and %r2, 0xff
mov %r0, 2
exit
