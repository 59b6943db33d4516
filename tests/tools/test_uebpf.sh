#!/bin/bash
# SPDX-License-Identifier: MIT
# The uebpf command against the project's BPF objects: every command, every
# documented error (status and message), JSON validity, batch state, a pcap
# round trip, and `uebpf prog run` beside the kernel's `bpftool prog run`.
# Run by `make check-tools` (B=build).
set -u
B=${B:-build}
U=$B/uebpf
P=$B/progs
GEN=$B/tests/tool_pcapgen
JSONCHECK=$B/tests/tool_jsoncheck
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
skipped=0

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
skip() {
	skipped=$((skipped + 1))
	echo "SKIP: $*"
}

# run NAME CMD...: stdout in $T/out, stderr in $T/err, status in $rc.
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# expect_ok NAME CMD...: status 0.
expect_ok() {
	local name=$1
	shift
	run "$@"
	if [ $rc = 0 ]; then ok; else bad "$name: status $rc; stderr: $(head -c 600 "$T/err")"; fi
}

# expect_err NAME MESSAGE CMD...: non-zero status and MESSAGE (a grep -E
# pattern) in the error output (stderr, or the JSON "error").
expect_err() {
	local name=$1 msg=$2
	shift 2
	run "$@"
	if [ $rc = 0 ]; then
		bad "$name: succeeded, expected an error matching '$msg'"
	elif ! cat "$T/err" "$T/out" | grep -qE -- "$msg"; then
		bad "$name: status $rc but no '$msg' in: $(head -c 600 "$T/err")"
	else
		ok
	fi
}

# has NAME PATTERN: $T/out matches.
has() {
	if grep -qE -- "$2" "$T/out"; then ok; else bad "$1: no '$2' in output: $(head -c 600 "$T/out")"; fi
}

json_valid() {
	if command -v python3 >/dev/null && python3 -c 'import json' 2>/dev/null; then
		python3 -c '
import json, sys
data = sys.stdin.read()
dec = json.JSONDecoder(); i = 0; n = 0
while True:
    while i < len(data) and data[i].isspace(): i += 1
    if i == len(data): break
    _, i = dec.raw_decode(data, i); n += 1
sys.exit(0 if n else 1)' <"$T/out"
	else
		"$JSONCHECK" <"$T/out"
	fi
}

# expect_json NAME CMD...: status 0 and valid JSON on stdout.
expect_json() {
	local name=$1
	shift
	expect_ok "$name" "$@"
	if json_valid; then ok; else bad "$name: invalid JSON: $(head -c 600 "$T/out")"; fi
}

# Packets: an IPv4/UDP frame, and 8 bytes of metadata before it.
pkt=$T/pkt.bin
printf '\x01\x02\x03\x04\x05\x06\x0a\x0b\x0c\x0d\x0e\x0f\x08\x00\x45\x00\x00\x1c\x12\x34\x00\x00\x40\x11\xab\xcd\x0a\x00\x00\x01\x0a\x00\x00\x02\x30\x39\x00\x35\x00\x08\x00\x00' >"$pkt"
pktm=$T/pktm.bin
printf '\xaa\xbb\xcc\xdd\x11\x22\x33\x44' | cat - "$pkt" >"$pktm"
# struct xdp_md: data 8 (metadata length), data_end, data_meta 0,
# ingress_ifindex 1 (lo), rx_queue_index 0, egress_ifindex 0.
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x00\\x00"; }
ctx=$T/ctx.bin
{ le32 8; le32 $(stat -c %s "$pktm"); le32 0; le32 1; le32 0; le32 0; } >"$ctx"

# ---- options, help, version ---------------------------------------------
expect_ok "version" $U version
has "version" "^uebpf v[0-9]+\.[0-9]+\.[0-9]+$"
expect_ok "-V" $U -V
has "-V" "^uebpf v"
expect_json "-j version" $U -j version
has "-j version" '"version":"[0-9.]+"'
expect_ok "--help" $U --help
grep -q "prog run OBJ" "$T/err" && ok || bad "--help: no usage"
expect_ok "--interp" $U --interp version
has "version features" "^features: interpreter(, jit)?$"
has "version engine" "^default engine: (interp|jit)$"
expect_err "--interp --jit" "--interp and --jit exclude each other" $U --interp --jit prog show $P/xdp_pass.o
[ $rc = 255 ] && ok || bad "--interp --jit: status $rc, expected 255"
expect_err "--jit --interp" "--interp and --jit exclude each other" $U --jit --interp version
expect_ok "--jit --jit" $U --jit --jit version
expect_err "unknown option" "unrecognized option '--frobnicate'" $U --frobnicate prog show x
expect_err "no command" "missing command" $U
expect_err "unknown command" "unknown top-level command 'porg' \(did you mean 'prog'\?\)" $U porg show
expect_err "unknown prog command" "unknown prog command 'shwo' \(did you mean 'show'\?\).*usage: uebpf prog" $U prog shwo $P/xdp_pass.o
expect_err "unknown map command" "unknown map command 'frob'; usage: uebpf map" $U map frob $P/xdp_pass.o
run $U -j prog shwo x
if json_valid && grep -q '"error"' "$T/out"; then ok; else bad "-j error: $(cat "$T/out")"; fi

# ---- objects: errors --------------------------------------------------------
expect_err "no such file" "can't open object file $T/none.o: No such file or directory" $U prog show $T/none.o
echo "not an ELF" >"$T/text.o"
expect_err "not an ELF" "$T/text.o: not a BPF ELF object file" $U prog show "$T/text.o"
expect_err "a directory" "not a regular file" $U prog show "$T"
expect_err "missing OBJ" "missing OBJ" $U prog show
expect_err "no such program" "no program named 'nope' in .*programs: rewrite, ctx_info, classify" $U prog show $P/tool_rewrite.o name nope
expect_err "missing NAME" "missing NAME after 'name'" $U prog show $P/tool_rewrite.o name
expect_err "load failure" "failed to load object file .*tool_reject.o: Permission denied" $U prog show $P/tool_reject.o
grep -q "invalid access to packet" "$T/err" && ok || bad "load failure: no verifier log: $(cat "$T/err")"

