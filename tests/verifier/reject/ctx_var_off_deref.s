# The context pointer moved by a variable amount.
# error: variable ctx access var_off=
# errno: EACCES
ldxw %r2, [%r1+12]
and %r2, 4
add %r1, %r2
ldxw %r0, [%r1+0]
mov %r0, 2
exit
