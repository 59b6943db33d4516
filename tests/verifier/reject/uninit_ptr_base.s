# A load through an uninitialised base register.
# error: R3 !read_ok
# errno: EACCES
ldxw %r0, [%r3+0]
exit
