#!/bin/bash
# tftp-storm.sh - boot-storm benchmark: build/bench/tftp_storm (N simulated
# Pi 4s) against pinetboot, dnsmasq (TFTP only) and tftpd-hpa, one after the
# other on port 69, all serving the same boot set, in the same run. Prints a
# Markdown table (also written to build/bench/tftp-storm.md) with wall time,
# MB/s, p50/p99 client completion, retransmits, failures, server CPU and RSS.
#
# Knobs (environment):
#   QUICK=1           only N=1 and N=20
#   SCENARIOS="..."   a subset of: n1 n20 n100 n200 n100b512 w16 loss
#   SERVERS="..."     a subset of: pinetboot dnsmasq tftpd-hpa
#   MAX_SECONDS=120   hard stop of one scenario (the storm's --max-seconds)
#   TOTAL_SECONDS=540 budget of the whole run: later storms get what is left
#                     (at least 10 s), and none starts once it is spent
#   REPEAT=1          runs per server and scenario; the table shows the run
#                     with the median wall time, and the wall range
#   SCALE=1           boot set size factor (tests/integ/lib.sh make_bootset)
#   PIN=0             1: server on CPU 0, storm client on CPU 1 (default off:
#                     in a VM the cross-CPU wakeup per packet costs 3-6x)
#   PINETBOOT=path    server binary (default ./pinetboot, the release build)
set -u -o pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
# shellcheck source=tests/integ/lib.sh
. tests/integ/lib.sh

if [ "$(id -u)" -ne 0 ]; then
	echo "tftp-storm: needs root (network namespaces, port 69)" >&2
	exit 1
fi
for c in dnsmasq /usr/sbin/in.tftpd python3 ss taskset; do
	command -v "$c" >/dev/null || { echo "tftp-storm: needs $c (tests/deps.sh)" >&2; exit 1; }
done

OUTDIR=$ROOT/build/bench
mkdir -p "$OUTDIR"
MD=$OUTDIR/tftp-storm.md
RAW=$OUTDIR/tftp-storm.raw
: >"$RAW"
MAX_SECONDS=${MAX_SECONDS:-120}
SCALE=${SCALE:-1}
PINETBOOT=${PINETBOOT:-$ROOT/pinetboot}
SERVERS=${SERVERS:-pinetboot dnsmasq tftpd-hpa}
if [ -n "${SCENARIOS:-}" ]; then
	:
elif [ "${QUICK:-0}" = 1 ]; then
	SCENARIOS="n1 n20"
else
	SCENARIOS="n1 n20 n100 n200 n100b512 w16 loss"
fi
NOTES=()

# scenario NAME -> "clients blksize window loss description"
scenario() {
	case $1 in
	n1) echo "1 1468 1 0 N=1 lock-step blksize 1468" ;;
	n20) echo "20 1468 1 0 N=20 lock-step blksize 1468" ;;
	n100) echo "100 1468 1 0 N=100 lock-step blksize 1468" ;;
	n200) echo "200 1468 1 0 N=200 lock-step blksize 1468" ;;
	n100b512) echo "100 512 1 0 N=100 lock-step blksize 512" ;;
	w16) echo "1 1468 16 0 N=1 windowsize 16" ;;
	loss) echo "8 1468 1 0.005 N=8 0.5% loss" ;;
	n500) echo "500 1468 1 0 N=500 lock-step blksize 1468" ;;
	*) return 1 ;;
	esac
}

# ---------------------------------------------------------------- build

if ! make -s build/bench/tftp_storm >"$OUTDIR/build.log" 2>&1; then
	# The library may be mid-change; the storm only needs the TFTP codec.
	NOTES+=("make build/bench/tftp_storm failed (see build/bench/build.log); built the client from bench/tftp_storm.c + src/tftp/tftp_proto.c only")
	cc -std=c11 -D_GNU_SOURCE -Isrc -Wall -Wextra -Werror -O2 -o build/bench/tftp_storm \
		bench/tftp_storm.c src/tftp/tftp_proto.c -lm || { echo "tftp-storm: cannot build the client" >&2; exit 1; }
