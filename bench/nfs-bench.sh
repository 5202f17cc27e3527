#!/bin/bash
# nfs-bench.sh - NFSv3 server benchmark: pinetboot against nfs-ganesha (FSAL
# VFS), both exporting the same tree, one after the other in the same run,
# measured by the same libnfs client (build/bench/nfs_bench) from a second
# network namespace over a veth pair.
#
#   sudo bench/nfs-bench.sh                 (make bench-nfs builds and runs it)
#   SERVERS="ganesha" bench/nfs-bench.sh    only some servers
#   D=4 QUICK=1 ...                         seconds per timed test; QUICK=1: 64 MB files, 2 s tests, 1 round
#   REPEAT=3                                rounds; servers alternate each round; the table shows medians
#   TESTS="readdirplus getattr-q1"          only these tests (keys as in the raw file; default all)
#   PERF=1                                  perf record each server while it runs (build/bench/perf.<server>.data)
#
# Results: Markdown table on stdout and in build/bench/nfs-bench.md; raw
# client lines in build/bench/nfs-bench.raw; server logs in
# build/bench/nfs-server.<server>.log. Whole run bounded by TOTAL_SECONDS
# (default 450); tests that would start after it are skipped (noted).
set -u
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/../tests/integ/lib.sh"
# shellcheck source=tests/guest/nfs-servers.sh
. "$PNB_ROOT/tests/guest/nfs-servers.sh"

SERVERS=${SERVERS:-"ganesha pinetboot"}
QUICK=${QUICK:-0}
D=${D:-4}
BIG_MB=${BIG_MB:-512}
REPEAT=${REPEAT:-3}
TESTS=${TESTS:-}
PERF=${PERF:-0}
[ "$QUICK" = 1 ] && D=2 BIG_MB=64 REPEAT=1
TOTAL_SECONDS=${TOTAL_SECONDS:-450}
PINETBOOT=${PINETBOOT:-$PNB_ROOT/pinetboot}
CLIENT=$PNB_ROOT/build/bench/nfs_bench
OUT=$PNB_ROOT/build/bench
CID=0badc0de
mkdir -p "$OUT"
RAW=$OUT/nfs-bench.raw
: >"$RAW"

require_root
require_cmd ganesha.nfsd rpcbind unshare python3
[ -x "$CLIENT" ] || {
	echo "nfs-bench: $CLIENT missing (make build/bench/nfs_bench; needs libnfs-dev)" >&2
	exit 1
}
T_BEGIN=$(date +%s)
# Every round runs the same pinetboot, even if ./pinetboot is rebuilt
# meanwhile: take a copy now.
PNB_BIN_NOTE=""
if [ -x "$PINETBOOT" ]; then
	cp "$PINETBOOT" "$PNB_TMP/pinetboot" && PINETBOOT=$PNB_TMP/pinetboot
	PNB_BIN_NOTE="pinetboot binary sha256 $(sha256sum "$PINETBOOT" | cut -c1-12)"
fi

# ---------------------------------------------------------------- data
DATA=$(mk_tmpdir)
ROOT=$DATA/clients/$CID/root
mkdir -p "$ROOT" "$DATA/boot" "$DATA/clients/$CID/boot"
echo "# nfs-bench: building the tree (${BIG_MB} MB file, 20k-entry dir, boot tree)" >&2
python3 - "$ROOT" "$BIG_MB" <<'PY'
import os, random, sys
root, big_mb = sys.argv[1], int(sys.argv[2])
rng = random.Random("pinetboot-nfs-bench")
with open(os.path.join(root, "big"), "wb") as f:
    block = rng.randbytes(1 << 20)
    for i in range(big_mb):
        f.write(block[i % 4096:] + block[:i % 4096])
open(os.path.join(root, "wfile"), "wb").close()
os.makedirs(os.path.join(root, "lk"))
for i in range(1000):
    open(os.path.join(root, "lk", "f%d" % i), "wb").close()
d = os.path.join(root, "dir20k")
os.makedirs(d)
for i in range(20000):
    open(os.path.join(d, "entry-%05d.conf" % i), "wb").close()
# A Debian-like /usr: 50 directories x 40 files, sizes log-normal around
# 16 KB (shared objects, scripts, locale data), capped at 2 MB.
for di in range(50):
    dd = os.path.join(root, "boot", "d%02d" % di)
    os.makedirs(dd)
    for fi in range(40):
        size = min(int(rng.lognormvariate(9.7, 1.4)), 2 << 20)
        with open(os.path.join(dd, "lib%02d-%02d" % (di, fi)), "wb") as f:
            f.write(rng.randbytes(size))
PY

