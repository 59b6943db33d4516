# maps: h hash 8 8 16
# Only the upper four of the key's eight bytes are initialised.
# kernel-caps: unpriv
# (a loader with CAP_PERFMON may read uninitialised stack; libuebpf never lets it)
# error: invalid read from stack R2 off -8+0 size 8
# errno: EACCES
stw [%r10-4], 0
lddw %r1, map:h
mov %r2, %r10
add %r2, -8
call 1
mov %r0, 2
exit
