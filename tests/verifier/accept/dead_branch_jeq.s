# r1 = 2, so "if r1 == 1" never jumps: the unchecked access is dead.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r1, 2
jeq %r1, 1, bad
mov %r0, 2
exit
bad:
ldxb %r0, [%r2+0]
exit
