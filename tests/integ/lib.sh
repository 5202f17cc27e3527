# shellcheck shell=bash
# lib.sh - shared helpers for the integration tests (tests/integ/t_*.sh) and
# the TFTP benchmark. Source it; it does not run anything by itself.
#
# TAP:        ok DESC | fail DESC [DIAG...] | check DESC CMD... | skip_test DESC WHY
#             (numbering is automatic; no plan line; a skip prints "# SKIP",
#             never "ok", so a skipped test cannot count as passed)
# Gates:      require_root, require_cmd CMD... (skip locally, fail under CI=true)
# Network:    netns_lan NAME... (a bridge "switch" namespace plus one namespace
#             per NAME, addresses 10.$PNB_SUBNET.0.<n>/24), ns NAME, ip_of NAME,
#             ns_exec NAME CMD..., udp_listening NAME PORT
# Processes:  start_bg NAME CMD... (pid in PNB_PIDS[NAME], log in
#             $PNB_TMP/NAME.log), stop_bg NAME, wait_for CMD... TIMEOUT_S
# Servers:    router_dhcp NS IF START END (dnsmasq as the LAN's plain DHCP)
# Data:       make_bootset DIR [SCALE], tftp_raw NS IP PORT REQUEST [OUT]
# Cleanup:    an EXIT trap kills only the PIDs start_bg recorded, runs the
#             on_cleanup hooks, deletes the namespaces netns_lan made and the
#             temp dirs (KEEP_TMP=1 keeps them). Add work with on_cleanup CMD
#             rather than a trap of your own, which would replace ours.
#             Temp dir: $PNB_TMP. Host name "sw" is taken (the switch).

PNB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Names carry our PID so concurrent runs (and other engineers' runs on the
# same machine) never collide; the subnet differs too, for readable logs.
PNB_PREFIX="pnb-$$-"
PNB_SUBNET=$(($$ % 200 + 20))
PNB_TAP_N=0
PNB_HOST_N=0
declare -gA PNB_NS=() PNB_IP=() PNB_PIDS=()
PNB_NETNS_LIST=()

# Temp dir of this run. World-traversable on purpose: tftpd-hpa and dnsmasq
# drop to their own users and must still read the files we serve.
PNB_TMP=$(mktemp -d "/tmp/${PNB_PREFIX}XXXXXX")
chmod 755 "$PNB_TMP"

# ---------------------------------------------------------------- TAP

ok() {
	PNB_TAP_N=$((PNB_TAP_N + 1))
	echo "ok $PNB_TAP_N - $1"
}

# fail DESC [DIAG...]: a failed test; each DIAG line is printed as a TAP comment.
fail() {
	PNB_TAP_N=$((PNB_TAP_N + 1))
	echo "not ok $PNB_TAP_N - $1"
	shift
	local l d
	for l in "$@"; do
		while IFS= read -r d; do
			[ -n "$d" ] && echo "#   $d"
		done <<<"$l"
	done
}

# check DESC CMD...: run CMD (in a subshell: it cannot change our state);
# ok when it exits 0, otherwise not ok with the last lines of its output as
# diagnostics. Returns CMD's status. Note: TAP helpers must run in the main
# shell, not inside $(...), or the numbering is lost.
check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$desc"
	else
		fail "$desc" "command: $* (exit $rc)" "$(tail -n 15 <<<"$out")"
	fi
	return "$rc"
}

# skip_test DESC WHY: not run; deliberately not an "ok" line.
skip_test() {
	echo "# SKIP $1: $2"
}

# diag TEXT...: a TAP comment line.
diag() {
	echo "# $*"
}

# ---------------------------------------------------------------- gates

# _pnb_unmet WHY: local runs skip the whole script, CI fails it.
_pnb_unmet() {
	if [ "${CI:-}" = true ]; then
		echo "not ok - $1"
		exit 1
	fi
	echo "# SKIP $(basename "$0"): $1"
	exit 0
}

