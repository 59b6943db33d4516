# maps: m hash 4 8 16
# A copy of the lookup's result is dereferenced without a NULL check.
# error: R6 invalid mem access 'map_value_or_null'
# errno: EACCES
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
mov %r6, %r0
stw [%r6+0], 1
mov %r0, 2
exit
