# A loop whose state never changes.
# error: infinite loop detected
# errno: EINVAL
mov %r0, 2
mov %r1, 0
l:
jeq %r1, 0, l
exit
