# maps: m array 4 8 1
# kernel-caps: unpriv
# The frame pointer is stored into a map value.
# error: R10 leaks addr into map
# errno: EACCES
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
stxdw [%r0+0], %r10
out:
mov %r0, 2
exit
