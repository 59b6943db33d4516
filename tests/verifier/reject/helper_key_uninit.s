# maps: m array 4 8 1
# The lookup key points at stack nothing wrote.
# kernel-caps: unpriv
# (a loader with CAP_PERFMON may read uninitialised stack; libuebpf never lets it)
# error: invalid read from stack R2 off=-4 size=4
# errno: EACCES
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
call 1
mov %r0, 2
exit