# require_root: uid 0 and the right to create network namespaces.
require_root() {
	[ "$(id -u)" -eq 0 ] || _pnb_unmet "needs root"
	ensure_pinetboot_user || _pnb_unmet "cannot create the user $PNB_USER"
	local probe="${PNB_PREFIX}probe"
	ip netns add "$probe" 2>/dev/null || _pnb_unmet "needs root (cannot create a network namespace)"
	ip netns del "$probe"
}

# ensure_pinetboot_user: serve runs its network-facing process as
# _pinetboot (privilege separation, README "Privileges"), as on an
# installed system where init or the package made it.
PNB_USER=_pinetboot
ensure_pinetboot_user() {
	getent passwd "$PNB_USER" >/dev/null ||
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$PNB_USER"
}

# need WHAT CMD...: a prerequisite of a long test; missing is a failure
# (then the test ends), never a skip.
need() {
	local what=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	fail "prerequisite: $what (run tests/deps.sh / make)"
	exit 1
}
can_netns() { [ "$(id -u)" = 0 ] && ip netns add "${PNB_PREFIX}probe" && ip netns del "${PNB_PREFIX}probe"; }

# require_overlay: the kernel has overlayfs (loaded if it is a module).
require_overlay() {
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
	grep -qw overlay /proc/filesystems || _pnb_unmet "no overlayfs in this kernel"
}

# require_cmd CMD...: every CMD must be on PATH.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || _pnb_unmet "needs $c (run tests/deps.sh)"
	done
}

# ---------------------------------------------------------------- network

# ns NAME: full namespace name for a short NAME (a full name passes through).
ns() {
	if [ -n "${PNB_NS[$1]:-}" ]; then
		echo "${PNB_NS[$1]}"
	else
		echo "$1"
	fi
}

# ip_of NAME: IPv4 address netns_lan gave to NAME.
ip_of() {
	echo "${PNB_IP[$1]:?no address for $1}"
}

# netns_lan NAME...: one switch namespace with bridge br0 (made on the first
# call) and, per NAME, a namespace whose eth0 is a veth to the bridge, with
# address 10.$PNB_SUBNET.0.<n>/24 (n counts hosts from 1 across calls) and lo
# up. Veths are created directly inside the namespaces so interface names
# never meet in the root namespace.
netns_lan() {
	local sw="${PNB_PREFIX}sw" name full port addr
	if [ -z "${PNB_NS[sw]:-}" ]; then
		ip netns add "$sw" || return 1
		PNB_NETNS_LIST+=("$sw")
		PNB_NS[sw]=$sw
		ip -n "$sw" link set lo up
		# STP off and no forward delay: ports forward as soon as they are up.
		ip -n "$sw" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
		ip -n "$sw" link set br0 up
	fi
	for name in "$@"; do
		PNB_HOST_N=$((PNB_HOST_N + 1))
		full="${PNB_PREFIX}$name"
		port="p$PNB_HOST_N"
		addr="10.$PNB_SUBNET.0.$PNB_HOST_N"
		ip netns add "$full" || return 1
		PNB_NETNS_LIST+=("$full")
		PNB_NS[$name]=$full
		PNB_IP[$name]=$addr
		ip -n "$full" link set lo up
		ip -n "$full" link add eth0 type veth peer name "$port" netns "$sw" || return 1
		ip -n "$sw" link set "$port" master br0
		ip -n "$sw" link set "$port" up
		ip -n "$full" addr add "$addr/24" dev eth0
		ip -n "$full" link set eth0 up
	done
}

# ns_exec NAME CMD...: run CMD inside NAME's namespace.
ns_exec() {
	local full
	full=$(ns "$1")
	shift
	ip netns exec "$full" "$@"
}

# udp_listening NAME PORT: something in NAME listens on UDP PORT.
udp_listening() {
	ns_exec "$1" ss -Hlun "sport = :$2" 2>/dev/null | grep -q .
}

# ---------------------------------------------------------------- processes

