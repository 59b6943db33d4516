# maps: m hash 4 8 16
# The NULL check is made on a copy of r0; r0 is then safe as well.
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
mov %r6, %r0
jeq %r6, 0, out
ldxw %r1, [%r0+0]
stw [%r6+4], 1
out:
mov %r0, 2
exit
