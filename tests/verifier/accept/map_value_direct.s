# maps: cfg array 4 8 1
# A direct value address (BPF_PSEUDO_MAP_VALUE) read inside the value.
lddw %r1, map_value:cfg+4
ldxw %r0, [%r1+0]
mov %r0, 2
exit
