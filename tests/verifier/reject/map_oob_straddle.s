# maps: m array 4 8 1
# An 8-byte load at offset 4 of an 8-byte value.
# error: invalid access to map value, value_size=8 off=4 size=8
# errno: EACCES
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
ldxdw %r1, [%r0+4]
out:
mov %r0, 2
exit
