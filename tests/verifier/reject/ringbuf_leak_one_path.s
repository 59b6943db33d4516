# maps: rb ringbuf 0 0 4096
# The record is submitted on one path and leaked on the other.
# error: Unreleased reference
# errno: EINVAL
ldxw %r6, [%r1+12]
lddw %r1, map:rb
mov %r2, 8
mov %r3, 0
call 131                     # bpf_ringbuf_reserve
jeq %r0, 0, out
jeq %r6, 1, out
mov %r1, %r0
mov %r2, 0
call 132                     # bpf_ringbuf_submit
out:
mov %r0, 2
exit
