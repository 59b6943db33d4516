# The context pointer moved by 4 and then dereferenced.
# error: dereference of modified ctx ptr R1 off=4 disallowed
# errno: EACCES
add %r1, 4
ldxw %r0, [%r1+0]
mov %r0, 2
exit