fi
STORM=$ROOT/build/bench/tftp_storm
if [[ " $SERVERS " == *" pinetboot "* ]]; then
	[ "$PINETBOOT" = "$ROOT/pinetboot" ] && make -s pinetboot >>"$OUTDIR/build.log" 2>&1
	if ! pinetboot_ready "$PINETBOOT"; then
		NOTES+=("pinetboot skipped: $PINETBOOT is missing or has no 'serve --data' (see build/bench/build.log)")
		SERVERS=${SERVERS//pinetboot/}
	fi
fi

# ---------------------------------------------------------------- network
# A veth pair between a client and a server namespace, MTU 1500, rather than
# the server namespace's loopback: packets are Ethernet-sized (blksize 1468
# fills a 1500-byte frame exactly, as on a real LAN), servers that clamp
# blksize to the interface MTU (dnsmasq: MTU - 32) see a real MTU instead of
# lo's 65536, and ARP/neighbour state for hundreds of client addresses is
# exercised. Each simulated Pi sends from its own address (--src-base), as
# real Pis do, so servers that key anything by client IP are measured too.
SRVNS="${PNB_PREFIX}bsrv"
CLINS="${PNB_PREFIX}bcli"
NET="10.$PNB_SUBNET"
SRV=$NET.0.1
ip netns add "$SRVNS" && PNB_NETNS_LIST+=("$SRVNS")
ip netns add "$CLINS" && PNB_NETNS_LIST+=("$CLINS")
ip -n "$CLINS" link add eth0 mtu 1500 type veth peer name eth0 mtu 1500 netns "$SRVNS"
for n in "$SRVNS" "$CLINS"; do
	ip -n "$n" link set lo up
	ip -n "$n" link set eth0 up
done
ip -n "$SRVNS" addr add "$SRV/16" dev eth0
ip -n "$CLINS" addr add "$NET.0.2/16" dev eth0
MAXN=1
for s in $SCENARIOS; do
	read -r n _ < <(scenario "$s") || { echo "tftp-storm: unknown scenario $s" >&2; exit 1; }
	[ "$n" -gt "$MAXN" ] && MAXN=$n
done
# Client i sends from $NET.1.0 + i (one address per simulated Pi).
for ((i = 0; i < MAXN; i++)); do
	echo "addr add $NET.$((1 + i / 256)).$((i % 256))/16 dev eth0"
done | ip -n "$CLINS" -batch -

DATA=$PNB_TMP/data
BOOT=$DATA/boot
make_bootset "$BOOT" "$SCALE" || exit 1
PI4_MB=$(du -sm --apparent-size "$BOOT" | cut -f1)

SRV_CPU=""
CLI_CPU=""
if [ "${PIN:-0}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
	# Every server gets exactly one CPU (dnsmasq is single-threaded,
	# tftpd-hpa's forked children inherit the mask), the client another.
	# Off by default: on a 2-vCPU VM every lock-step packet then needs a
	# cross-CPU wakeup, which made all three servers 3-6x slower.
	SRV_CPU="taskset -c 0"
	CLI_CPU="taskset -c 1"
fi

# ---------------------------------------------------------------- CPU accounting
# Server CPU is read from a cpuacct cgroup the server is started in: it counts
# every descendant, including children that were never wait()ed for.
# tftpd-hpa forks one process per transfer and ignores SIGCHLD, so their time
# never reaches its cutime/cstime and /proc/PID/stat alone reports ~0. Without
# a writable cpuacct (v1) or cgroup2 hierarchy we fall back to /proc sums.
CG=""
for base in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ -f "$base/cpuacct.usage" ] || [ -f "$base/cgroup.controllers" ]; then
		if mkdir "$base/${PNB_PREFIX}tftp-storm" 2>/dev/null; then
			CG="$base/${PNB_PREFIX}tftp-storm"
			on_cleanup "rmdir '$CG' 2>/dev/null"
			break
		fi
	fi
done
[ -n "$CG" ] || NOTES+=("no writable cpuacct/cgroup2 hierarchy: server CPU from /proc (misses tftpd-hpa's auto-reaped children)")

# cg_cpu_ns: CPU nanoseconds used so far by everything in our cgroup.
cg_cpu_ns() {
	if [ -f "$CG/cpuacct.usage" ]; then
		cat "$CG/cpuacct.usage"
	else
		awk '$1 == "usage_usec" { printf "%d\n", $2 * 1000 }' "$CG/cpu.stat"
	fi
}

# IN_CG CMD...: joins the cgroup and execs CMD (same PID). It must come
# before "ip netns exec", which mounts a sysfs without our cgroup dirs.
IN_CG=()
# shellcheck disable=SC2016 # $$ and $@ belong to the inner sh
[ -n "$CG" ] && IN_CG=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG")

# ---------------------------------------------------------------- servers

start_server() {
	local name=$1
	case $name in
	pinetboot)
		# Its defaults (--max-transfers 2000, 64 per client address) are
		# above any scenario here, so none is raised.
		# shellcheck disable=SC2086
		start_bg srv "${IN_CG[@]}" ip netns exec "$SRVNS" $SRV_CPU "$PINETBOOT" serve --data "$DATA" \
			--dhcp off --answer all --log-level info
		;;
	dnsmasq)
		# --tftp-max: dnsmasq's default of 50 concurrent transfers makes
		# a 100-Pi storm fail (the 51st RRQ gets no answer), so it is
		# raised to 1000 to measure the server rather than its cap.
		# shellcheck disable=SC2086
		start_bg srv "${IN_CG[@]}" ip netns exec "$SRVNS" $SRV_CPU dnsmasq --no-daemon --conf-file=/dev/null \
			--port=0 --enable-tftp --tftp-root="$BOOT" --tftp-max=1000 \
			--listen-address="$SRV" --bind-interfaces --log-facility=- \
			--pid-file="$PNB_TMP/dnsmasq.pid"
		;;
	tftpd-hpa)
		# shellcheck disable=SC2086
		start_bg srv "${IN_CG[@]}" ip netns exec "$SRVNS" $SRV_CPU /usr/sbin/in.tftpd -L -s "$BOOT" -a "$SRV:69"
		;;
	esac
	wait_for udp_listening "$SRVNS" 69 10
}

