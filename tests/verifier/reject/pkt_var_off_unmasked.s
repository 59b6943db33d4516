# An unbounded (32-bit) offset added to data: the later check proves nothing.
# error: invalid access to packet
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
ldxw %r5, [%r1+12]           # ingress_ifindex: any u32
add %r2, %r5
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r0, [%r2+0]
out:
mov %r0, 2
exit
