# bpf_skb_load_bytes exists, but not for XDP programs.
# error: program of this type cannot use helper bpf_skb_load_bytes#26
# uebpf-error: bpf_skb_load_bytes#26
# errno: EINVAL
mov %r2, 0
mov %r3, %r10
add %r3, -8
mov %r4, 4
call 26
mov %r0, 2
exit
