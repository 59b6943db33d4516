# r10 is assigned.
# error: frame pointer is read only
# uebpf-error: frame pointer r10 is read-only
# errno: EACCES
mov %r10, 0
mov %r0, 2
exit
