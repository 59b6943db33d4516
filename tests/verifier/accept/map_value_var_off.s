# maps: m array 4 8 1
# A variable offset bounded to 0..4 and a 4-byte access: at most byte 7.
ldxw %r6, [%r1+16]
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
jgt %r6, 4, out
add %r0, %r6
ldxw %r1, [%r0+0]
out:
mov %r0, 2
exit
