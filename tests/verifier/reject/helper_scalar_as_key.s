# maps: m array 4 8 1
# A scalar passed as the key.
# error: R2 type=scalar expected=fp
# errno: EACCES
lddw %r1, map:m
mov %r2, 0
call 1
mov %r0, 2
exit
