# A pointer added to a pointer.
# error: R2 pointer += pointer prohibited
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
add %r2, %r3
mov %r0, 2
exit
