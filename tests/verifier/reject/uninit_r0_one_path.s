# r0 is set on one path to exit only.
# error: R0 !read_ok
# errno: EACCES
ldxw %r2, [%r1+12]
jeq %r2, 1, skip
mov %r0, 2
skip:
exit
