# A jump past the end of the program.
# error: jump out of range
# errno: EINVAL
mov %r0, 2
ja +5
exit
