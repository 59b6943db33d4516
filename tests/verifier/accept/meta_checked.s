# data_meta + 4 <= data proves four bytes of metadata.
ldxw %r2, [%r1+8]            # r2 = data_meta
ldxw %r3, [%r1+0]            # r3 = data
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxw %r0, [%r2+0]
out:
mov %r0, 2
exit
