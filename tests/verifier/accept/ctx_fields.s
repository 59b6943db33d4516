# Every xdp_md field a program not attached to a devmap may read.
ldxw %r2, [%r1+0]            # data
ldxw %r3, [%r1+4]            # data_end
ldxw %r4, [%r1+8]            # data_meta
ldxw %r5, [%r1+12]           # ingress_ifindex
ldxw %r6, [%r1+16]           # rx_queue_index
mov %r0, 2
exit
