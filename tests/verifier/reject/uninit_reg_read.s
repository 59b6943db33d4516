# r2 is never written before it is read.
# error: R2 !read_ok
# errno: EACCES
mov %r0, %r2
exit
