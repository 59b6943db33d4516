# attach: devmap
# egress_ifindex, readable by a program attached to a devmap.
ldxw %r2, [%r1+20]
mov %r0, 2
exit