# ---- prog show ----------------------------------------------------------------
expect_ok "prog show" $U prog show $P/xdp_pass.o
has "prog show" "^[0-9]+: xdp  name xdp_pass  section xdp  gpl$"
has "prog show" "xlated 16B  (not jited|jited [1-9][0-9]*B)  insns 2  verified  engine (interp|jit)$"
expect_ok "prog show maps" $U prog show $P/tool_maps.o name count
has "prog show maps" "map_ids [0-9]+,[0-9]+,[0-9]+$"
expect_ok "prog show all" $U prog show $P/tool_rewrite.o
[ "$(grep -c ': xdp  name' "$T/out")" = 3 ] && ok || bad "prog show all: $(cat "$T/out")"
expect_json "prog show -j" $U -j prog show $P/tool_rewrite.o
has "prog show -j" '"name":"ctx_info"'
expect_json "prog show -p" $U -p prog show $P/xdp_pass.o name xdp_pass
has "prog show -p" '^    "verified": true,$'

# ---- prog dump xlated ----------------------------------------------------------
expect_ok "dump xlated" $U prog dump xlated $P/xdp_pass.o
has "dump xlated" "^   0: \(b7\) r0 = 2$"
has "dump xlated" "^   1: \(95\) exit$"
expect_ok "dump xlated maps" $U prog dump xlated $P/tool_maps.o name count
has "dump xlated maps" "\(18\) r1 = map\[id:[0-9]+\]$"
has "dump xlated maps" "\(85\) call bpf_map_lookup_elem#1$"
insns=$($U -j prog show $P/tool_maps.o name count | grep -oE '"insns":[0-9]+' | cut -d: -f2)
lines=$(wc -l <"$T/out")
ldimm=$(grep -c '(18)' "$T/out")
[ "$((lines + ldimm))" = "$insns" ] && ok || bad "dump xlated: $lines lines + $ldimm ld_imm64 != $insns insns"
expect_json "dump xlated -j" $U -j prog dump xlated $P/xdp_pass.o
has "dump xlated -j" '\{"pc":0,"disasm":"\(b7\) r0 = 2"\}'
expect_err "dump jited" "expected 'xlated'" $U prog dump jited $P/xdp_pass.o

# ---- prog run -------------------------------------------------------------------
expect_ok "run xdp_pass" $U prog run $P/xdp_pass.o data_in "$pkt" data_out "$T/o.bin"
has "run xdp_pass" "^Return value: 2, duration: [0-9]+ns$"
cmp -s "$pkt" "$T/o.bin" && ok || bad "run xdp_pass: data_out differs from data_in"
expect_ok "run repeat" $U prog run $P/xdp_pass.o data_in "$pkt" repeat 5
has "run repeat" "^Return value: 2, duration \(average\): [0-9]+ns$"
expect_ok "run prefix keywords" $U prog run $P/xdp_pass.o data_i "$pkt" rep 2
expect_ok "run data_out -" $U prog run $P/xdp_pass.o data_in "$pkt" data_out -
has "run data_out -" "^0000000	0102 0304 0506 0a0b 0c0d 0e0f 0800 4500 \| \.\.\.\.\.\.\.\. \.\.\.\.\.\.E\.$"
expect_json "run -j" $U -j prog run $P/xdp_pass.o data_in "$pkt" data_out -
has "run -j" '"data_out":\[1,2,3,4,5,6,10,'
has "run -j" '"retval":2,"duration":[0-9]+\}'
cat "$pkt" | $U prog run $P/xdp_pass.o data_in - >"$T/out" 2>"$T/err" && ok || bad "run data_in -: $(cat "$T/err")"
expect_err "run no data_in" "missing data_in" $U prog run $P/xdp_pass.o
expect_err "run bad keyword" "expected no more arguments, 'data_in'.*got: 'frob'\?" $U prog run $P/xdp_pass.o frob "$pkt"
expect_err "run ambiguous" "ambiguous prefix: 'ctx_' could be 'ctx_in' or 'ctx_out' or 'ctx_size_out'" $U prog run $P/xdp_pass.o data_in "$pkt" ctx_ "$ctx"
expect_err "run missing arg" "missing argument after 'repeat'" $U prog run $P/xdp_pass.o data_in "$pkt" repeat
expect_err "run bad repeat" "can't parse x as repeat number" $U prog run $P/xdp_pass.o data_in "$pkt" repeat x
expect_err "run no data file" "failed to open $T/none: No such file" $U prog run $P/xdp_pass.o data_in "$T/none"
printf '\x01\x02\x03' >"$T/short.bin"
expect_err "run short packet" "failed to run program: Invalid argument" $U prog run $P/xdp_pass.o data_in "$T/short.bin"
expect_err "run two stdin" "cannot use standard input for both" $U prog run $P/xdp_pass.o data_in - ctx_in -
{ le32 0; le32 $(stat -c %s "$pkt"); le32 4; le32 0; le32 0; le32 0; } >"$T/badctx.bin"
expect_err "run ctx data_meta" "failed to run program: Invalid argument \(ctx_in: data_meta must be 0\)" $U prog run $P/xdp_pass.o data_in "$pkt" ctx_in "$T/badctx.bin"
{ le32 6; le32 $(stat -c %s "$pktm"); le32 0; le32 0; le32 0; le32 0; } >"$T/badmeta.bin"
expect_err "run ctx metalen" "metadata length" $U prog run $P/xdp_pass.o data_in "$pktm" ctx_in "$T/badmeta.bin"
{ le32 0; le32 $(stat -c %s "$pkt"); le32 0; le32 1; le32 0; le32 0; le32 7; } >"$T/longctx.bin"
expect_err "run ctx tail" "Argument list too long" $U prog run $P/xdp_pass.o data_in "$pkt" ctx_in "$T/longctx.bin"
expect_err "run data_size_out" "No space left on device" $U prog run $P/xdp_pass.o data_in "$pkt" data_out "$T/o.bin" data_size_out 4
head -c 4000 /dev/zero >"$T/big.bin"
expect_err "run too big" "multi-buffer" $U prog run $P/xdp_pass.o data_in "$T/big.bin"
expect_ok "run ctx" $U prog run $P/tool_rewrite.o name ctx_info data_in "$pktm" ctx_in "$ctx" ctx_out "$T/ctxo.bin" data_out "$T/o.bin"
# The program saw 8 bytes of metadata, starting aa bb cc dd, ifindex 1.
[ "$(od -An -tx1 -N16 -j8 "$T/o.bin" | tr -d ' \n')" = "aabbccdd080000000100000000000000" ] && ok ||
	bad "run ctx: data_out $(od -An -tx1 "$T/o.bin")"
