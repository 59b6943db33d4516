# maps: m array 4 8 1
# Arithmetic on the map pointer itself.
# error: R1 pointer arithmetic on map_ptr prohibited
# errno: EACCES
lddw %r1, map:m
add %r1, 8
mov %r0, 2
exit
