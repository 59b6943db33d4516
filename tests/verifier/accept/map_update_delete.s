# maps: h hash 4 8 16
# Key and value on the stack, passed to update, lookup and delete.
stw [%r10-4], 7
stdw [%r10-16], 0
lddw %r1, map:h
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2                       # bpf_map_update_elem
lddw %r1, map:h
mov %r2, %r10
add %r2, -4
call 3                       # bpf_map_delete_elem
mov %r0, 2
exit
