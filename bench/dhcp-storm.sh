#!/bin/bash
# dhcp-storm.sh - full-DHCP benchmark: build/bench/dhcp_storm (N simulated
# clients, DISCOVER -> REQUEST, distinct MACs, W in flight) against
# pinetboot (dhcp = full, fdatasync'ed lease journal) and dnsmasq (its lease
# file, which it fsyncs on every change), one after the other in the same
# run and the same namespaces. Prints a Markdown table (also written to
# build/bench/dhcp-storm.md): leases/s, p50/p99 latency, failures, duplicates.
#
# Knobs (environment):
#   CLIENTS=1000     clients per storm
#   WINDOW=64        clients in flight
#   REPEAT=3         runs per server; the table shows the median run
#   PROBE=0          1: also run pinetboot and dnsmasq with their address
#                    conflict checks on (ARP 300 ms / dnsmasq's ICMP ping)
#   PINETBOOT=path   server binary (default ./pinetboot, the release build)
set -u -o pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
# shellcheck source=tests/integ/lib.sh
. tests/integ/lib.sh

if [ "$(id -u)" -ne 0 ]; then
	echo "dhcp-storm: needs root (network namespaces, port 67)" >&2
	exit 1
fi
command -v dnsmasq >/dev/null || { echo "dhcp-storm: needs dnsmasq (tests/deps.sh)" >&2; exit 1; }
STORM=$ROOT/build/bench/dhcp_storm
[ -x "$STORM" ] || { echo "dhcp-storm: build $STORM first (make bench)" >&2; exit 1; }
PINETBOOT=${PINETBOOT:-$ROOT/pinetboot}
CLIENTS=${CLIENTS:-1000}
WINDOW=${WINDOW:-64}
REPEAT=${REPEAT:-3}
OUTDIR=$ROOT/build/bench
mkdir -p "$OUTDIR"
MD=$OUTDIR/dhcp-storm.md
RAW=$OUTDIR/dhcp-storm.raw
: >"$RAW"

netns_lan server client
S=$PNB_SUBNET
# A /16 so the pool holds every client of the storm.
ns_exec server ip addr flush dev eth0
ns_exec server ip addr add "10.$S.0.1/16" dev eth0
ns_exec client ip addr flush dev eth0
LO="10.$S.1.0"
HI="10.$S.8.255"

# run_one NAME PROBE: start the server, run one storm, stop the server;
# appends the storm's summary line to $RAW.
run_one() {
	local name=$1 probe=$2 data
	data=$(mk_tmpdir)
	case $name in
	pinetboot)
		mkdir -p "$data/boot"
		local pms=0
		[ "$probe" = 1 ] && pms=300
		start_bg srv ns_exec server "$PINETBOOT" serve --data "$data" --interface eth0 --dhcp full \
			--dhcp-range "$LO,$HI" --dhcp-probe-ms "$pms" --dhcp-force on --log-level warn --tftp-port 6969
		;;
	dnsmasq)
		local ping=--no-ping
		[ "$probe" = 1 ] && ping=
		# shellcheck disable=SC2086 # $ping is empty or one flag
		start_bg srv ns_exec server dnsmasq --no-daemon --conf-file=/dev/null --port=0 --no-resolv \
			--no-hosts --bind-interfaces --interface=eth0 --dhcp-range="$LO,$HI,255.255.0.0,1h" \
			--dhcp-authoritative --dhcp-leasefile="$data/dnsmasq.leases" --pid-file="$data/dnsmasq.pid" \
			--dhcp-lease-max=100000 $ping --quiet-dhcp
		;;
	esac
	if ! wait_for udp_listening server 67 10; then
		echo "$name: server did not start: $(tail -3 "$PNB_TMP/srv.log")" >&2
		stop_bg srv
		return 1
	fi
	local line
	line=$(ns_exec client "$STORM" --interface eth0 --count "$CLIENTS" --window "$WINDOW" \
		--timeout 120 --label "$name" 2>&1 | tail -1)
	stop_bg srv
	echo "$name probe=$probe $line" | tee -a "$RAW" >&2
	if [ "$name" = dnsmasq ]; then
		# dnsmasq's durability: its lease file holds every client.
		echo "# dnsmasq lease file lines: $(wc -l <"$data/dnsmasq.leases")" >>"$RAW"
	else
		echo "# pinetboot journal bytes: $(stat -c %s "$data/leases.journal")" >>"$RAW"
	fi
}

field() { # field LINE KEY -> value after KEY
	awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}' <<<"$1"
}

# median_line NAME PROBE: the run with the median leases/s.
median_line() {
	grep "^$1 probe=$2 " "$RAW" | sort -t' ' -k1,1 | awk '{for (i = 1; i < NF; i++) if ($i == "leases_per_s") print $(i + 1), $0}' |
		sort -n | awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}' | cut -d' ' -f2-
}

modes="0"
[ "${PROBE:-0}" = 1 ] && modes="0 1"
for probe in $modes; do
	for ((r = 1; r <= REPEAT; r++)); do
		for name in pinetboot dnsmasq; do
			run_one "$name" "$probe"
		done
	done
done

{
	echo "# DHCP storm: $CLIENTS clients, DISCOVER -> REQUEST, $WINDOW in flight"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, median of $REPEAT runs; dnsmasq $(dnsmasq --version | head -1 | awk '{print $3}')."
	echo "Both servers make every lease durable before acknowledging it: pinetboot"
	echo "fdatasyncs its journal once per receive batch (group commit) before the"
	echo "batch's ACKs leave; dnsmasq truncates, rewrites and fsyncs its whole lease"
	echo "file after each request, before sending the reply (lease_update_file())."
	if [ "${PROBE:-0}" = 1 ]; then
		echo "With conflict checks the storm is closed-loop: $WINDOW clients in flight, each"
		echo "waiting for the check, so pinetboot tops out near $WINDOW / 0.3 s; dnsmasq pings"
		echo "for up to 3 s and the storm's clients give up after 8 tries (failed)."
	fi
	echo
	echo "| server | conflict check | acked | failed | leases/s | p50 ms | p99 ms | duplicates | vs dnsmasq |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for probe in $modes; do
		dl=$(median_line dnsmasq "$probe")
		dr=$(field "$dl" leases_per_s)
		for name in pinetboot dnsmasq; do
			l=$(median_line "$name" "$probe")
			[ -n "$l" ] || continue
			rate=$(field "$l" leases_per_s)
			ratio=$(awk -v a="$rate" -v b="$dr" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "-"}')
			chk="off"
			[ "$probe" = 1 ] && { [ "$name" = pinetboot ] && chk="ARP 300 ms" || chk="ICMP ping"; }
			echo "| $name | $chk | $(field "$l" acked) | $(field "$l" failed) | $rate | $(field "$l" p50_ms) | $(field "$l" p99_ms) | $(field "$l" duplicates) | $ratio |"
		done
	done
	echo
	echo "Raw runs: build/bench/dhcp-storm.raw"
} >"$MD"
cat "$MD"
