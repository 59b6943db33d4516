# maps: rb ringbuf 0 0 4096
# A write past the end of an 8-byte record.
# error: invalid access to memory, mem_size=8 off=8 size=8
# errno: EACCES
lddw %r1, map:rb
mov %r2, 8
mov %r3, 0
call 131                     # bpf_ringbuf_reserve
jeq %r0, 0, out
stdw [%r0+8], 1
mov %r1, %r0
mov %r2, 0
call 132                     # bpf_ringbuf_submit
out:
mov %r0, 2
exit
