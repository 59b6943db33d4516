# bpf_csum_diff's from_size is not bounded.
# error: R2 unbounded memory access, use 'var &= const' or 'if (var < const)'
# errno: EACCES
ldxw %r2, [%r1+12]
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28                      # bpf_csum_diff
mov %r0, 2
exit
