# After bpf_xdp_adjust_head the pointers are loaded and checked again.
mov %r6, %r1
mov %r2, 14
call 44                      # bpf_xdp_adjust_head(ctx, 14)
jne %r0, 0, out
ldxw %r2, [%r6+0]
ldxw %r3, [%r6+4]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r0, [%r2+0]
out:
mov %r0, 2
exit