[ "$(od -An -tx1 "$T/ctxo.bin" | tr -d ' \n')" = "08000000$(printf %02x $(stat -c %s "$pktm"))00000000000000010000000000000000000000" ] && ok ||
	bad "run ctx: ctx_out $(od -An -tx1 "$T/ctxo.bin")"

# ---- engines: --interp / --jit -------------------------------------------------------
# The JIT is there when `uebpf -j version` says so; without it every --jit
# load fails with the library's reason.
run $U -j version
if grep -q '"jit":true' "$T/out"; then jit=1; else jit=; fi
dflt=$($U version | sed -n 's/^default engine: //p')
[ "$dflt" = "$( [ -n "$jit" ] && echo jit || echo interp)" ] && ok || bad "default engine '$dflt' with jit='$jit'"
run env UEBPF_ENGINE=interp $U version
has "UEBPF_ENGINE=interp" "^default engine: interp$"
expect_ok "show --interp" $U --interp prog show $P/xdp_pass.o
has "show --interp" "^	xlated 16B  not jited  insns 2  verified  engine interp$"
expect_json "show --interp -j" $U --interp -j prog show $P/xdp_pass.o
has "show --interp -j" '"bytes_xlated":16,"jited":false,"engine":"interp",'
grep -q bytes_jited "$T/out" && bad "show --interp -j: bytes_jited without a JIT: $(cat "$T/out")" || ok
run $U prog show $P/xdp_pass.o
has "show default engine" "engine $dflt$"
run env UEBPF_ENGINE=interp $U prog show $P/xdp_pass.o
has "show UEBPF_ENGINE=interp" "engine interp$"
if [ -n "$jit" ]; then
	expect_ok "show --jit" $U --jit prog show $P/xdp_pass.o
	has "show --jit" "^	xlated 16B  jited [1-9][0-9]*B  insns 2  verified  engine jit$"
	expect_json "show --jit -j" $U --jit -j prog show $P/xdp_pass.o
	has "show --jit -j" '"bytes_xlated":16,"jited":true,"bytes_jited":[1-9][0-9]*,"engine":"jit",'
	# The same size in both forms.
	pj=$($U --jit prog show $P/xdp_pass.o | grep -oE 'jited [0-9]+B' | grep -oE '[0-9]+')
	jj=$($U --jit -j prog show $P/xdp_pass.o | grep -oE '"bytes_jited":[0-9]+' | cut -d: -f2)
	[ -n "$pj" ] && [ "$pj" = "$jj" ] && ok || bad "jited size: plain '$pj', JSON '$jj'"
	expect_ok "show --jit all" $U --jit prog show $P/tool_rewrite.o
	[ "$(grep -c 'engine jit' "$T/out")" = 3 ] && ok || bad "show --jit all: $(cat "$T/out")"
else
	# The library's message, the load error, bpftool's status.
	expect_err "--jit without a JIT" "this build of libuebpf has no JIT" $U --jit prog show $P/xdp_pass.o
	has_err() { grep -qE -- "$2" "$T/err" && ok || bad "$1: no '$2' in: $(head -c 600 "$T/err")"; }
	has_err "--jit without a JIT" "failed to load object file .*xdp_pass.o: Operation not supported"
	[ $rc = 255 ] && ok || bad "--jit without a JIT: status $rc, expected 255"
	why=$(grep -m1 "no JIT" "$T/err")
	expect_err "--jit run without a JIT" "this build of libuebpf has no JIT" $U --jit prog run $P/xdp_pass.o data_in "$pkt"
	run $U --jit -j prog show $P/xdp_pass.o
	if [ $rc = 255 ] && json_valid && grep -q '"error":"failed to load object file' "$T/out"; then ok; else bad "--jit -j without a JIT: status $rc: $(head -c 400 "$T/out")"; fi
	skip "prog show/run --jit: $why"
