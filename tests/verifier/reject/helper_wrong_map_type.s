# maps: m array 4 8 1
# bpf_redirect_map with an ARRAY map.
# error: cannot pass map_type 2 into func bpf_redirect_map#51
# errno: EINVAL
lddw %r1, map:m
mov %r2, 0
mov %r3, 0
call 51
exit
