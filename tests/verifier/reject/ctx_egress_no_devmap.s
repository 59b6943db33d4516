# egress_ifindex exists only for programs attached to a devmap.
# error: invalid bpf_context access off=20 size=4
# errno: EACCES
ldxw %r2, [%r1+20]
mov %r0, 2
exit
