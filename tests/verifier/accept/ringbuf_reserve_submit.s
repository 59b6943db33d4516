# maps: rb ringbuf 0 0 4096
# A record reserved, written and submitted.
lddw %r1, map:rb
mov %r2, 8
mov %r3, 0
call 131                     # bpf_ringbuf_reserve
jeq %r0, 0, out
stdw [%r0+0], 1
mov %r1, %r0
mov %r2, 0
call 132                     # bpf_ringbuf_submit
out:
mov %r0, 2
exit
