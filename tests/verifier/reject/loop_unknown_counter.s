# The loop counter starts from an unknown value and only moves up:
# the verifier walks it until the complexity limit.
# error: BPF program is too large. Processed 1000001 insn
# errno: E2BIG
ldxw %r6, [%r1+12]
l:
add %r6, 1
jlt %r6, 1000000000, l
mov %r0, 2
exit