fi
# prog run: every engine gives the same data_out, retval and ctx_out.
engine_runs() {
	local name=$1 ref= e
	shift
	for e in --interp ${jit:+--jit}; do
		rm -f "$T/e.out" "$T/e.ctx"
		$U $e prog run "$@" data_out "$T/e.out" >"$T/e.txt" 2>&1
		rv=$(grep -oE '^Return value: [0-9]+' "$T/e.txt")
		if [ -z "$rv" ]; then
			bad "$name $e: $(head -c 400 "$T/e.txt")"
			return
		fi
		got="$rv $(od -An -tx1 -v "$T/e.out" | tr -d ' \n') $( [ -e "$T/e.ctx" ] && od -An -tx1 -v "$T/e.ctx" | tr -d ' \n')"
		if [ -z "$ref" ]; then
			ref=$got
		elif [ "$got" = "$ref" ]; then
			ok
		else
			bad "$name: --interp / $e differ: '$ref' / '$got'"
		fi
	done
	[ -n "$jit" ] || ok
}
engine_runs "engines xdp_pass" $P/xdp_pass.o data_in "$pkt"
engine_runs "engines rewrite" $P/tool_rewrite.o name rewrite data_in "$pkt" repeat 7
engine_runs "engines ctx_info" $P/tool_rewrite.o name ctx_info data_in "$pktm" ctx_in "$ctx" ctx_out "$T/e.ctx"
engine_runs "engines classify" $P/tool_rewrite.o name classify data_in "$pkt"
engine_runs "engines count" $P/tool_maps.o name count data_in "$pkt" repeat 3
engine_runs "engines adjust_head" $P/xdp_adjust.o name adjust_head data_in "$pkt"
engine_runs "engines adjust_meta" $P/xdp_adjust.o name adjust_meta data_in "$pkt"
engine_runs "engines adjust_tail" $P/xdp_adjust.o name adjust_tail data_in "$pkt"
engine_runs "engines bytes" $P/xdp_bytes.o name bytes data_in "$pkt"
engine_runs "engines ttl_csum" $P/xdp_bytes.o name ttl_csum data_in "$pkt"
engine_runs "engines parse_drop" $P/xdp_parse_drop.o data_in "$pkt"
engine_runs "engines tail_call" $P/tail_call.o name tc_a data_in "$pkt"
engine_runs "engines subprogs" $P/subprogs.o name prog_cb data_in "$pkt"
[ -n "$jit" ] || skip "prog run --interp / --jit: this build of libuebpf has no JIT (--interp ran alone)"
# A batch: the engine holds for every object it loads.
printf 'prog show %s\nprog show %s name count\n' $P/xdp_pass.o $P/tool_maps.o >"$T/eb.txt"
expect_ok "batch --interp" $U --interp batch file "$T/eb.txt"
[ "$(grep -c 'engine interp$\|engine interp ' "$T/out")" = 2 ] && ok || bad "batch --interp: $(cat "$T/out")"

# The conformance plugin's engines (status 1 and the library's message on
# a refusal, as the plugin protocol has it).
PL=$B/uebpf-conformance-plugin
ret7='b7 00 00 00 07 00 00 00 95 00 00 00 00 00 00 00'
run sh -c "echo '$ret7' | $PL --interpret"
[ $rc = 0 ] && [ "$(cat "$T/out")" = 7 ] && ok || bad "plugin --interpret: status $rc: $(cat "$T/out" "$T/err")"
run sh -c "echo '$ret7' | $PL --jit --insn-budget 1000"
[ $rc = 1 ] && grep -qE "only the interpreter counts instructions|has no JIT" "$T/err" && ok ||
	bad "plugin --jit --insn-budget: status $rc: $(cat "$T/out" "$T/err")"
run sh -c "echo '$ret7' | $PL --insn-budget 1000 --jit"
[ $rc = 1 ] && grep -qE "only the interpreter counts instructions|has no JIT" "$T/err" && ok ||
	bad "plugin --insn-budget --jit: status $rc: $(cat "$T/out" "$T/err")"
run sh -c "echo '$ret7' | $PL --jit"
if [ -n "$jit" ]; then
	[ $rc = 0 ] && [ "$(cat "$T/out")" = 7 ] && ok || bad "plugin --jit: status $rc: $(cat "$T/out" "$T/err")"
	run sh -c "echo '$ret7' | $PL --jit --insn-budget 1000"
	grep -q "only the interpreter counts instructions" "$T/err" && ok || bad "plugin --jit --insn-budget: $(cat "$T/err")"
else
	[ $rc = 1 ] && grep -q "this build of libuebpf has no JIT" "$T/err" && ok ||
		bad "plugin --jit without a JIT: status $rc: $(cat "$T/out" "$T/err")"
fi

# ---- maps -------------------------------------------------------------------------
M=$P/tool_maps.o
expect_ok "map show" $U map show $M
has "map show" "^[0-9]+: hash  name counters  flags 0x0$"
has "map show" "^	key 4B  value 8B  max_entries 64$"
has "map show" "percpu_array  name pcpu"
has "map show" "array_of_maps  name outer"
expect_json "map show -j" $U -j map show $M name config
has "map show -j" '"type":"array","name":"config","flags":0,"bytes_key":4,"bytes_value":4,"max_entries":4'
expect_ok "map dump array" $U --hex map dump $M name config
has "map dump array" "^key: 00 00 00 00  value: 00 00 00 00$"
has "map dump array" "^Found 4 elements$"
expect_ok "map dump all" $U map dump $M
has "map dump all" "name counters"
expect_json "map dump -j" $U -j map dump $M name pcpu
has "map dump -j" '"values":\[\{"cpu":0,"value":\["0x00",'
expect_ok "map update" $U map update $M name config key 1 0 0 0 value hex ff 0x1 2 3
expect_ok "map lookup" $U --hex map lookup $M name config key 1 0 0 0
has "map lookup" "^key: 01 00 00 00  value: 00 00 00 00$" # a new process: a new object
expect_err "lookup missing" "" $U map lookup $M name counters key 9 0 0 0
has "lookup missing" "^Not found$"
expect_err "ambiguous map" "has several maps \(.*counters.*\): choose one with 'name MAP'" $U map lookup $M key 0 0 0 0
expect_err "no such map" "no map named 'nope' in .*\(maps: .*config" $U map dump $M name nope
expect_err "no maps" "has no maps" $U map lookup $P/xdp_pass.o key 0 0 0 0
expect_err "key size" "key has 3 bytes, map config takes 4" $U map lookup $M name config key 1 2 3
expect_err "key size long" "key has 5 bytes, map config takes 4" $U map lookup $M name config key 1 2 3 4 5
expect_err "value size" "value has 2 bytes, map config takes 4" $U map update $M name config key 1 0 0 0 value 1 2
expect_err "bad hex" "error parsing byte: 'zz' is not a hex byte" $U map update $M name config key hex 00 00 00 zz value 1 0 0 0
expect_err "bad byte" "error parsing byte: 300 is more than 255" $U map update $M name config key 300 0 0 0 value 1 0 0 0
expect_err "missing key" "did not find key" $U map lookup $M name config
expect_err "missing value" "did not find value" $U map update $M name config key 0 0 0 0
expect_err "duplicate flags" "flags specified multiple times: exist" $U map update $M name config key 0 0 0 0 value 0 0 0 0 any exist
expect_err "noexist on array" "update failed: File exists" $U map update $M name config key 0 0 0 0 value 0 0 0 0 noexist
expect_err "exist on hash" "update failed: No such file or directory" $U map update $M name counters key 0 0 0 0 value 0 0 0 0 0 0 0 0 exist
expect_err "delete missing" "delete failed: No such file or directory" $U map delete $M name counters key 0 0 0 0
expect_err "map-in-map value" "expected 'id', 'name' or 'pinned', got 'hex'" $U map update $M name outer key 0 0 0 0 value hex 01 00
expect_err "map-in-map name" "no map named 'nope' in the object" $U map update $M name outer key 0 0 0 0 value name nope
expect_ok "getnext" $U map getnext $M name config
has "getnext" "^key: None$"

