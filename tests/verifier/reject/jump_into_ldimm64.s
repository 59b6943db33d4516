# A jump to the second half of a 16-byte ld_imm64.
# error: jump into the middle of ldimm64 insn 1
# uebpf-error: goes into the middle of ld_imm64 at pc 1
# errno: EINVAL
jeq %r1, 0, +1               # falls into the ld_imm64 or jumps into its middle
lddw %r0, 0x100000002
mov %r0, 2
exit