# tree_stats PID: "cpu_ticks pss_kb hwm_kb" of PID and all its descendants:
# utime+stime+cutime+cstime (children reaped by the server, e.g. tftpd-hpa's
# per-transfer forks, land in cutime/cstime), summed Pss (shared pages
# counted once, unlike Rss) and the largest VmHWM in the tree (pinetboot's
# serving child under privilege separation; its root parent only keeps the
# mounts).
tree_stats() {
	awk -v root="$1" '
	function stat(pid,   line, f, n, rest) {
		if ((getline line < ("/proc/" pid "/stat")) <= 0) return 0
		close("/proc/" pid "/stat")
		rest = substr(line, index(line, ") ") + 2)   # comm may hold spaces
		n = split(rest, f, " ")
		parent[pid] = f[2]
		ticks[pid] = f[12] + f[13] + f[14] + f[15]
		return 1
	}
	function sumtree(pid,   c, t) {
		t = ticks[pid]
		for (c in parent) if (parent[c] == pid && c != pid) t += sumtree(c)
		return t
	}
	function psstree(pid,   c, t, line, f) {
		t = 0
		while ((getline line < ("/proc/" pid "/smaps_rollup")) > 0)
			if (line ~ /^Pss:/) { split(line, f, " "); t += f[2] }
		close("/proc/" pid "/smaps_rollup")
		for (c in parent) if (parent[c] == pid && c != pid) t += psstree(c)
		return t
	}
	function hwmtree(pid,   c, h, m, line, f) {
		m = 0
		while ((getline line < ("/proc/" pid "/status")) > 0)
			if (line ~ /^VmHWM:/) { split(line, f, " "); m = f[2] + 0 }
		close("/proc/" pid "/status")
		for (c in parent) if (parent[c] == pid && c != pid) { h = hwmtree(c); if (h > m) m = h }
		return m
	}
	BEGIN {
		while (("ls /proc" | getline d) > 0) if (d ~ /^[0-9]+$/) stat(d)
		close("ls /proc")
		print sumtree(root) + 0, psstree(root) + 0, hwmtree(root) + 0
	}'
}

# ---------------------------------------------------------------- run

CLK=$(getconf CLK_TCK)
declare -A R=()  # R[server,scenario,key]

