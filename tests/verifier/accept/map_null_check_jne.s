# maps: m hash 4 8 16
# The NULL check as "jne r0, 0": the access is on the jump's branch.
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jne %r0, 0, found
mov %r0, 2
exit
found:
ldxdw %r1, [%r0+0]
mov %r0, 2
exit
