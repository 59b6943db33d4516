# maps: m array 4 8 1
# The 4-byte key would start 2 bytes below the frame pointer.
# error: invalid read from stack R2 off=-2 size=4
# errno: EINVAL
lddw %r1, map:m
mov %r2, %r10
add %r2, -2
call 1
mov %r0, 2
exit