# ---- batch: one object, shared state --------------------------------------------
cat >"$T/batch.txt" <<EOF
# verdict XDP_DROP, then one packet, then what the program counted
map update $M name config key 0 0 0 0 value 1 0 0 0
prog run $M name count data_in $pkt
map lookup $M name counters key 0 0 0 0   # EtherType 0x0800: 00
map update $M name counters key hex 0a 00 00 00 value 5 0 0 0 0 0 0 0 noexist
map lookup $M \\
    name counters key 10 0 0 0
map update $M name outer key 1 0 0 0 value name inner_b
map dump $M name outer
map dump $M name pcpu
map delete $M name counters key 10 0 0 0
map dump $M name counters
EOF
expect_ok "batch" $U --hex batch file "$T/batch.txt"
has "batch" "^Return value: 1, duration: [0-9]+ns$"
has "batch" "^key: 00 00 00 00  value: 01 00 00 00 00 00 00 00$"
has "batch" "^key: 0a 00 00 00  value: 05 00 00 00 00 00 00 00$"
has "batch" "^value \(CPU 00\): 01 00 00 00 00 00 00 00$"
has "batch" "^processed 10 commands$"
inner_b=$($U -j map show $M name inner_b | grep -oE '"id":[0-9]+' | cut -d: -f2)
has "batch map-in-map" "^key: 01 00 00 00  value: $(printf %02x "$inner_b") 00 00 00$"
[ "$(grep -c '^Found 1 element$' "$T/out")" = 1 ] && ok || bad "batch: counters after delete: $(cat "$T/out")"
expect_json "batch -j" $U -j batch file "$T/batch.txt"
has "batch -j" '"command":\["prog","run"'
cat "$T/batch.txt" | $U batch file - >"$T/out" 2>"$T/err" && ok || bad "batch stdin: $(cat "$T/err")"
printf 'map show %s\n\nmap lookup %s name config key 1 2 3\nmap show %s\n' $M $M $M >"$T/b2.txt"
expect_err "batch error line" "$T/b2.txt:3: key has 3 bytes, map config takes 4" $U batch file "$T/b2.txt"
[ "$(grep -c 'name counters' "$T/out")" = 1 ] && ok || bad "batch: did not stop at the first error"
run $U -j batch file "$T/b2.txt"
if [ $rc != 0 ] && json_valid && grep -q "b2.txt:3: key has 3 bytes" "$T/out"; then ok; else bad "batch -j error: $(cat "$T/out")"; fi
printf 'prog frob x\n' >"$T/b3.txt"
expect_err "batch unknown" "b3.txt:1: unknown prog command 'frob'" $U batch file "$T/b3.txt"
printf 'batch file x\n' >"$T/b4.txt"
expect_err "batch nested" "batch cannot be used inside a batch" $U batch file "$T/b4.txt"
expect_err "batch no file" "can't open file \($T/none\)" $U batch file "$T/none"
expect_err "batch syntax" "expected 'file', got: fil3" $U batch fil3 x
printf 'map show "%s\n' $M >"$T/b5.txt"
expect_err "batch quote" "b5.txt:1: unterminated quoted string" $U batch file "$T/b5.txt"

# ---- pcap ------------------------------------------------------------------------------
R=$P/tool_rewrite.o
"$GEN" write "$T/in.pcap" 41 && "$GEN" expect "$T/in.pcap" "$T/exp.pcap" >"$T/counts" && ok || bad "pcapgen"
expect_ok "pcap" $U pcap $R name classify "$T/in.pcap" "$T/out.pcap"
has "pcap" "^packets 41  bytes [0-9]+$"
while read -r act n; do has "pcap $act" "^  $act +$n$"; done <"$T/counts"
has "pcap" "redirect to no target \(dropped\): $(grep XDP_REDIRECT "$T/counts" | cut -d' ' -f2)$"
has "pcap" "^wrote [0-9]+ packets \(XDP_PASS, XDP_TX\) to $T/out.pcap$"
has "pcap" "ns per packet, [0-9]+ packets/s"
if "$GEN" dump "$T/out.pcap" >"$T/got.txt" && "$GEN" dump "$T/exp.pcap" >"$T/want.txt" &&
	cmp -s "$T/got.txt" "$T/want.txt"; then ok; else bad "pcap: OUT.pcap differs from the model: $(diff "$T/got.txt" "$T/want.txt" | head -5)"; fi
