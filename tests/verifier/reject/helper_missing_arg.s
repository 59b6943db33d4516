# maps: m array 4 8 1
# bpf_map_update_elem is called with r3 and r4 never set.
# error: R3 !read_ok
# errno: EACCES
stw [%r10-4], 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 2
mov %r0, 2
exit
