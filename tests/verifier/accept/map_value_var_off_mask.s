# maps: m array 4 8 1
# A variable offset masked to 0..7 and a one-byte access.
ldxw %r6, [%r1+16]
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
and %r6, 7
add %r0, %r6
stb [%r0+0], 1
out:
mov %r0, 2
exit
