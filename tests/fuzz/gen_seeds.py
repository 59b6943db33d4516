#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed inputs of fuzz_prog into tests/fuzz/seeds/.

Input layout (see tests/fuzz/fuzz_prog.c): byte 0 = buffer length (bits 0-6,
mod 65) and "buffer from input" (bit 7), byte 1 = repair flags, then the
buffer bytes if bit 7 is set, then struct bpf_insn[] (8 bytes each, little
endian: code, dst|src<<4, off s16, imm s32).

Run from anywhere: python3 tests/fuzz/gen_seeds.py
"""
import os
import struct

FLAG_EXIT, FLAG_JUMPS, FLAG_REGS, FLAG_FIELDS, FLAG_MEM, FLAG_TWICE, FLAG_LOG, FLAG_ODD = (
    1 << i for i in range(8))
ALL_FIXES = FLAG_EXIT | FLAG_JUMPS | FLAG_REGS | FLAG_FIELDS | FLAG_MEM

# opcode pieces (linux/bpf.h)
LD, LDX, ST, STX, ALU, JMP, JMP32, ALU64 = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
W, H, B, DW = 0x00, 0x08, 0x10, 0x18
IMM, MEM, ATOMIC, MEMSX = 0x00, 0x60, 0xc0, 0x80
K, X = 0x00, 0x08
ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR, MOV, ARSH, END = (
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0)
JA, JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE, CALL, EXIT, JLT, JLE, JSLT, JSLE = (
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0)
FETCH, XCHG, CMPXCHG = 0x01, 0xe0 | 0x01, 0xf0 | 0x01
PSEUDO_CALL, PSEUDO_FUNC = 1, 4


def insn(code, dst=0, src=0, off=0, imm=0):
    return struct.pack("<BBhi", code, dst | (src << 4), off, imm)


def mov(dst, imm):
    return insn(ALU64 | MOV | K, dst, imm=imm)


def movx(dst, src, off=0):
    return insn(ALU64 | MOV | X, dst, src, off)


def alu(op, dst, imm, cls=ALU64):
    return insn(cls | op | K, dst, imm=imm)


def alux(op, dst, src, cls=ALU64, off=0):
    return insn(cls | op | X, dst, src, off)


def ldx(size, dst, src, off):
    return insn(LDX | MEM | size, dst, src, off)


def stx(size, dst, src, off):
    return insn(STX | MEM | size, dst, src, off)


def st(size, dst, off, imm):
    return insn(ST | MEM | size, dst, 0, off, imm)


def jmp(op, dst, imm, off, cls=JMP):
    return insn(cls | op | K, dst, imm=imm, off=off)


def s32(v):
    v &= 0xffffffff
    return v - (1 << 32) if v & 0x80000000 else v


def lddw(dst, value, src=0):
    return insn(LD | IMM | DW, dst, src, imm=s32(value)) + insn(0, imm=s32(value >> 32))


EXIT_ = insn(JMP | EXIT)


def call_chain(n):
    """main calls f1, f1 calls f2 ... fn returns 1; each is "call; exit"."""
    prog = []
    for _ in range(n):
        prog += [insn(JMP | CALL, 0, PSEUDO_CALL, imm=1), EXIT_]
    return prog + [mov(0, 1), EXIT_]

SEEDS = {
    "mov_exit": (0, ALL_FIXES, b"", [mov(0, 1), EXIT_]),
    "loop": (0, ALL_FIXES | FLAG_TWICE, b"", [
        mov(0, 0), mov(6, 10),
        alu(ADD, 0, 3), alu(SUB, 6, 1), jmp(JNE, 6, 0, -3),
        EXIT_]),
    "memory": (16, ALL_FIXES | FLAG_TWICE, b"", [
        ldx(DW, 0, 1, 0), stx(DW, 10, 0, -8), ldx(W, 2, 10, -8),
        alux(ADD, 0, 2), st(B, 1, 3, 7), ldx(H, 3, 1, 14),
        insn(LDX | MEMSX | B, 4, 1, 5), alux(XOR, 0, 4), alux(ADD, 0, 3),
        stx(W, 1, 0, 8), EXIT_]),
    "memory_input": (0x80 | 8, ALL_FIXES, bytes(range(0xf0, 0xf8)), [
        ldx(DW, 0, 1, 0), alux(ADD, 0, 2), EXIT_]),
    "call_local": (0, ALL_FIXES | FLAG_TWICE, b"", [
        mov(1, 5), insn(JMP | CALL, 0, PSEUDO_CALL, imm=1), EXIT_,
        movx(0, 1), alu(MUL, 0, 2), stx(DW, 10, 0, -8), EXIT_]),
    "atomics": (8, ALL_FIXES | FLAG_TWICE, b"", [
        st(DW, 10, -8, 1), mov(3, 5),
        insn(STX | ATOMIC | DW, 10, 3, -8, ADD | FETCH),
        mov(0, 6), mov(2, 42),
        insn(STX | ATOMIC | DW, 10, 2, -8, CMPXCHG),
        insn(STX | ATOMIC | W, 1, 3, 0, XOR),
        ldx(DW, 0, 10, -8), EXIT_]),
    "helpers": (0, ALL_FIXES | FLAG_LOG, b"", [
        lddw(0, 0x1122334455667788), insn(JMP | CALL, imm=7),
        insn(JMP | CALL, imm=8), insn(JMP | CALL, imm=5), EXIT_]),
    "alu_mix": (0, ALL_FIXES | FLAG_TWICE, b"", [
        lddw(1, 0x8000000000000000), mov(2, -1),
        alux(DIV, 1, 2, off=1), alux(MOD, 1, 2, off=1),
        alux(DIV, 1, 2, cls=ALU, off=1), alu(DIV, 1, 0),
        alu(MOD, 1, 0), movx(3, 2, off=8), movx(4, 2, off=32),
        insn(ALU | END | X, 3, imm=16), insn(ALU64 | END, 4, imm=64),
        alu(ARSH, 4, 70), alu(LSH, 3, 33, cls=ALU), insn(ALU | NEG, 3),
        jmp(JSLT, 3, 0, 1, cls=JMP32), alu(ADD, 3, 1),
        insn(JMP32 | JA, imm=0), movx(0, 3), alux(ADD, 0, 4), EXIT_]),
    "oob": (8, ALL_FIXES & ~FLAG_MEM, b"", [ldx(DW, 0, 1, 100), EXIT_]),
    "budget": (0, ALL_FIXES, b"", [mov(0, 0), jmp(JEQ, 0, 0, -1), EXIT_]),
    "callback_ref": (0, ALL_FIXES, b"", [
        lddw(2, 3, src=PSEUDO_FUNC),
        mov(0, 0), EXIT_, mov(0, 1), EXIT_]),
    # main + 7 nested subprograms = 8 frames (the limit), and one more
    "call_depth8": (0, ALL_FIXES, b"", call_chain(7)),
    "call_depth9": (0, ALL_FIXES, b"", call_chain(8)),
    "misaligned_atomic": (8, ALL_FIXES, b"", [
        st(DW, 10, -8, 0), mov(2, 1),
        insn(STX | ATOMIC | W, 10, 2, -7, ADD), mov(0, 0), EXIT_]),
    "raw_garbage": (5, 0, b"", [bytes(range(0x20, 0x50))]),
    "odd": (0, FLAG_ODD | FLAG_LOG | ALL_FIXES, b"", [insn(ALU64 | MOV | K, 0, imm=0x6f), EXIT_]),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
    os.makedirs(out, exist_ok=True)
    for name, (mem, flags, buf, insns) in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([mem, flags]) + buf + b"".join(insns))


if __name__ == "__main__":
    main()
