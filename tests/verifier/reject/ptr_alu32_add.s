# 32-bit arithmetic on a packet pointer.
# error: R2 32-bit pointer arithmetic prohibited
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
add32 %r2, 1
mov %r0, 2
exit
