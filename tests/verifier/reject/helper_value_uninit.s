# maps: m array 4 8 1
# bpf_map_update_elem's value points at uninitialised stack.
# kernel-caps: unpriv
# (a loader with CAP_PERFMON may read uninitialised stack; libuebpf never lets it)
# error: invalid read from stack R3 off=-16 size=8
# errno: EACCES
stw [%r10-4], 0
lddw %r1, map:m
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2                       # bpf_map_update_elem
mov %r0, 2
exit
