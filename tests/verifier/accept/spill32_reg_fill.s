# maps: m array 4 8 1
# A 32-bit register spill of the constant 4, filled as 32 bits: value + 4 fits
# a 4-byte access.
mov32 %r5, 4
stxw [%r10-16], %r5
stw [%r10-4], 0              # key = 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1                       # bpf_map_lookup_elem
jeq %r0, 0, out
ldxw %r5, [%r10-16]
add %r0, %r5
ldxw %r1, [%r0+0]
out:
mov %r0, 2
exit
