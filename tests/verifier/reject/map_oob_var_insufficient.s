# maps: m array 4 8 1
# offset <= 7 bounds a byte read, not a 4-byte one.
# error: R0 max value is outside of the allowed memory range
# errno: EACCES
ldxw %r6, [%r1+16]           # rx_queue_index
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
jgt %r6, 7, out
add %r0, %r6
ldxw %r1, [%r0+0]
out:
mov %r0, 2
exit
