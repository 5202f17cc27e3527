#!/bin/bash
# nfs-storm.sh - N simulated Pis replay the recorded NFSv3 calls of a real
# Debian 12 boot (bench/traces/debian12-boot.tsv.gz) at once, each on its own
# overlay root (init, image import of the Debian tree of
# tests/guest/debian-tree.sh, add) and from its own network namespace and
# address (client.conf `address =`), against `pinetboot serve` and, with
# SERVERS="pinetboot ganesha", nfs-ganesha (FSAL VFS, one EXPORT per Pi over
# the same kind of overlay mount, same options as pinetboot's).
#
#   NS="5 25"        storm sizes (fresh Pis for every server and size)
#   SERVERS=pinetboot  "pinetboot ganesha": pinetboot's runs first, then
#                    serve stops and ganesha serves the other Pis
#   LIMIT=0          replay only the first LIMIT trace lines (0: all)
#   MAX_SECONDS=300  hard stop of one Pi
#   PINETBOOT=./pinetboot  TRACE=bench/traces/debian12-boot.tsv.gz
#   TREE=DIR         the image tree (default: tests/guest/debian-tree.sh)
#   OUTD=build/bench where nfs-storm.raw (one "PI ..." line per Pi) and
#                    nfs-storm.md (the table, also on stdout) go
#   PERF=1           perf record the server during each storm
#                    (OUTD/perf.<server>.<N>.data)
# Exit 1 when any Pi had an error or an upper layer holds a file only read.
# Root needed (namespaces).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integ/lib.sh
. "$HERE/../tests/integ/lib.sh"
# shellcheck source=tests/guest/nfs-servers.sh
. "$PNB_ROOT/tests/guest/nfs-servers.sh"
NS=${NS:-5 25}
SERVERS=${SERVERS:-pinetboot}
LIMIT=${LIMIT:-0}
MAX_SECONDS=${MAX_SECONDS:-300}
PERF=${PERF:-0}
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
RUNS=()
r=0
for srv in $SERVERS; do
	for n in $NS; do
		r=$((r + 1))
		RUNS+=("$r $srv $n")
		for ((i = 1; i <= n; i++)); do
			mac=$(printf 'dc:a6:32:%02x:%02x:%02x' "$r" $((i / 256)) $((i % 256)))
			id=${mac//:/-}
			netns_lan "r${r}p$i" || die "namespace r${r}p$i"
			"$BIN" add "$mac" --image deb12 --data "$DATA" >/dev/null 2>&1 || die "add $mac"
			printf 'address = %s\n' "$(ip_of "r${r}p$i")" >>"$DATA/clients/$id/client.conf"
			(cd "$DATA/clients/$id/upper/root" && find . -mindepth 1 -printf '%P\n') >"$PNB_TMP/before.$id"
			PI_ID[$r.$i]=$id
			PI_NS[$r.$i]=r${r}p$i
		done
	done
done

start_pinetboot() {
	start_bg nfsd ns_exec srv "$BIN" serve --data "$DATA" --dhcp off --nfs on --http-listen off \
		--tftp-port $((20000 + PNB_SUBNET))
	wait_for nfs_ready srv 30 || die "serve did not start: $(tail -n 5 "$PNB_TMP/nfsd.log")"
	# serve listens before it has mounted every Pi's overlay (in its own
	# mount namespace); a MOUNT before that is reset. Wait for all.
	local k pid
	pid=$(bg_pid nfsd)
	for k in "${!PI_ID[@]}"; do
		wait_for nsenter -t "$pid" -m mountpoint -q "$DATA/clients/${PI_ID[$k]}/root" 60 ||
			die "serve did not mount ${PI_ID[$k]}: $(tail -n 5 "$PNB_TMP/nfsd.log")"
	done
}

# start_ganesha R N: the overlays of run R's N Pis, mounted here (the
# private mount namespace ganesha_start makes copies them; unmounted at
# exit), one EXPORT each. A new ganesha for every run: with the Pis of an
# earlier run exported by the same ganesha, Pis of the second run saw files
# that Pis of the first had created (see bench/README.md).
start_ganesha() {
	local r=$1 n=$2 i id exports=() c
	{
		for ((i = 1; i <= n; i++)); do
			id=${PI_ID[$r.$i]}
			c=$DATA/clients/$id
			mount -t overlay overlay -o "noatime,nosuid,nodev,noexec,lowerdir=$DATA/images/deb12/root,upperdir=$c/upper/root,workdir=$c/upper/work,index=on,nfs_export=on" "$c/root" ||
				die "overlay for $id"
			on_cleanup "umount '$c/root'"
			exports+=("/clients/$id=$c/root")
		done
	}
	ganesha_start nfsd srv "${exports[@]}" || die "ganesha did not start: $(tail -n 5 "$PNB_TMP/nfsd.log")"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

RAW=$OUTD/nfs-storm.raw
MD=$OUTD/nfs-storm.md
: >"$RAW"
{
	echo "| server | N | trace calls | wall s | Pi secs p50 / max | call p50 ms (median Pi) | call p99 ms (worst Pi) | errors | extra LOOKUPs | reconnects | server CPU s | clients CPU s | server peak RSS MB | upper layers MB |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$MD"
bad=0
cur=
HZ=$(getconf CLK_TCK)
for run in "${RUNS[@]}"; do
	read -r r srv n <<<"$run"
	if [ "$srv" != "$cur" ] || [ "$srv" = ganesha ]; then
		[ -n "$cur" ] && nfs_server_stop nfsd 10
		case $srv in
		pinetboot) start_pinetboot ;;
		ganesha) start_ganesha "$r" "$n" ;;
		*) die "unknown server $srv" ;;
		esac
		cur=$srv
	fi
	spid=$(serving_pid "$(bg_pid nfsd)")
	perf_pid=
	if [ "$PERF" = 1 ]; then
		perf record -q -F 1000 -g -p "$spid" -o "$OUTD/perf.$srv.$n.data" 2>/dev/null &
		perf_pid=$!
		sleep 0.5
	fi
	c0=$(cpu_ticks "$spid")
	pids=()
	ts=$(date +%s.%N)
	for ((i = 1; i <= n; i++)); do
		ns_exec "${PI_NS[$r.$i]}" timeout "$MAX_SECONDS" "$ST" -s "$SRV_IP" -e "/clients/${PI_ID[$r.$i]}" \
			-t "$T" -i "${PI_ID[$r.$i]}" >"$PNB_TMP/pi.$r.$i.out" 2>"$PNB_TMP/pi.$r.$i.err" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	te=$(date +%s.%N)
	c1=$(cpu_ticks "$spid")
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid"
		wait "$perf_pid"
	fi
	cpu=$(awk -v a="${c0:-0}" -v b="${c1:-0}" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')
	rss=$(vm_hwm_kb "$spid")
	for ((i = 1; i <= n; i++)); do
		if grep -q '^PI ' "$PNB_TMP/pi.$r.$i.out"; then
			sed "s/^/server=$srv N=$n /" "$PNB_TMP/pi.$r.$i.out" >>"$RAW"
		else
			echo "server=$srv N=$n PI id=${PI_ID[$r.$i]} FAILED $(tail -n 3 "$PNB_TMP/pi.$r.$i.err" | tr '\n' ' ')" >>"$RAW"
		fi
		head -n 5 "$PNB_TMP/pi.$r.$i.err" | sed "s/^/# ${PI_ID[$r.$i]}: /" >&2
	done
	# No file only read may sit in a Pi's upper layer (a copy-up on read).
	ro=0
	up=0
	for ((i = 1; i <= n; i++)); do
		id=${PI_ID[$r.$i]}
		if ! python3 "$HERE/nfs-storm/upper-check.py" "$T" "$PNB_TMP/before.$id" \
			"$DATA/clients/$id/upper/root" >"$PNB_TMP/upper.$id" 2>&1; then
			ro=$((ro + 1))
			bad=1
			{ echo "# $id:"; tail -n 6 "$PNB_TMP/upper.$id"; } >&2
		fi
		u=$(du -sb "$DATA/clients/$id/upper/root" 2>/dev/null | cut -f1)
		up=$((up + ${u:-0}))
	done
	echo "# $srv N=$n: $ro Pis with files only read in their upper layer ($(tail -n 1 "$PNB_TMP/upper.${PI_ID[$r.1]}"))" >&2
	line=$(grep "^server=$srv N=$n " "$RAW" | python3 -c '
import sys, statistics
srv, n, wall, up, calls, cpu, rss = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
rows, failed = [], 0
for l in sys.stdin:
    if " FAILED" in l:
        failed += 1; continue
    rows.append(dict(kv.split("=", 1) for kv in l.split() if "=" in kv))
errs = sum(int(r["errors"]) for r in rows) + failed
secs = [float(r["secs"]) for r in rows] or [0]
p50 = statistics.median([float(r["p50_ms"]) for r in rows]) if rows else 0
p99 = max([float(r["p99_ms"]) for r in rows] or [0])
xl = sum(int(r["extra_lookups"]) for r in rows)
rc = sum(int(r.get("reconnects", 0)) for r in rows)
ccpu = sum(float(r.get("cpu_s", 0)) for r in rows)
print("| %s | %d | %s | %.1f | %.1f / %.1f | %.2f | %.1f | %d%s | %d | %d | %s | %.2f | %.0f | %.1f |" % (
    srv, n, calls, wall, statistics.median(secs), max(secs), p50, p99, errs,
    " (%d Pis failed)" % failed if failed else "", xl, rc, cpu, ccpu, int(rss or 0) / 1024, up / 1e6))
sys.exit(1 if errs else 0)
' "$srv" "$n" "$(awk -v a="$ts" -v b="$te" 'BEGIN { printf "%.3f", b - a }')" "$up" "$(($(wc -l <"$T") - 1))" "$cpu" "${rss:-0}")
	rc=$?
	echo "$line" >>"$MD"
	[ "$rc" = 0 ] || bad=1
done
[ -n "$cur" ] && nfs_server_stop nfsd 10
cat "$MD"
echo "$(date -u +%F) $(nproc) CPUs; trace $(basename "$TRACE") ($(($(wc -l <"$T") - 1)) calls); tree ${TREE#"$PNB_ROOT"/}" >>"$MD"
exit "$bad"
