# data_meta + 4 <= data proves 4 bytes of metadata; the read at 4 is past them.
# error: invalid access to packet
# errno: EACCES
ldxw %r2, [%r1+8]            # r2 = data_meta
ldxw %r3, [%r1+0]            # r3 = data
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxb %r0, [%r2+4]
out:
mov %r0, 2
exit
