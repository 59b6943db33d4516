# BPF_ST (store immediate) into the context.
# error: invalid bpf_context access off=12 size=4
# errno: EACCES
stw [%r1+12], 0
mov %r0, 2
exit
