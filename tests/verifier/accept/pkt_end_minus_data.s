# data_end - data is a scalar (the packet length) for a privileged loader.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r3
sub %r4, %r2
jlt %r4, 64, out
mov %r0, 1                   # XDP_DROP
exit
out:
mov %r0, 2
exit
