# maps: tx devmap 4 4 4
# bpf_redirect_map with a devmap.
lddw %r1, map:tx
mov %r2, 0
mov %r3, 0
call 51
exit
