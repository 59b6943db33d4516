# kernel-caps: unpriv
# The frame pointer is the program's return value.
# error: R0 leaks addr as return value
# errno: EACCES
mov %r0, %r10
exit
