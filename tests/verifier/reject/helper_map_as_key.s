# maps: m array 4 8 1
# The map pointer passed as the key.
# error: R2 type=map_ptr expected=fp
# errno: EACCES
lddw %r1, map:m
lddw %r2, map:m
call 1
mov %r0, 2
exit
