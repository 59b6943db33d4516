# The program exits without setting r0.
# error: R0 !read_ok
# errno: EACCES
mov %r1, 0
exit
