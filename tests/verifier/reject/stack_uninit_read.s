# A read of a stack slot nothing wrote.
# kernel-caps: unpriv
# (a loader with CAP_PERFMON may read uninitialised stack; libuebpf never lets it)
# error: invalid read from stack R10 off=-8 size=8
# errno: EACCES
ldxdw %r0, [%r10-8]
mov %r0, 2
exit