# run_one SERVER SCENARIO REP: one storm against a fresh server; results
# in R[SERVER,SCENARIO.REP,key].
run_one() {
	local server=$1 sc=$2 rep=$3 n b w loss desc pid before after line st pss peak=0 rc
	read -r n b w loss desc < <(scenario "$sc")
	if ! start_server "$server"; then
		NOTES+=("$server did not start for $sc: $(tail -n 3 "$PNB_TMP/srv.log" | tr '\n' ' ')")
		stop_bg srv 2
		return
	fi
	pid=$(bg_pid srv)
	if [ -n "$CG" ]; then
		before=$(cg_cpu_ns)
	else
		read -r before _ < <(tree_stats "$pid")
	fi
	# Sample the tree's Pss while the storm runs (peak over the scenario).
	(
		while kill -0 "$pid" 2>/dev/null; do
			tree_stats "$pid" | cut -d' ' -f2 >>"$PNB_TMP/pss.$server.$sc.$rep"
			sleep 0.5
		done
	) &
	local sampler=$!
	PNB_PIDS[sampler]=$sampler
	# shellcheck disable=SC2086
	line=$(ip netns exec "$CLINS" timeout $((STORM_SECONDS + 30)) $CLI_CPU "$STORM" \
		--server "$SRV" --clients "$n" --blksize "$b" --window "$w" --loss "$loss" \
		--verify "$BOOT" --max-seconds "$STORM_SECONDS" --src-base "$NET.1.0" --src-count "$n" \
		2>"$PNB_TMP/storm.$server.$sc.err" | tail -n 1)
	rc=$?
	read -r after pss st < <(tree_stats "$pid")
	[ -n "$CG" ] && after=$(cg_cpu_ns)
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	unset "PNB_PIDS[sampler]"
	peak=$(sort -n "$PNB_TMP/pss.$server.$sc.$rep" 2>/dev/null | tail -n 1)
	[ -n "$peak" ] || peak=$pss
	if ! bg_alive srv; then
		NOTES+=("$server died during $sc: $(tail -n 5 "$PNB_TMP/srv.log" | tr '\n' ' ')")
	fi
	stop_bg srv 5
	cp "$PNB_TMP/srv.log" "$OUTDIR/server.$server.$sc.log" 2>/dev/null
	echo "$server $sc#$rep rc=$rc $line" >>"$RAW"
	sed 's/^/    /' "$PNB_TMP/storm.$server.$sc.err" | head -n 5 >>"$RAW"
	echo "  $server $sc#$rep: $line" >&2
	local kv k v
	for kv in $line; do
		k=${kv%%=*}
		v=${kv#*=}
		R[$server,$sc.$rep,$k]=$v
	done
	local unit=$CLK
	[ -n "$CG" ] && unit=1000000000
	R[$server,$sc.$rep,cpu_s]=$(awk -v a="$before" -v b="$after" -v c="$unit" 'BEGIN { printf "%.2f", (b - a) / c }')
	R[$server,$sc.$rep,hwm_mb]=$(awk -v k="$st" 'BEGIN { printf "%.1f", k / 1024 }')
	R[$server,$sc.$rep,pss_mb]=$(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }')
	[ -n "$line" ] || NOTES+=("$server $sc: no result line from tftp_storm (exit $rc)")
}

REPEAT=${REPEAT:-1}
TOTAL_SECONDS=${TOTAL_SECONDS:-540}
KEYS="wall_s mbps p50_s p99_s client_retransmits failures cpu_s hwm_mb pss_mb bytes steps_per_client client_cpu_s"
t_start=$(date +%s)
for sc in $SCENARIOS; do
	for ((rep = 1; rep <= REPEAT; rep++)); do
		for server in $SERVERS; do
			left=$((TOTAL_SECONDS - ($(date +%s) - t_start)))
			if [ "$left" -lt 10 ]; then
				NOTES+=("$server $sc run $rep skipped: TOTAL_SECONDS=$TOTAL_SECONDS spent")
				continue
			fi
			echo "tftp-storm: $server $sc run $rep/$REPEAT ..." >&2
			STORM_SECONDS=$((left < MAX_SECONDS ? left : MAX_SECONDS))
			run_one "$server" "$sc" "$rep"
		done
	done
	# Keep the run with the median wall time (servers interleaved, so a
	# noisy neighbour hits them alike) and note the spread.
	for server in $SERVERS; do
		mid=$(for ((rep = 1; rep <= REPEAT; rep++)); do
			echo "${R[$server,$sc.$rep,wall_s]:-999999} $rep"
		done | sort -n | sed -n "$(((REPEAT + 1) / 2))p" | cut -d' ' -f2)
		for k in $KEYS; do
			[ -n "${R[$server,$sc.$mid,$k]:-}" ] && R[$server,$sc,$k]=${R[$server,$sc.$mid,$k]}
		done
		R[$server,$sc,wall_range]=$(for ((rep = 1; rep <= REPEAT; rep++)); do
			echo "${R[$server,$sc.$rep,wall_s]:--}"
		done | sort -n | sed -n '1p;$p' | paste -sd- -)
	done
done
t_total=$(($(date +%s) - t_start))

# ---------------------------------------------------------------- report

# val SERVER SCENARIO KEY: the value or "-".
val() { echo "${R[$1,$2,$3]:--}"; }

# cpu_per_mb SERVER SCENARIO: server CPU ms per MB delivered.
cpu_per_mb() {
	local cpu bytes
	cpu=$(val "$1" "$2" cpu_s)
	bytes=$(val "$1" "$2" bytes)
	[ "$cpu" = - ] || [ "$bytes" = - ] || [ "$bytes" = 0 ] && { echo -; return; }
	awk -v c="$cpu" -v b="$bytes" 'BEGIN { printf "%.2f", c * 1000 / (b / 1e6) }'
}

ratio() {
	[ "$1" = - ] || [ "$2" = - ] && { echo n/a; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

{
	echo "# TFTP boot storm"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs$([ -n "$SRV_CPU" ] && echo ", server pinned to CPU 0, client to CPU 1"),"
	echo "veth pair MTU 1500 between two namespaces, one source address per simulated Pi."
	echo "Boot set: tests/integ/lib.sh make_bootset (scale $SCALE, ${PI4_MB} MB on disk incl. Pi 3/5 files);"
	echo "each Pi runs the Pi 4 sequence of docs section 4.3 ($(val "${SERVERS%% *}" "${SCENARIOS%% *}" steps_per_client) requests:"
	echo "serial-prefix probes, missing-file probes, tsize probes with Early terminate, downloads),"
	echo "1 s client retransmit timer, 30 s per-file timeout like the Pi EEPROM. Total run ${t_total} s."
	echo "dnsmasq runs with --tftp-max=1000 (its default cap of 50 transfers fails a 100-Pi storm)."
	echo "dnsmasq and tftpd-hpa do not implement windowsize (RFC 7440): their w16 rows are lock-step."
	echo
	[ "$REPEAT" -gt 1 ] && echo "Each row is the median-wall run of $REPEAT; \"wall range\" is min-max over them."
	echo
	WR="| wall range "
	WRSEP="---:|"
	[ "$REPEAT" -gt 1 ] || { WR=""; WRSEP=""; }
	echo "| server | scenario | wall s ${WR}| MB/s | p50 s | p99 s | client retx | failures | server CPU s | CPU ms/MB | peak RSS MB (VmHWM) | peak tree PSS MB | client CPU s |"
	echo "|---|---|---:|${WRSEP}---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for sc in $SCENARIOS; do
		read -r _ _ _ _ desc < <(scenario "$sc")
		for server in $SERVERS; do
			echo "| $server | $desc | $(val "$server" "$sc" wall_s) $([ -n "$WR" ] && echo "| $(val "$server" "$sc" wall_range) ")| $(val "$server" "$sc" mbps) | $(val "$server" "$sc" p50_s) | $(val "$server" "$sc" p99_s) | $(val "$server" "$sc" client_retransmits) | $(val "$server" "$sc" failures) | $(val "$server" "$sc" cpu_s) | $(cpu_per_mb "$server" "$sc") | $(val "$server" "$sc" hwm_mb) | $(val "$server" "$sc" pss_mb) | $(val "$server" "$sc" client_cpu_s) |"
		done
	done
	if [[ " $SERVERS " == *" pinetboot "* ]]; then
		echo
		echo "Ratios (pinetboot / peer; below 1 is better for pinetboot):"
		echo
		echo "| scenario | wall vs dnsmasq | wall vs tftpd-hpa | CPU/MB vs dnsmasq | CPU/MB vs tftpd-hpa |"
		echo "|---|---:|---:|---:|---:|"
		for sc in $SCENARIOS; do
			read -r _ _ _ _ desc < <(scenario "$sc")
			echo "| $desc | $(ratio "$(val pinetboot "$sc" wall_s)" "$(val dnsmasq "$sc" wall_s)") | $(ratio "$(val pinetboot "$sc" wall_s)" "$(val tftpd-hpa "$sc" wall_s)") | $(ratio "$(cpu_per_mb pinetboot "$sc")" "$(cpu_per_mb dnsmasq "$sc")") | $(ratio "$(cpu_per_mb pinetboot "$sc")" "$(cpu_per_mb tftpd-hpa "$sc")") |"
		done
	fi
	if [ ${#NOTES[@]} -gt 0 ]; then
		echo
		echo "Notes:"
		printf -- '- %s\n' "${NOTES[@]}"
	fi
} | tee "$MD"
echo "tftp-storm: wrote $MD (raw lines: $RAW)" >&2
