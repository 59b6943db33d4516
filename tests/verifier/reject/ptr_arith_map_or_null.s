# maps: m hash 4 8 16
# Arithmetic on a lookup result before its NULL check.
# error: R0 pointer arithmetic on map_value_or_null prohibited
# errno: EACCES
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
add %r0, 4
mov %r0, 2
exit
