# maps: m array 4 8 1
# A signed offset that can reach -2^31: the pointer arithmetic itself is refused.
# error: value -2147483648 makes map_value pointer be out of bounds
# errno: EINVAL
ldxw %r6, [%r1+16]           # rx_queue_index
lsh %r6, 32
arsh %r6, 32                  # sign-extended: -2^31..2^31-1
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
