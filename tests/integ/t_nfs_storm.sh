#!/bin/bash
# t_nfs_storm.sh - the NFS boot storm replayer (bench/nfs-storm.sh,
# bench/nfs_storm.c) as a correctness test: 5 simulated Pis, each on its own
# overlay root made with init / image import / add and from its own address,
# replay the recorded Debian 12 boot (bench/traces/debian12-boot.tsv.gz) at
# once against `pinetboot serve` (the ASan build when there is one):
#   - every Pi mounts and every call gets the status the real boot got
#     (0 errors, 0 Pis failed);
#   - each Pi's upper layer holds only what add wrote and what the trace
#     wrote (no file copied up by a read).
# The image is a tree synthesized from the trace itself
# (bench/nfs-storm/tree-from-trace.py), so the test needs no debootstrap.
# Negative controls: a trace with one recorded status changed must be
# reported as an error, and upper-check.py must flag a file only read.
# Timing is not asserted (bench/README.md has the numbers).
#   STORM_LIMIT=N   replay only the first N calls (default 0: the whole trace,
#                   about 1 s per Pi)
set -u
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
require_root
require_cmd python3 zcat gzip nsenter
BIN=$(pinetboot_bin)
ST=$PNB_ROOT/build/bench/nfs_storm
TRACE=$PNB_ROOT/bench/traces/debian12-boot.tsv.gz
LIMIT=${STORM_LIMIT:-0}
if ! pinetboot_ready "$BIN" || [ ! -x "$ST" ]; then
	fail "prerequisites: $BIN and $ST (make pinetboot build/bench/nfs_storm)"
	exit 1
fi

T=$PNB_TMP/trace.tsv
zcat "$TRACE" >"$T" 2>/dev/null
ncalls=$(grep -vc '^#' "$T")
check "the recorded trace has calls ($ncalls)" test "${ncalls:-0}" -gt 1000

TREE=$PNB_TMP/tree
check "tree-from-trace.py builds an image tree" python3 "$PNB_ROOT/bench/nfs-storm/tree-from-trace.py" "$T" "$TREE"

OUT=$PNB_TMP/out
mkdir -p "$OUT"
TREE=$TREE NS=5 LIMIT=$LIMIT PINETBOOT=$BIN OUTD=$OUT MAX_SECONDS=100 \
	timeout 110 bash "$PNB_ROOT/bench/nfs-storm.sh" >"$PNB_TMP/storm.out" 2>"$PNB_TMP/storm.err"
rc=$?
pis=$(grep -c '^server=pinetboot N=5 PI .*errors=0 ' "$OUT/nfs-storm.raw" 2>/dev/null)
if [ "$rc" = 0 ] && [ "$pis" = 5 ]; then
	ok "5 Pis replayed the trace at once with 0 errors ($(awk '{print $5}' "$OUT/nfs-storm.raw" | sort -u | tr '\n' ' '))"
else
	fail "storm of 5: exit $rc, $pis of 5 Pis without errors" "$(cat "$OUT/nfs-storm.raw" 2>/dev/null)" \
		"$(tail -n 20 "$PNB_TMP/storm.err")"
fi
if grep -q '^# pinetboot N=5: 0 Pis with files only read' "$PNB_TMP/storm.err"; then
	ok "each Pi's upper layer holds only the trace's writes ($(grep '^# pinetboot N=5: ' "$PNB_TMP/storm.err" | sed 's/.*(//; s/)$//'))"
else
	fail "upper layers hold files only read" "$(grep -A6 '^# dc-' "$PNB_TMP/storm.err" | head -n 30)"
fi
diag "$(grep '^| pinetboot' "$OUT/nfs-storm.md" 2>/dev/null)"

# Negative control 1: one LOOKUP recorded as OK now expected NOENT.
BADT=$PNB_TMP/bad.tsv.gz
awk -F'\t' 'BEGIN { OFS = "\t" } !done && $4 == "LOOKUP" && $10 == "OK" && NR > 20 { $10 = "NOENT"; done = 1 } { print }' "$T" |
	head -n 200 | gzip >"$BADT"
mkdir -p "$OUT/bad"
TREE=$TREE NS=1 TRACE=$BADT PINETBOOT=$BIN OUTD=$OUT/bad MAX_SECONDS=60 \
	timeout 80 bash "$PNB_ROOT/bench/nfs-storm.sh" >/dev/null 2>"$PNB_TMP/bad.err"
rc=$?
if [ "$rc" != 0 ] && grep -q 'errors=1 ' "$OUT/bad/nfs-storm.raw" 2>/dev/null; then
	ok "a reply whose status differs from the recorded one is counted as an error"
else
	fail "negative control: a changed status was not reported (exit $rc)" "$(cat "$OUT/bad/nfs-storm.raw" 2>/dev/null)"
fi

# Negative control 2: a file in the upper layer that the trace never wrote.
FAKE=$PNB_TMP/fake-upper
mkdir -p "$FAKE/usr/lib"
echo copied >"$FAKE/usr/lib/os-release"
: >"$PNB_TMP/fake.before"
if python3 "$PNB_ROOT/bench/nfs-storm/upper-check.py" "$T" "$PNB_TMP/fake.before" "$FAKE" >"$PNB_TMP/fake.out" 2>&1; then
	fail "negative control: upper-check.py accepted a file only read" "$(cat "$PNB_TMP/fake.out")"
else
	check "upper-check.py names the file only read" grep -q 'read-only copy-up: /usr/lib/os-release' "$PNB_TMP/fake.out"
fi
