# data is a 32-bit field: an 8-byte read.
# error: invalid bpf_context access off=0 size=8
# errno: EACCES
ldxdw %r2, [%r1+0]
mov %r0, 2
exit
