# maps: m hash 4 8 16
# Two lookups; only the first result is checked, the second is used.
# error: R7 invalid mem access 'map_value_or_null'
# errno: EACCES
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
mov %r6, %r0
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
mov %r7, %r0
jeq %r6, 0, out
ldxw %r1, [%r7+0]
out:
mov %r0, 2
exit
