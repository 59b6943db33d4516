# The simplest infinite loop.
# error: infinite loop detected at insn 1
# errno: EINVAL
mov %r0, 2
l:
ja l
