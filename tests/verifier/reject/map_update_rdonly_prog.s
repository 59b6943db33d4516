# A program may not write a map its creator made read-only for programs
# (BPF_F_RDONLY_PROG): update, delete, push and pop are refused by name.
# maps: ro array 4 8 1 rdonly_prog
# error: write into map forbidden
# errno: EACCES
mov %r1, 0
stxw [%r10-4], %r1
stxdw [%r10-16], %r1
lddw %r1, map:ro
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
mov %r0, 2
exit
