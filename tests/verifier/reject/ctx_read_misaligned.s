# A 4-byte read at offset 2.
# error: invalid bpf_context access off=2 size=4
# errno: EACCES
ldxw %r2, [%r1+2]
mov %r0, 2
exit
