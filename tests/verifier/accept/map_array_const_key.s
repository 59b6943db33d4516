# maps: m array 4 8 1
# An ARRAY lookup with a constant key below max_entries cannot return NULL:
# the kernel types r0 as map_value, and the value is used without a check.
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
ldxw %r1, [%r0+4]
mov %r0, 2
exit