# ---------------------------------------------------------------- network
netns_lan srv cli || exit 1
SRV_IP=$(ip_of srv)
CLI_IP=$(ip_of cli)
printf 'name = bench\naddress = %s\n' "$CLI_IP" >"$DATA/clients/$CID/client.conf"
EXPORT=/clients/$CID

declare -A RES=()
NOTES=()

# run_test SERVER KEY ARGS...: one nfs_bench run; its RESULT fields are
# appended to RES[SERVER:KEY:field] (one value per round).
run_test() {
	local srv=$1 key=$2 line f
	shift 2
	if [ -n "$TESTS" ] && [[ " $TESTS " != *" $key "* ]]; then
		return
	fi
	if [ $(($(date +%s) - T_BEGIN)) -ge "$TOTAL_SECONDS" ]; then
		NOTES+=("$srv $key: skipped (TOTAL_SECONDS=$TOTAL_SECONDS reached)")
		return
	fi
	line=$(ns_exec cli timeout 120 "$CLIENT" -s "$SRV_IP" -e "$EXPORT" "$@" 2>>"$RAW")
	echo "$srv $key round=$ROUND $line" >>"$RAW"
	echo "# $srv $key round $ROUND: ${line:-FAILED}" >&2
	case $line in
	RESULT*) ;;
	*)
		NOTES+=("$srv $key: failed (see build/bench/nfs-bench.raw)")
		return
		;;
	esac
	for f in $line; do
		case $f in
		errors=0) ;;
		errors=*) NOTES+=("$srv $key round $ROUND: ${f#errors=} calls failed: result not valid") ;;
		*=*) RES[$srv:$key:${f%%=*}]="${RES[$srv:$key:${f%%=*}]:-} ${f#*=}" ;;
		esac
	done
}

start_server() {
	case $1 in
	ganesha)
		ganesha_start nfsd srv "$EXPORT=$ROOT" "/boot/$CID=$DATA/clients/$CID/boot"
		;;
	pinetboot)
		if ! pinetboot_ready "$PINETBOOT"; then
			NOTES+=("pinetboot: $PINETBOOT missing or without serve --data: skipped")
			return 1
		fi
		start_bg nfsd ns_exec srv "$PINETBOOT" serve --data "$DATA" --nfs on --dhcp off
		wait_for nfs_ready srv 20
		;;
	esac
	if ! nfs_ready srv || ! bg_alive nfsd; then
		NOTES+=("$1: did not start serving NFS (TCP 111 + 2049): $(tail -n 3 "$PNB_TMP/nfsd.log" | tr '\n' ' ')")
		cp "$PNB_TMP/nfsd.log" "$OUT/nfs-server.$1.log" 2>/dev/null
		nfs_server_stop nfsd 2>/dev/null
		return 1
	fi
}

