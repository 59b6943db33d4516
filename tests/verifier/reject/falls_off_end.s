# The last instruction is not exit or a jump: one path runs off the end.
# error: last insn is not an exit or jmp
# uebpf-error: execution falls off the end of the program
# errno: EINVAL
mov %r0, 2
jeq %r1, 0, +1
exit
mov %r0, 1
