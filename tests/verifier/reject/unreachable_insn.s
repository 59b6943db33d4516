# An instruction no path reaches.
# error: unreachable insn 2
# uebpf-error: unreachable instruction at pc 2
# errno: EINVAL
mov %r0, 2
exit
mov %r0, 1
exit
