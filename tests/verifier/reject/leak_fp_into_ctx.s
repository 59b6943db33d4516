# kernel-caps: unpriv
# The frame pointer is stored into the context.
# error: R10 leaks addr into ctx
# errno: EACCES
stxw [%r1+12], %r10
mov %r0, 2
exit
