# bpf_xdp_adjust_head invalidates every packet pointer: r6 is stale.
# error: R6 invalid mem access 'scalar'
# errno: EACCES
ldxw %r2, [%r1+0]            # r2 = data
ldxw %r3, [%r1+4]            # r3 = data_end
mov %r6, %r2
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
mov %r2, 0
call 44                      # bpf_xdp_adjust_head(ctx, 0)
ldxb %r0, [%r6+0]
out:
mov %r0, 2
exit