# The same packets out of each engine.
for e in --interp ${jit:+--jit}; do
	expect_ok "pcap $e" $U $e pcap $R name classify "$T/in.pcap" "$T/out$e.pcap"
	if "$GEN" dump "$T/out$e.pcap" >"$T/got$e.txt" && cmp -s "$T/got$e.txt" "$T/want.txt"; then ok; else bad "pcap $e: OUT.pcap differs from the model: $(diff "$T/got$e.txt" "$T/want.txt" | head -5)"; fi
done
want=$(($(grep -c . "$T/want.txt") - 1))
if command -v tcpdump >/dev/null; then
	n=$(tcpdump -r "$T/out.pcap" 2>/dev/null | wc -l)
	[ "$n" = "$want" ] && ok || bad "pcap: tcpdump reads $n packets, want $want"
else
	skip "pcap: tcpdump not installed (libpcap read the file above)"
fi
expect_json "pcap -j" $U -j pcap $R name classify "$T/in.pcap"
has "pcap -j" '"XDP_DROP":[0-9]+'
expect_err "pcap unreadable" "can't read pcap file $T/text.o" $U pcap $R name classify "$T/text.o"
expect_err "pcap missing" "missing IN.pcap" $U pcap $R name classify
expect_err "pcap unwritable" "can't write pcap file $T/none/out.pcap" $U pcap $R name classify "$T/in.pcap" "$T/none/out.pcap"
printf 'pcap %s name classify %s\nprog show %s name classify\n' $R "$T/in.pcap" $R >"$T/b6.txt"
expect_ok "pcap in batch" $U batch file "$T/b6.txt"
has "pcap in batch" "^packets 41 "

# ---- BTF-formatted maps ----------------------------------------------------------------
# tool_btf.o: a hash of struct tool_key -> struct tool_rec (every kind the
# formatter prints), a per-CPU struct counter, global data.  The value
# bytes below spell: big 0x1122334455667788, u32 123456, s16 -2, s8 -123,
# name "abc", color GREEN (5), bitfields low 5 / high 21 (0xad), pad,
# ports 80 443, un.word 0x12345678, inner 1 2.
BO=$P/tool_btf.o
KEY="key 1 0 0 0 0x50 0 6 0"
VAL="value hex 88 77 66 55 44 33 22 11 40 e2 01 00 fe ff 85 61 62 63 0 0 0 0 0 0 5 0 0 0 ad 0 0 0 50 0 bb 01 78 56 34 12 1 0 0 0 2 0 0 0"
printf 'map update %s name recs %s %s\nmap lookup %s name recs %s\n' $BO "$KEY" "$VAL" $BO "$KEY" >"$T/btf1.txt"
expect_ok "btf lookup" $U batch file "$T/btf1.txt"
has "btf lookup" '^    "key": \{$'
has "btf lookup" '^        "port": 80,$'
has "btf lookup" '^        "big": 1234605616436508552,$'
has "btf lookup" '^        "s16": -2,$'
has "btf lookup" '^        "s8": -123,$'
has "btf lookup" '^        "name": "abc",$'
has "btf lookup" '^        "color": "GREEN",$'
has "btf lookup" '^        "low": 0x5,$'
has "btf lookup" '^        "high": 0x15,$'
has "btf lookup" '^        "ports": \[80,443$'
has "btf lookup" '^            "word": 305419896,$'
has "btf lookup" '^            "b": 2$'
expect_json "btf lookup -j" $U -j batch file "$T/btf1.txt"
has "btf lookup -j" '"formatted":\{"key":\{"id":1,"port":80,"proto":6,"pad":0\},"value":\{"big":1234605616436508552,.*"low":"0x5","high":"0x15",'
has "btf lookup -j" '"value":\["0x88","0x77",'
expect_json "btf lookup -p" $U -p batch file "$T/btf1.txt"
expect_ok "btf --hex" $U --hex batch file "$T/btf1.txt"
has "btf --hex" "^88 77 66 55 44 33 22 11  40 e2 01 00 fe ff 85 61$"
expect_ok "btf --oneline" $U --oneline batch file "$T/btf1.txt"
has "btf --oneline" '^\{"key": \{"id": 1, "port": 80, "proto": 6, "pad": 0\}, "value": \{"big": 1234605616436508552, '
expect_ok "btf global data" $U map dump $BO name tool_btf.rodata
has "btf global data" '"\.rodata": \[\{$'
has "btf global data" '"verdict": 2$'
expect_ok "legacy maps: hex" $U map dump $P/legacy_maps.o
has "legacy maps: hex" "^value \(CPU 00\): 00 00 00 00 00 00 00 00$"
expect_err "--percpu bad" "--percpu: expected 'all', 'nonzero' or 'sum', got 'most'" $U --percpu most map show $BO
expect_err "--percpu missing" "option '--percpu' needs an argument" $U --percpu

# Per-CPU: three runs on one CPU slot; packets and bytes per CPU, only
# the CPUs that counted, and summed.
plen=$(stat -c %s "$pkt")
printf 'prog run %s data_in %s\nprog run %s data_in %s repeat 2\nmap lookup %s name pcnt key 0 0 0 0\nprog show %s\n' \
	$BO "$pkt" $BO "$pkt" $BO $BO >"$T/btf2.txt"
