# maps: m hash 4 8 16
# The dereference is on the branch where the value is NULL.
# error: R0 invalid mem access 'scalar'
# errno: EACCES
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jne %r0, 0, out
ldxw %r1, [%r0+0]
out:
mov %r0, 2
exit
