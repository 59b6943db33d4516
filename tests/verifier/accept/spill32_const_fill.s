# maps: m array 4 8 1
# A 32-bit store of a constant, filled as 32 bits: still known (7), so it
# can index an 8-byte map value.
stw [%r10-16], 7
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
ldxw %r5, [%r10-16]
add %r0, %r5
ldxb %r1, [%r0+0]
out:
mov %r0, 2
exit
