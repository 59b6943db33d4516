# Four bytes of the slot written, eight read.
# kernel-caps: unpriv
# (a loader with CAP_PERFMON may read uninitialised stack; libuebpf never lets it)
# error: invalid read from stack off -8+4 size 8
# errno: EACCES
stw [%r10-8], 0
ldxdw %r0, [%r10-8]
mov %r0, 2
exit
