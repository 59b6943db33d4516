# maps: m array 4 8 1 rdonly_prog
# A program writes into a BPF_F_RDONLY_PROG map's value.
# error: write into map forbidden, value_size=8 off=0 size=4
# errno: EACCES
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
stw [%r0+0], 1
out:
mov %r0, 2
exit
