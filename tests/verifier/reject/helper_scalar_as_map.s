# A scalar passed where the helper needs a map.
# error: R1 type=scalar expected=map_ptr
# errno: EACCES
stw [%r10-4], 0
mov %r1, 0
mov %r2, %r10
add %r2, -4
call 1
mov %r0, 2
exit
