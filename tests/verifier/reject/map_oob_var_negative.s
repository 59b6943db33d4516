# maps: m array 4 8 1
# A signed offset in -128..4 (bounded only from above) can be negative.
# error: R0 min value is negative, either use unsigned index or do a if (index >=0) check.
# errno: EACCES
ldxw %r6, [%r1+16]           # rx_queue_index
and %r6, 0xff
sub %r6, 128                 # -128..127
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
jsgt %r6, 4, out
add %r0, %r6
ldxb %r1, [%r0+0]
out:
mov %r0, 2
exit