expect_ok "btf percpu" $U batch file "$T/btf2.txt"
has "btf percpu" '^    "values": \[\{$'
ncpu=$(grep -c '"cpu": ' "$T/out")
[ "$ncpu" -ge 1 ] && ok || bad "btf percpu: no CPU values: $(cat "$T/out")"
expect_ok "btf percpu nonzero" $U --percpu nonzero batch file "$T/btf2.txt"
[ "$(grep -c '"cpu": ' "$T/out")" = 1 ] && ok || bad "percpu nonzero: $(cat "$T/out")"
has "btf percpu nonzero" "^                \"packets\": 3,$"
has "btf percpu nonzero" "^                \"bytes\": $((3 * plen))$"
expect_ok "btf percpu sum" $U --percpu sum --oneline batch file "$T/btf2.txt"
has "btf percpu sum" "^\{\"key\": 0, \"value\": \{\"packets\": 3, \"bytes\": $((3 * plen))\}\}$"
# ---- run statistics in prog show --------------------------------------------------------
has "prog show stats" "^[0-9]+: xdp  name count  section xdp  gpl run_time_ns [1-9][0-9]* run_cnt 3$"
expect_json "btf percpu -j" $U -j --percpu sum batch file "$T/btf2.txt"
has "btf percpu -j" "\"formatted\":\{\"key\":0,\"value\":\{\"packets\":3,\"bytes\":$((3 * plen))\}\}"
expect_json "prog show stats -j" $U -j batch file "$T/btf2.txt"
has "prog show stats -j" '"run_time_ns":[1-9][0-9]*,"run_cnt":3,'
expect_ok "prog show no runs" $U prog show $BO
if grep -q run_cnt "$T/out"; then bad "prog show: run_cnt before any run: $(cat "$T/out")"; else ok; fi
printf 'pcap %s name classify %s\nprog show %s name classify\n' $R "$T/in.pcap" $R >"$T/b7.txt"
expect_ok "pcap stats" $U batch file "$T/b7.txt"
has "pcap stats" "run_cnt 41$"

# ---- batch: #! echo lines and labels ------------------------------------------------------
printf '#! == the counters\nmap lookup %s name pcnt key 0 0 0 0   #! slot zero\n  #!\n# a comment\n' $BO >"$T/b8.txt"
expect_ok "batch echo" $U --oneline --percpu sum batch file "$T/b8.txt"
has "batch echo" "^== the counters$"
has "batch echo" '^slot zero                       \{"key": 0, "value": \{"packets": 0, "bytes": 0\}\}$'
[ "$(grep -c '^$' "$T/out")" = 1 ] && ok || bad "batch echo: '#!' alone should print an empty line: $(cat "$T/out")"
has "batch echo" "^processed 1 commands$"
expect_json "batch echo -j" $U -j batch file "$T/b8.txt"
has "batch echo -j" '\{"echo":"== the counters"\},\{"command":\["map","lookup",.*\],"label":"slot zero","output":'

# ---- make demo: the load balancer through uebpf batch, out.pcap ---------------------
# The demo-lb recipe into this test's directory; its numbers checked
# against each other: each packet in exactly one verdict slot of lb_stats
# (pass_*, drop_*, tx_*), as many as uebpf pcap counted per verdict, as
# many runs in prog show, and tcpdump reads the packets written.
run ${MAKE:-make} -s --no-print-directory demo-lb B="$B" LB_DEMO="$T/demo" DEMO_OUT="$T/demo-out.pcap"
if [ $rc != 0 ]; then
	bad "make demo-lb: status $rc: $(tail -c 600 "$T/err")"
else
	ok
	cp "$T/out" "$T/demo.txt"
	verdict() { sed -n "s/^  XDP_$1 *\([0-9]*\)$/\1/p" "$T/demo.txt"; }
	slots() { grep -E "^$1" "$T/demo.txt" | sed -n 's/.*"packets": \([0-9]*\),.*/\1/p' | awk '{ s += $1 } END { print s + 0 }'; }
	frames=$(sed -n 's/^packets \([0-9]*\) .*/\1/p' "$T/demo.txt")
	[ -n "$frames" ] && [ "$frames" -gt 0 ] && ok || bad "demo: no packet count: $(head -c 600 "$T/demo.txt")"
	[ "$(slots 'pass_')" = "$(verdict PASS)" ] && ok || bad "demo: pass_* slots $(slots 'pass_') != XDP_PASS $(verdict PASS)"
	[ "$(slots 'drop_')" = "$(verdict DROP)" ] && ok || bad "demo: drop_* slots $(slots 'drop_') != XDP_DROP $(verdict DROP)"
	[ "$(slots 'tx_')" = "$(verdict TX)" ] && ok || bad "demo: tx_* slots $(slots 'tx_') != XDP_TX $(verdict TX)"
	grep -qE "name xdp_lb .* run_cnt $frames$" "$T/demo.txt" && ok || bad "demo: prog show has no run_cnt $frames"
	grep -qE "^[0-9.]+ ns per packet" "$T/demo.txt" && ok || bad "demo: no time per packet"
	[ "$(wc -l <"$T/demo.txt")" -le 60 ] && ok || bad "demo: $(wc -l <"$T/demo.txt") lines, more than a screen"
	written=$(sed -n 's/^wrote \([0-9]*\) packets.*/\1/p' "$T/demo.txt")
	if command -v tcpdump >/dev/null; then
		n=$(tcpdump -nn -r "$T/demo-out.pcap" 2>/dev/null | wc -l)
		[ -n "$written" ] && [ "$n" = "$written" ] && ok || bad "demo: tcpdump reads $n packets of $T/demo-out.pcap, uebpf wrote '$written'"
	else
		skip "demo: tcpdump not installed"
	fi
fi

# ---- beside the kernel: bpftool prog run -----------------------------------------------
reason=
if ! command -v bpftool >/dev/null; then
	reason="bpftool not installed"
elif ! command -v unshare >/dev/null; then
	reason="unshare not installed"
else
	mkdir -p "$T/fs"
	if ! unshare -m sh -c 'mount -t bpf bpf "$1" && bpftool prog loadall "$2" "$1/p" &&
		bpftool prog loadall "$3" "$1/q"' _ "$T/fs" $R $P/xdp_pass.o >"$T/k.txt" 2>&1; then
		reason="cannot load into the kernel (needs root/CAP_BPF and a private bpffs): $(head -c 200 "$T/k.txt")"
	fi
fi
if [ -n "$reason" ]; then
	skip "kernel comparison: $reason"
