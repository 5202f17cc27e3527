#!/bin/bash
# nfs-storm.sh - N simulated Pis replay the recorded NFSv3 calls of a real
# Debian 12 boot (bench/traces/debian12-boot.tsv.gz) against
# `pinetboot serve` at once, each on its own overlay root (init, image
# import of the Debian tree of tests/guest/debian-tree.sh, add) and from its
# own network namespace and address (client.conf `address =`).
#
#   NS="5 25"      storm sizes, one after another (fresh Pis for each)
#   LIMIT=0        replay only the first LIMIT trace lines (0: all)
#   MAX_SECONDS=300  hard stop of one Pi
#   PINETBOOT=./pinetboot  TRACE=bench/traces/debian12-boot.tsv.gz
#   TREE=DIR       the image tree (default: tests/guest/debian-tree.sh)
#   OUTD=build/bench  where the .raw and .md go
# Output: one "PI ..." line per Pi in build/bench/nfs-storm.raw, the table on
# stdout and in build/bench/nfs-storm.md. Exit 1 when any Pi had an error.
# Root needed (namespaces).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integ/lib.sh
. "$HERE/../tests/integ/lib.sh"
NS=${NS:-5 25}
LIMIT=${LIMIT:-0}
MAX_SECONDS=${MAX_SECONDS:-300}
BIN=${PINETBOOT:-$PNB_ROOT/pinetboot}
TRACE=${TRACE:-$PNB_ROOT/bench/traces/debian12-boot.tsv.gz}
ST=$PNB_ROOT/build/bench/nfs_storm
OUTD=${OUTD:-$PNB_ROOT/build/bench}
die() { echo "nfs-storm.sh: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no $BIN (make pinetboot)"
[ -x "$ST" ] || die "no $ST (make build/bench/nfs_storm)"
mkdir -p "$OUTD"
TREE=${TREE:-$("$PNB_ROOT/tests/guest/debian-tree.sh")} || die "debian-tree.sh failed"
T=$PNB_TMP/trace.tsv
if [ "$LIMIT" -gt 0 ]; then
	zcat "$TRACE" | head -n $((LIMIT + 1)) >"$T"
else
	zcat "$TRACE" >"$T"
fi

netns_lan srv || die "namespaces"
SRV_IP=$(ip_of srv)
DATA=$(mk_tmpdir)/data
"$BIN" init --data "$DATA" >/dev/null || die "init"
t0=$(date +%s)
"$BIN" image import deb12 --from "$TREE" --data "$DATA" >/dev/null 2>&1 || die "image import"
echo "# image import: $(($(date +%s) - t0)) s" >&2
# Pis for every run up front (serve reads them at start): run r, Pi i.
declare -A PI_ID=() PI_NS=()
r=0
for n in $NS; do
	r=$((r + 1))
	for ((i = 1; i <= n; i++)); do
		mac=$(printf 'dc:a6:32:%02x:%02x:%02x' "$r" $((i / 256)) $((i % 256)))
		id=${mac//:/-}
		netns_lan "r${r}p$i" || die "namespace r${r}p$i"
		"$BIN" add "$mac" --image deb12 --data "$DATA" >/dev/null 2>&1 || die "add $mac"
		printf 'address = %s\n' "$(ip_of "r${r}p$i")" >>"$DATA/clients/$id/client.conf"
		PI_ID[$r.$i]=$id
		(cd "$DATA/clients/$id/upper/root" && find . -mindepth 1 -printf '%P\n') >"$PNB_TMP/before.$id"
		PI_NS[$r.$i]=r${r}p$i
	done
done
start_bg srv ns_exec srv "$BIN" serve --data "$DATA" --dhcp off --nfs on --http-listen off \
	--tftp-port $((20000 + PNB_SUBNET))
wait_for ns_exec srv ss -Hltn "sport = :2049" 30 && wait_for ns_exec srv ss -Hltn "sport = :111" 30 ||
	die "serve did not start: $(tail -n 5 "$PNB_TMP/srv.log")"
# serve listens before it has mounted every Pi's overlay (in its own mount
# namespace); a MOUNT before that is reset. Wait for all of them.
SRVPID=$(bg_pid srv)
for k in "${!PI_ID[@]}"; do
	wait_for nsenter -t "$SRVPID" -m mountpoint -q "$DATA/clients/${PI_ID[$k]}/root" 60 ||
		die "serve did not mount ${PI_ID[$k]}: $(tail -n 5 "$PNB_TMP/srv.log")"
done
RAW=$OUTD/nfs-storm.raw
MD=$OUTD/nfs-storm.md
: >"$RAW"
{
	echo "| server | N | trace calls | wall s | Pi secs p50 / max | call p50 ms (median Pi) | call p99 ms (worst Pi) | errors | extra LOOKUPs | reconnects | upper layers MB |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
} >"$MD"
bad=0
r=0
for n in $NS; do
	r=$((r + 1))
	pids=()
	ts=$(date +%s.%N)
	for ((i = 1; i <= n; i++)); do
		ns_exec "${PI_NS[$r.$i]}" timeout "$MAX_SECONDS" "$ST" -s "$SRV_IP" -e "/clients/${PI_ID[$r.$i]}" \
			-t "$T" -i "${PI_ID[$r.$i]}" >"$PNB_TMP/pi.$r.$i.out" 2>"$PNB_TMP/pi.$r.$i.err" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	te=$(date +%s.%N)
	for ((i = 1; i <= n; i++)); do
		if grep -q '^PI ' "$PNB_TMP/pi.$r.$i.out"; then
			sed "s/^/N=$n /" "$PNB_TMP/pi.$r.$i.out" >>"$RAW"
		else
			echo "N=$n PI id=${PI_ID[$r.$i]} FAILED $(tail -n 3 "$PNB_TMP/pi.$r.$i.err" | tr '\n' ' ')" >>"$RAW"
		fi
		head -n 5 "$PNB_TMP/pi.$r.$i.err" | sed "s/^/# ${PI_ID[$r.$i]}: /" >&2
	done
	# No file only read may sit in a Pi's upper layer (a copy-up on read).
	ro=0
	for ((i = 1; i <= n; i++)); do
		id=${PI_ID[$r.$i]}
		if ! python3 "$HERE/nfs-storm/upper-check.py" "$T" "$PNB_TMP/before.$id" \
			"$DATA/clients/$id/upper/root" >"$PNB_TMP/upper.$id" 2>&1; then
			ro=$((ro + 1))
			bad=1
			{ echo "# $id:"; tail -n 6 "$PNB_TMP/upper.$id"; } >&2
		fi
	done
	echo "# N=$n: $ro Pis with files only read in their upper layer ($(tail -n 1 "$PNB_TMP/upper.${PI_ID[$r.1]}"))" >&2
	up=0
	for ((i = 1; i <= n; i++)); do
		u=$(du -sb "$DATA/clients/${PI_ID[$r.$i]}/upper" 2>/dev/null | cut -f1)
		up=$((up + ${u:-0}))
	done
	line=$(grep "^N=$n " "$RAW" | python3 -c '
import sys, statistics
n, wall, up, calls = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows, failed = [], 0
for l in sys.stdin:
    if " FAILED" in l:
        failed += 1; continue
    rows.append(dict(kv.split("=", 1) for kv in l.split()[1:] if "=" in kv))
errs = sum(int(r["errors"]) for r in rows) + failed
secs = [float(r["secs"]) for r in rows] or [0]
p50 = statistics.median([float(r["p50_ms"]) for r in rows]) if rows else 0
p99 = max([float(r["p99_ms"]) for r in rows] or [0])
xl = sum(int(r["extra_lookups"]) for r in rows)
rc = sum(int(r.get("reconnects", 0)) for r in rows)
print("| pinetboot | %d | %s | %.1f | %.1f / %.1f | %.2f | %.1f | %d%s | %d | %d | %.1f |" % (
    n, calls, wall, statistics.median(secs), max(secs), p50, p99, errs,
    " (%d Pis failed)" % failed if failed else "", xl, rc, up / 1e6))
sys.exit(1 if errs else 0)
' "$n" "$(echo "$te - $ts" | bc)" "$up" "$(($(wc -l <"$T") - 1))")
	rc=$?
	echo "$line" >>"$MD"
	[ "$rc" = 0 ] || bad=1
done
cat "$MD"
exit "$bad"
