# r10 is moved.
# error: frame pointer is read only
# uebpf-error: frame pointer r10 is read-only
# errno: EACCES
add %r10, -8
mov %r0, 2
exit
