# maps: m array 4 8 1
# An induction variable compared to a constant indexes a map value.
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
mov %r6, 0
l:
mov %r2, %r0
add %r2, %r6
stb [%r2+0], 0
add %r6, 1
jlt %r6, 8, l
out:
mov %r0, 2
exit
