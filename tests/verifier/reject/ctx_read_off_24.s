# Offset 24 is past the end of struct xdp_md.
# error: invalid bpf_context access off=24 size=4
# errno: EACCES
ldxw %r2, [%r1+24]
mov %r0, 2
exit
