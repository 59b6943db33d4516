# A one-byte read of ingress_ifindex: XDP fields are read as 4 bytes only.
# error: invalid bpf_context access off=12 size=1
# errno: EACCES
ldxb %r2, [%r1+12]
mov %r0, 2
exit
