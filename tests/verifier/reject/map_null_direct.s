# maps: m hash 4 8 16
# The lookup's result is dereferenced without a NULL check.
# error: R0 invalid mem access 'map_value_or_null'
# errno: EACCES
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
ldxw %r1, [%r0+0]
mov %r0, 2
exit
