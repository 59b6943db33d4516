# maps: m array 4 8 1
# kernel-caps: unpriv
# A map pointer is the program's return value.
# error: R0 leaks addr as return value
# errno: EACCES
lddw %r0, map:m
exit
