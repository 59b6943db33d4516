# bpf_csum_diff's from_size is negative.
# error: R2 min value is negative, either use unsigned or 'var &= const'
# errno: EACCES
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
mov %r2, -8
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28                      # bpf_csum_diff
mov %r0, 2
exit
