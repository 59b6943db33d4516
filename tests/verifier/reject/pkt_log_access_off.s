# The log names the access's offset in the register part too, as the kernel
# prints it (off twice, not the register's own fixed offset): a read of
# byte 12 after proving only byte 0 (xdp-tutorial packet01's mistake).
# error: invalid access to packet, off=12 size=1, R2(id=0,off=12,r=1)
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r0, [%r2+12]
out:
mov %r0, 2
exit
