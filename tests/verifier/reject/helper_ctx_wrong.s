# bpf_xdp_adjust_head needs the context, gets the frame pointer.
# error: R1 type=fp expected=ctx
# errno: EACCES
mov %r1, %r10
mov %r2, 0
call 44
mov %r0, 2
exit