SERVERS_RUN=()
declare -A STARTED=()
for ((ROUND = 1; ROUND <= REPEAT; ROUND++)); do
	for S in $SERVERS; do
		# The same warm page cache for every server.
		cat "$ROOT/big" "$ROOT"/boot/*/* >/dev/null
		[ "${STARTED[$S]:-}" = failed ] && continue
		if ! start_server "$S"; then
			STARTED[$S]=failed
			continue
		fi
		[ -z "${STARTED[$S]:-}" ] && SERVERS_RUN+=("$S")
		STARTED[$S]=yes
		echo "# nfs-bench: $S (pid $(bg_pid nfsd))" >&2
		PERF_PID=
		if [ "$PERF" = 1 ]; then
			perf record -q -F 2000 -g -p "$(serving_pid "$(bg_pid nfsd)")" -o "$OUT/perf.$S.data" 2>/dev/null &
			PERF_PID=$!
			sleep 0.5
		fi
		for q in 1 32; do
			run_test "$S" "getattr-q$q" -T getattr -q "$q" -d "$D" -f lk/f1
			run_test "$S" "lookup-hit-q$q" -T lookup-hit -q "$q" -d "$D"
			run_test "$S" "lookup-miss-q$q" -T lookup-miss -q "$q" -d "$D"
		done
		run_test "$S" read-q1 -T read -q 1 -d 60 -f big -z "$BIG_MB" -c 1024
		run_test "$S" read-q4 -T read -q 4 -d 60 -f big -z "$BIG_MB" -c 1024
		truncate -s 0 "$ROOT/wfile"
		run_test "$S" write-unstable -T write -q 4 -d 60 -f wfile -z "$BIG_MB" -c 1024 -w unstable
		truncate -s 0 "$ROOT/wfile"
		run_test "$S" write-filesync -T write -q 4 -d 60 -f wfile -z "$BIG_MB" -c 1024 -w filesync
		truncate -s 0 "$ROOT/wfile"
		run_test "$S" readdirplus -T readdirplus -d "$D" -f dir20k
		run_test "$S" replay-q8 -T replay -q 8 -d $((D * 2)) -f boot
		if [ -n "$PERF_PID" ]; then
			kill -INT "$PERF_PID"
			wait "$PERF_PID"
		fi
		hwm=$(vm_hwm_kb "$(serving_pid "$(bg_pid nfsd)")")
		[ "${hwm:-0}" -gt "${RES[$S:rss]:-0}" ] && RES[$S:rss]=$hwm
		nfs_server_stop nfsd 10
		cp "$PNB_TMP/nfsd.log" "$OUT/nfs-server.$S.log" 2>/dev/null
	done
done

# ---------------------------------------------------------------- table
# val SERVER KEY FIELD: median of the rounds.
val() {
	local v=${RES[$1:$2:$3]:-}
	[ -n "$v" ] || return 0
	# shellcheck disable=SC2086 # one value per word
	printf '%s\n' $v | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() {
	if [ -n "$1" ] && [ -n "$2" ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "-" }'
	else
		echo "-"
	fi
}
table() {
	local rows=(
		"getattr-q1:ops_s:GETATTR, 1 in flight (ops/s)"
		"getattr-q32:ops_s:GETATTR, 32 in flight (ops/s)"
		"lookup-hit-q1:ops_s:LOOKUP hit, 1 in flight (ops/s)"
		"lookup-hit-q32:ops_s:LOOKUP hit, 32 in flight (ops/s)"
		"lookup-miss-q1:ops_s:LOOKUP miss, 1 in flight (ops/s)"
		"lookup-miss-q32:ops_s:LOOKUP miss, 32 in flight (ops/s)"
		"read-q1:mb_s:sequential READ ${BIG_MB} MB, 1 MiB, 1 in flight (MB/s)"
		"read-q4:mb_s:sequential READ ${BIG_MB} MB, 1 MiB, 4 in flight (MB/s)"
		"write-unstable:mb_s:sequential WRITE ${BIG_MB} MB, 1 MiB UNSTABLE + COMMIT, 4 in flight (MB/s)"
		"write-filesync:mb_s:sequential WRITE ${BIG_MB} MB, 1 MiB FILE_SYNC, 4 in flight (MB/s)"
		"readdirplus:entries_s:READDIRPLUS of a 20k-entry dir, full listings (entries/s)"
		"replay-q8:ops_s:boot replay, 8 in flight (ops/s)"
		"replay-q8:mb_s:boot replay, 8 in flight (MB/s read)"
	)
	local r key field label g p
	echo "| test | ganesha | pinetboot | pinetboot/ganesha |"
	echo "|---|---:|---:|---:|"
	for r in "${rows[@]}"; do
		key=${r%%:*}
		field=${r#*:}
		field=${field%%:*}
		label=${r#*:*:}
		g=$(val ganesha "$key" "$field")
		p=$(val pinetboot "$key" "$field")
		echo "| $label | ${g:--} | ${p:--} | $(ratio "$p" "$g") |"
	done
	g=${RES[ganesha:rss]:-}
	p=${RES[pinetboot:rss]:-}
	echo "| server peak RSS, VmHWM (MB) | $([ -n "$g" ] && awk -v k="$g" 'BEGIN{printf "%.1f", k/1024}' || echo -) | $([ -n "$p" ] && awk -v k="$p" 'BEGIN{printf "%.1f", k/1024}' || echo -) | $(ratio "$p" "$g") |"
	echo
	echo "Servers run: ${SERVERS_RUN[*]:-none}. $(nproc) CPUs, $(uname -r), client and server in two"
	echo "network namespaces joined by a veth pair and a bridge; one TCP connection; client"
	echo "libnfs $(dpkg-query -W -f='${Version}' libnfs-dev 2>/dev/null); nfs-ganesha $(dpkg-query -W -f='${Version}' nfs-ganesha 2>/dev/null) (FSAL VFS, NFSv3)."
	echo "Medians of $REPEAT round(s), servers alternating; timed tests ${D} s each; READ/WRITE run"
	echo "through the whole file; RSS is the highest VmHWM of the rounds. Whole run: $(($(date +%s) - T_BEGIN)) s."
	echo "Command: \`sudo bench/nfs-bench.sh\` (REPEAT=$REPEAT D=$D BIG_MB=$BIG_MB). Load average at the end:"
	echo "$(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes the numbers noisy). $PNB_BIN_NOTE"
	local n
	for n in "${NOTES[@]}"; do
		echo "- $n"
	done
}
table | tee "$OUT/nfs-bench.md"