# start_bg NAME CMD...: start CMD in the background, output to
# $PNB_TMP/NAME.log, PID in PNB_PIDS[NAME]. "start_bg x ns_exec NS cmd..." is
# rewritten to exec "ip netns exec" directly, so the recorded PID is the
# program itself (ip netns exec execs it) and not a subshell.
start_bg() {
	local name=$1
	shift
	if [ "$1" = ns_exec ]; then
		local full
		full=$(ns "$2")
		shift 2
		set -- ip netns exec "$full" "$@"
	fi
	"$@" >"$PNB_TMP/$name.log" 2>&1 &
	PNB_PIDS[$name]=$!
}

bg_pid() {
	echo "${PNB_PIDS[$1]:?no background process $1}"
}

bg_alive() {
	local pid=${PNB_PIDS[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# stop_bg NAME [TIMEOUT_S]: SIGTERM, wait up to TIMEOUT_S (default 5), then
# SIGKILL. Returns the process's exit status (128+signal if killed).
stop_bg() {
	local name=$1 t=${2:-5} pid i rc
	pid=${PNB_PIDS[$name]:-}
	[ -n "$pid" ] || return 127
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	unset "PNB_PIDS[$name]"
	return "$rc"
}

# wait_for CMD... TIMEOUT_S: poll CMD every 0.1 s until it succeeds (0) or
# TIMEOUT_S seconds (integer) have passed (1).
wait_for() {
	local n=$# t i
	t=${!n}
	local cmd=("${@:1:n-1}")
	for ((i = 0; i < t * 10; i++)); do
		"${cmd[@]}" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"${cmd[@]}" >/dev/null 2>&1
}

# mk_tmpdir: another temp dir removed at exit; prints its path. Usually
# called as d=$(mk_tmpdir), i.e. in a subshell that cannot record anything,
# so cleanup removes every /tmp/$PNB_PREFIX* instead: $$ is the main shell's
# PID in subshells too, so the prefix names exactly this run's dirs.
mk_tmpdir() {
	local d
	d=$(mktemp -d "/tmp/${PNB_PREFIX}XXXXXX") || return 1
	chmod 755 "$d"
	echo "$d"
}

# on_cleanup CMD...: run CMD (one eval'd string) at exit, after the recorded
# processes are gone and before the namespaces are deleted.
PNB_CLEANUP_HOOKS=()
on_cleanup() {
	PNB_CLEANUP_HOOKS+=("$*")
}

cleanup() {
	local rc=$? name pid i left hook
	trap - EXIT INT TERM
	for name in "${!PNB_PIDS[@]}"; do
		pid=${PNB_PIDS[$name]}
		kill -TERM "$pid" 2>/dev/null
	done
	for name in "${!PNB_PIDS[@]}"; do
		pid=${PNB_PIDS[$name]}
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for hook in "${PNB_CLEANUP_HOOKS[@]}"; do
		eval "$hook"
	done
	for name in "${PNB_NETNS_LIST[@]}"; do
		left=$(ip netns pids "$name" 2>/dev/null | tr '\n' ' ')
		[ -n "$left" ] && echo "# cleanup: processes still in $name: $left" >&2
		ip netns del "$name" 2>/dev/null
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# cleanup: kept /tmp/${PNB_PREFIX}*" >&2
	else
		rm -rf "/tmp/${PNB_PREFIX}"?*
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- servers

# router_dhcp NS IF START END: dnsmasq as the LAN's ordinary DHCP server
# (addresses only: no DNS, no TFTP), in the foreground under start_bg as
# "dhcp-NS", offering at once (--no-ping: a 20-Pi boot storm must not wait
# 3 s per address). Its own conf (none), pid and lease files keep it away from the
# system dnsmasq configuration.
router_dhcp() {
	local nsn=$1 ifc=$2 lo=$3 hi=$4
	start_bg "dhcp-$nsn" ns_exec "$nsn" dnsmasq --no-daemon --conf-file=/dev/null \
		--port=0 --no-resolv --no-hosts --bind-interfaces --interface="$ifc" \
		--dhcp-range="$lo,$hi,255.255.255.0,1h" --dhcp-authoritative --no-ping \
		--dhcp-leasefile="$PNB_TMP/dhcp-$nsn.leases" --pid-file="$PNB_TMP/dhcp-$nsn.pid" \
		--log-dhcp --log-facility=-
	wait_for udp_listening "$nsn" 67 5
}

# pinetboot_bin: the sanitizer build when it exists, else ./pinetboot.
pinetboot_bin() {
	if [ -x "$PNB_ROOT/build/asan/pinetboot" ]; then
		echo "$PNB_ROOT/build/asan/pinetboot"
	else
		echo "$PNB_ROOT/pinetboot"
	fi
}

# pinetboot_ready BIN: BIN exists and has a "serve" that knows --data.
pinetboot_ready() {
	[ -x "$1" ] && "$1" serve --help 2>&1 | grep -q -- '--data'
}

# ---------------------------------------------------------------- data

# make_bootset DIR [SCALE]: a Raspberry Pi boot directory (Pi 3, 4 and 5
# firmware, kernels, device trees, overlays, config.txt, cmdline.txt). Binary
# files are seeded pseudo-random bytes, so every run creates identical files
# and a misplaced block cannot go unnoticed. SCALE (default 1) multiplies the
# binary sizes; at 1 the Pi 4 set is about 11 MB.
make_bootset() {
	local dir=$1 scale=${2:-1}
	mkdir -p "$dir/overlays" || return 1
	python3 - "$dir" "$scale" <<'EOF' || return 1
import os, random, sys
d, scale = sys.argv[1], float(sys.argv[2])
# Sizes close to Raspberry Pi OS (bookworm) firmware files.
binaries = [
    ("bootcode.bin", 52476), ("start.elf", 2981376), ("fixup.dat", 7314),
    ("start4.elf", 2253216), ("fixup4.dat", 5456), ("kernel8.img", 8388608),
    ("kernel_2712.img", 9437184), ("bcm2710-rpi-3-b.dtb", 32870),
    ("bcm2711-rpi-4-b.dtb", 52593), ("bcm2712-rpi-5-b.dtb", 78120),
    ("overlays/overlay_map.dtb", 5185), ("overlays/vc4-kms-v3d.dtbo", 3913),
    ("overlays/vc4-kms-v3d-pi4.dtbo", 4865), ("overlays/dwc2.dtbo", 1477),
    ("overlays/disable-bt.dtbo", 1073),
]
for name, size in binaries:
    # A str seed is hashed with SHA-512: stable across runs and Pythons.
    rng = random.Random("pinetboot-bootset:" + name)
    with open(os.path.join(d, name), "wb") as f:
        f.write(rng.randbytes(max(1, int(size * scale))))
texts = {
    "config.txt": "# netboot test config\n[all]\narm_64bit=1\nkernel=kernel8.img\n"
                  "dtoverlay=vc4-kms-v3d\ndtoverlay=dwc2\ndtoverlay=disable-bt\n"
                  "disable_overscan=1\nenable_uart=1\n[pi5]\nkernel=kernel_2712.img\n",
    "cmdline.txt": "console=serial0,115200 console=tty1 root=/dev/nfs "
                   "nfsroot=10.0.0.1:/srv/nfs/rpi,vers=3,tcp rw ip=dhcp rootwait\n",
}
for name, text in texts.items():
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
EOF
	chmod -R u+rwX,go+rX "$dir"
}

# tftp_raw NS IP PORT REQUEST [OUT]: send one raw TFTP packet from NS and
# report the first answer as one line: "ERROR <code> <msg>", "ACK <block>",
# "DATA bytes=<n> blocks=<n> sha256=<hex> oack=<k=v,...>" (the whole file
# was fetched, lock-step or per the OACK's windowsize; written to OUT if
# given), "OACK <k=v,...>" when TFTP_RAW_ABORT=1 (then answered like a Pi
# probe: ERROR 0 "Early terminate") or "TIMEOUT". REQUEST uses Python
# escapes, so NULs can go anywhere: '\x00\x01name\x00octet\x00'.
tftp_raw() {
	local nsn=$1 ip=$2 port=$3 req=$4 out=${5:-}
	_pnb_tftp_raw_py
	ns_exec "$nsn" timeout 60 python3 "$PNB_TMP/tftp_raw.py" "$ip" "$port" "$req" "$out"
}

_pnb_tftp_raw_py() {
	[ -f "$PNB_TMP/tftp_raw.py" ] && return 0
	cat >"$PNB_TMP/tftp_raw.py" <<'EOF'
import codecs, hashlib, os, socket, struct, sys
ip, port, req = sys.argv[1], int(sys.argv[2]), codecs.escape_decode(sys.argv[3].encode())[0]
out = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
wait = float(os.environ.get("TFTP_RAW_TIMEOUT", "3"))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(wait)
s.sendto(req, (ip, port))

def recv():
    try:
        return s.recvfrom(65536)
    except socket.timeout:
        return None, None

pkt, peer = recv()
if pkt is None:
    print("TIMEOUT"); sys.exit(0)
op = struct.unpack("!H", pkt[:2])[0] if len(pkt) >= 2 else 0
if op == 5:
    code = struct.unpack("!H", pkt[2:4])[0]
    print("ERROR %d %s" % (code, pkt[4:].split(b"\0")[0].decode("latin-1"))); sys.exit(0)
if op == 4:
    print("ACK %d" % struct.unpack("!H", pkt[2:4])[0]); sys.exit(0)
if op not in (3, 6):
    print("OTHER opcode=%d len=%d" % (op, len(pkt))); sys.exit(0)
if op == 3 and os.environ.get("TFTP_RAW_ABORT") == "1":
    s.sendto(struct.pack("!HH", 5, 0) + b"Early terminate\0", peer)
    print("DATA1 (no OACK)"); sys.exit(0)
blksize, window, oack = 512, 1, "-"
if op == 6:
    f = pkt[2:].split(b"\0")
    opts = {f[i].decode().lower(): f[i + 1].decode() for i in range(0, len(f) - 1, 2)}
    oack = ",".join("%s=%s" % kv for kv in sorted(opts.items())) or "empty"
    if os.environ.get("TFTP_RAW_ABORT") == "1":
        s.sendto(struct.pack("!HH", 5, 0) + b"Early terminate\0", peer)
        print("OACK " + oack); sys.exit(0)
    blksize = int(opts.get("blksize", 512)); window = int(opts.get("windowsize", 1))
    s.sendto(struct.pack("!HH", 4, 0), peer)
    pkt, _ = recv()
data, expect, got_in_window, last_ack, retries = bytearray(), 1, 0, struct.pack("!HH", 4, 0), 0
while True:
    if pkt is None:
        retries += 1
        if retries > 5:
            print("DATA-TIMEOUT bytes=%d" % len(data)); sys.exit(0)
        s.sendto(last_ack, peer); got_in_window = 0
        pkt, _ = recv(); continue
    op, blk = struct.unpack("!HH", pkt[:4])
    if op == 5:
        print("DATA-ERROR bytes=%d %s" % (len(data), pkt[4:].split(b"\0")[0].decode("latin-1"))); sys.exit(0)
    if op == 3 and blk == expect & 0xFFFF:
        retries = 0
        data += pkt[4:]; expect += 1; got_in_window += 1
        last = len(pkt) - 4 < blksize
        if last or got_in_window >= window:
            last_ack = struct.pack("!HH", 4, blk); s.sendto(last_ack, peer); got_in_window = 0
        if last:
            break
    elif op == 3:
        # RFC 7440: out of order inside a window, ACK what we have.
        s.sendto(last_ack, peer); got_in_window = 0
    pkt, _ = recv()
if out:
    with open(out, "wb") as f:
        f.write(data)
print("DATA bytes=%d blocks=%d sha256=%s oack=%s" % (len(data), expect - 1, hashlib.sha256(data).hexdigest(), oack))
EOF
}
