# xdp_md is read-only: a store into rx_queue_index (only offloaded programs may).
# error: invalid bpf_context access off=16 size=4
# errno: EACCES
mov %r2, 0
stxw [%r1+16], %r2
mov %r0, 2
exit
