# A read before the context.
# error: invalid bpf_context access off=-4 size=4
# errno: EACCES
ldxw %r2, [%r1-4]
mov %r0, 2
exit
