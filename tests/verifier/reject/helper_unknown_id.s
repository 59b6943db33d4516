# Helper 9999 does not exist.
# error: invalid func unknown#9999
# uebpf-error: unknown helper id 9999
# errno: EINVAL
call 9999
mov %r0, 2
exit
