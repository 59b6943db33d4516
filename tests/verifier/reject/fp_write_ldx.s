# r10 is the destination of a load.
# error: frame pointer is read only
# uebpf-error: frame pointer r10 is read-only
# errno: EACCES
stdw [%r10-8], 0
ldxdw %r10, [%r10-8]
mov %r0, 2
exit
