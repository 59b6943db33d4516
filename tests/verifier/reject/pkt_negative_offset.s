# A checked packet pointer read below data (offset -1).
# error: invalid access to packet
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxb %r0, [%r2-1]
out:
mov %r0, 2
exit
