# bpf_csum_diff reads 16 bytes from an 8-byte stack buffer at fp-8.
# error: invalid read from stack R1 off=-8 size=16
# errno: EINVAL
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
mov %r2, 16
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28                      # bpf_csum_diff
mov %r0, 2
exit
