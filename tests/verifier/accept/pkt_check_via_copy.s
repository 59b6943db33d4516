# The check is made on a copy (r4 = data + 14); data itself gains the range,
# and so does a copy taken before the check.
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r5, %r2
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxb %r0, [%r2+13]
ldxb %r0, [%r5+0]
ldxb %r0, [%r4-1]
out:
mov %r0, 2
exit
