# xdp_md is read-only: a store into data.
# error: invalid bpf_context access off=0 size=4
# errno: EACCES
mov %r2, 0
stxw [%r1+0], %r2
mov %r0, 2
exit
