# A read through a pointer 513 bytes below the frame pointer.
# error: invalid read from stack R1 off=-513 size=1
# errno: EACCES
mov %r1, %r10
add %r1, -513
ldxb %r0, [%r1+0]
mov %r0, 2
exit