else
	# Every bpftool call runs in its own mount namespace: pin once more
	# in each, from a script that keeps the pins for the call.
	kernel_run() {
		unshare -m sh -c 'mount -t bpf bpf "$1" && bpftool prog loadall "$2" "$1/p" >/dev/null &&
			shift 2 && prog=$1 && shift && bpftool prog run pinned "$0/p/$prog" "$@"' \
			"$T/fs" "$T/fs" "$@"
	}
	compare() {
		local obj=$1 prog=$2
		shift 2
		$U prog run $obj name "$prog" "$@" data_out "$T/u.out" >"$T/u.txt" 2>&1
		kernel_run "$obj" "$prog" "$@" data_out "$T/k.out" >"$T/k.txt" 2>&1
		local urv krv
		urv=$(grep -oE 'Return value: [0-9]+' "$T/u.txt")
		krv=$(grep -oE 'Return value: [0-9]+' "$T/k.txt")
		if [ -z "$krv" ] || [ -z "$urv" ]; then
			bad "kernel $prog $*: uebpf: $(head -c 300 "$T/u.txt") kernel: $(head -c 300 "$T/k.txt")"
		elif [ "$urv" != "$krv" ]; then
			bad "kernel $prog $*: uebpf '$urv', kernel '$krv'"
		elif ! cmp -s "$T/u.out" "$T/k.out"; then
			bad "kernel $prog $*: data_out differs: $(od -An -tx1 "$T/u.out" | head -2) / $(od -An -tx1 "$T/k.out" | head -2)"
		else
			ok
		fi
	}
	compare $P/xdp_pass.o xdp_pass data_in "$pkt"
	compare $P/xdp_pass.o xdp_pass data_in "$pkt" repeat 3
	compare $R rewrite data_in "$pkt"
	compare $R rewrite data_in "$pkt" repeat 7
	compare $R ctx_info data_in "$pkt"
	compare $R ctx_info data_in "$pktm" ctx_in "$ctx"
	compare $R classify data_in "$pkt"
	# ctx_out too
	$U prog run $R name ctx_info data_in "$pktm" ctx_in "$ctx" ctx_out "$T/uc.out" >/dev/null 2>&1
	kernel_run $R ctx_info data_in "$pktm" ctx_in "$ctx" ctx_out "$T/kc.out" >/dev/null 2>&1
	cmp -s "$T/uc.out" "$T/kc.out" && ok || bad "kernel ctx_out differs: $(od -An -tx1 "$T/uc.out") / $(od -An -tx1 "$T/kc.out")"
	# The same refusals.
	for c in "$T/badctx.bin" "$T/badmeta.bin" "$T/longctx.bin"; do
		$U prog run $R name ctx_info data_in "$pktm" ctx_in "$c" >"$T/u.txt" 2>&1
		kernel_run $R ctx_info data_in "$pktm" ctx_in "$c" >"$T/k.txt" 2>&1
		ue=$(grep -oE 'failed to run program: [A-Za-z ]+' "$T/u.txt" | sed 's/ *$//')
		ke=$(grep -oE 'failed to run program: [A-Za-z ]+' "$T/k.txt" | sed 's/ *$//')
		[ -n "$ke" ] && [ "$ue" = "$ke" ] && ok || bad "kernel refusal $(basename "$c"): uebpf '$ue', kernel '$ke'"
	done
	# BTF-formatted output: the same bytes in the kernel's maps, dumped
	# by bpftool, plain and JSON, byte for byte.
	# libbpf turns every '.' of a pinmaps path into '_': a path without.
	KFS=$(mktemp -d /tmp/uebpf_kfs_XXXXXX)
	kernel_maps() {
		unshare -m sh -c 'mount -t bpf bpf "$1" && bpftool prog loadall "$2" "$1/p" pinmaps "$1/m" >/dev/null &&
			d=$1 && shift 2 && eval "$*"' _ "$KFS" "$BO" "$@"
	}
	printf 'map update %s name recs %s %s\nmap dump %s name recs\n' $BO "$KEY" "$VAL" $BO >"$T/kb.txt"
	kupd="bpftool map update pinned \$d/m/recs $KEY $VAL"
	kernel_maps "$kupd && bpftool map dump pinned \$d/m/recs" >"$T/k.txt" 2>&1
	$U batch file "$T/kb.txt" 2>&1 | grep -v '^processed' >"$T/u.txt"
	cmp -s "$T/u.txt" "$T/k.txt" && ok || bad "kernel btf dump: uebpf / bpftool differ: $(diff "$T/u.txt" "$T/k.txt" | head -8)"
	kernel_maps "$kupd && bpftool -j map dump pinned \$d/m/recs" >"$T/k.txt" 2>&1
	# The batch's second output, as one document.
	$U -j batch file "$T/kb.txt" 2>&1 | sed -n 's/.*"command":\["map","dump"[^]]*\],"output":\(.*\)}\]$/\1/p' >"$T/u.txt"
	cmp -s "$T/u.txt" "$T/k.txt" && ok || bad "kernel btf dump -j: uebpf / bpftool differ: $(diff "$T/u.txt" "$T/k.txt" | head -8)"
	for m in tool_btf.rodata tool_btf.bss pcnt; do
		kernel_maps "bpftool map dump pinned \$d/m/${m/./_}" >"$T/k.txt" 2>&1
		$U map dump $BO name $m >"$T/u.txt" 2>&1
		if [ "$(grep -c '"cpu"' "$T/u.txt")" != "$(grep -c '"cpu"' "$T/k.txt")" ]; then
			skip "kernel btf dump $m: the kernel has another number of possible CPUs"
		else
			cmp -s "$T/u.txt" "$T/k.txt" && ok || bad "kernel btf dump $m: $(diff "$T/u.txt" "$T/k.txt" | head -12)"
		fi
	done
	rmdir "$KFS"
fi

echo "check-tools: $pass passed, $fail failed, $skipped skipped"
[ $fail = 0 ]
