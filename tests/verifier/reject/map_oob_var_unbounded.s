# maps: m array 4 8 1
# A variable offset with no bound at all.
# error: R0 unbounded memory access, make sure to bounds check any such access
# errno: EACCES
ldxw %r6, [%r1+16]           # rx_queue_index
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
add %r0, %r6
ldxb %r1, [%r0+0]
out:
mov %r0, 2
exit
