# maps: m array 4 8 1
# A write one byte before the value.
# error: invalid access to map value, value_size=8 off=-1 size=1
# errno: EACCES
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
stb [%r0-1], 0
out:
mov %r0, 2
exit
