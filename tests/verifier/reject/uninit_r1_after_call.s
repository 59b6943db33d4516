# A helper call clobbers r1-r5.
# error: R1 !read_ok
# errno: EACCES
call 5                       # bpf_ktime_get_ns
mov %r0, %r1
exit
