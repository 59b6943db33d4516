# A value masked to 0..15 is never > 100: the uninitialised read is dead.
ldxw %r1, [%r1+12]
and %r1, 15
jgt %r1, 100, bad
mov %r0, 2
exit
bad:
mov %r0, %r9
exit
