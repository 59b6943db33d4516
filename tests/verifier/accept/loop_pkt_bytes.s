# A loop over the first 16 packet bytes, each access checked.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r6, 0
mov %r7, 0
l:
mov %r4, %r2
add %r4, %r6
mov %r5, %r4
add %r5, 1
jgt %r5, %r3, out
ldxb %r8, [%r4+0]
add %r7, %r8
add %r6, 1
jlt %r6, 16, l
out:
mov %r0, 2
exit
