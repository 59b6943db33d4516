# maps: cfg array 4 8 1
# A direct value address (BPF_PSEUDO_MAP_VALUE) read past the value.
# error: invalid access to map value, value_size=8 off=8 size=4
# errno: EACCES
lddw %r1, map_value:cfg+0
ldxw %r0, [%r1+8]
mov %r0, 2
exit
