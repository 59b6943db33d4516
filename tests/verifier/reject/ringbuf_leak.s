# maps: rb ringbuf 0 0 4096
# A ring buffer record is reserved and never submitted or discarded.
# error: Unreleased reference
# errno: EINVAL
lddw %r1, map:rb
mov %r2, 8
mov %r3, 0
call 131                     # bpf_ringbuf_reserve
jeq %r0, 0, out
stdw [%r0+0], 1
out:
mov %r0, 2
exit
