# A helper call clobbers r5 too, even if it was set before.
# error: R5 !read_ok
# errno: EACCES
mov %r5, 1
call 5                       # bpf_ktime_get_ns
mov %r0, %r5
exit
