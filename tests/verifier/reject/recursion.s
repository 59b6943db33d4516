# A subprogram that calls itself: the kernel follows the calls until the
# ninth frame; libuebpf's validator sees the cycle first.
# error: the call stack of 9 frames is too deep
# uebpf-error: recursive call
# errno: E2BIG
call local sub
mov %r0, 2
exit
sub:
call local sub
mov %r0, 0
exit
