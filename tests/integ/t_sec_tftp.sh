#!/bin/bash
# t_sec_tftp.sh - issue 9 attacks 4 and 5 against the TFTP server, done the
# way a hostile Pi on the LAN would:
#  - device nodes, a FIFO and a socket planted in its own NFS-writable boot
#    dir (clients/<id>/boot) and in the shared boot/, asked for over TFTP
#    from the Pi's own (allowed) address, with and without its prefix: each
#    gets an ERROR promptly, the node is never opened (inotify sees no
#    open; O_PATH lookups make no open event), a normal file is served
#    right after, and the refusal is logged;
#  - 256 netascii RRQs for a 16 MiB text file, never acked: the server's
#    peak RSS (VmHWM) grows by less than 64 MiB (each used to convert its
#    whole file in memory), and it keeps serving.
# NA_STORM=N changes the 256 (e.g. 8 to show the failure on an old build
# without eating the machine's memory).
# PNB_SERVER_BIN=path runs another server binary (e.g. an old build).
set -u -o pipefail
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_cmd python3 ss timeout mknod mkfifo

netns_lan server pi
SRV=$(ip_of server)
PI=$(ip_of pi)
ID=1234abcd
DATA="$PNB_TMP/data"
BOOT="$DATA/boot"
CBOOT="$DATA/clients/$ID/boot"
OUT="$PNB_TMP/out"
mkdir -p "$OUT" "$CBOOT"
NA_STORM=${NA_STORM:-256}
RSS_BOUND_KB=$((64 * 1024))

make_bootset "$BOOT" || { fail "make_bootset"; exit 1; }
printf 'name = attacker\naddress = %s\n' "$PI" >"$DATA/clients/$ID/client.conf"
echo "pi's own" >"$CBOOT/own.txt"

# What the Pi planted in its own boot dir (it is root there over NFS), and
# the same kinds of node in the shared dir. 1:5 is /dev/zero (an open read
# would stream zeros), 7:0 is /dev/loop0.
mkfifo "$CBOOT/config.txt"
mknod "$CBOOT/kernel8.img" c 1 5
mknod "$CBOOT/bootcode.bin" b 7 0
ln -s config.txt "$CBOOT/alias-to-fifo"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$CBOOT/sock"
mkfifo "$BOOT/fifo.bin"
mknod "$BOOT/zero.bin" c 1 5
chmod -R go+rX "$DATA"
NODES=("$CBOOT/config.txt" "$CBOOT/kernel8.img" "$CBOOT/bootcode.bin" "$CBOOT/sock"
	"$BOOT/fifo.bin" "$BOOT/zero.bin")

# A big text file for the netascii storm: lines ending LF, some CR LF,
# some bare CR.
python3 - "$BOOT/big.txt" <<'EOF'
import random, sys
r = random.Random("pinetboot-netascii-storm")
with open(sys.argv[1], "wb") as f:
    left = 16 << 20
    while left > 0:
        line = bytes(r.choice(b"abcdefghij \t") for _ in range(r.randrange(0, 80)))
        line += r.choice([b"\n", b"\n", b"\r\n", b"\r"])
        line = line[:left]
        f.write(line)
        left -= len(line)
EOF

sha() { sha256sum "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------- watcher
# inotify IN_OPEN on every planted node. A real open() (the old code's
# open(O_RDONLY|O_NONBLOCK) before fstat) raises it; an O_PATH lookup does
# not. The watcher prints one line per event.
cat >"$PNB_TMP/watch.py" <<'EOF'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
IN_OPEN, IN_ACCESS = 0x20, 0x01
fd = libc.inotify_init1(0)
names = {}
for p in sys.argv[1:]:
    wd = libc.inotify_add_watch(fd, p.encode(), IN_OPEN | IN_ACCESS)
    if wd < 0:
        print("WATCH-FAILED", p, flush=True); sys.exit(1)
    names[wd] = p
print("READY", flush=True)
while True:
    buf = os.read(fd, 65536)
    i = 0
    while i < len(buf):
        wd, mask, _, ln = struct.unpack_from("iIII", buf, i)
        print("EVENT", names.get(wd, "?"), hex(mask), flush=True)
        i += 16 + ln
EOF
start_bg watch python3 "$PNB_TMP/watch.py" "${NODES[@]}"
if wait_for grep -q READY "$PNB_TMP/watch.log" 5; then
	ok "inotify watches the planted nodes"
else
	fail "inotify watches the planted nodes" "$(cat "$PNB_TMP/watch.log")"
	exit 1
fi
# The watcher itself must see an open: prove it can fail.
timeout 2 cat "$CBOOT/kernel8.img" 2>/dev/null | head -c 1 >/dev/null
if wait_for grep -q "EVENT $CBOOT/kernel8.img" "$PNB_TMP/watch.log" 3; then
	ok "the watcher reports an open of a planted node"
else
	fail "the watcher reports an open of a planted node" "$(cat "$PNB_TMP/watch.log")"
fi
seen=$(grep -c EVENT "$PNB_TMP/watch.log")

# ---------------------------------------------------------------- server

BIN=${PNB_SERVER_BIN:-$(pinetboot_bin)}
pinetboot_ready "$BIN" || _pnb_unmet "pinetboot serve is not built ($BIN); make pinetboot build/asan/pinetboot"
start_bg server ns_exec server "$BIN" serve --data "$DATA" --dhcp off --nfs off \
	--max-transfers-per-client $((NA_STORM + 16)) --log-level info
if wait_for udp_listening server 69 10; then
	ok "pinetboot listens on UDP 69"
else
	fail "pinetboot listens on UDP 69" "$(tail -n 20 "$PNB_TMP/server.log")"
	exit 1
fi

# refused DESC NAME: an ERROR 2 comes back within TFTP_RAW_TIMEOUT (3 s),
# never DATA; then a normal file is still served to the same Pi.
refused() {
	local desc=$1 name=$2 r t0 t1
	t0=$(date +%s%N)
	r=$(tftp_raw pi "$SRV" 69 "\\x00\\x01$name\\x00octet\\x00")
	t1=$(date +%s%N)
	if [[ $r == "ERROR 2 "* ]]; then
		ok "$desc: refused ($r) after $(((t1 - t0) / 1000000)) ms"
	else
		fail "$desc: refused with access violation" "got: $r"
	fi
	r=$(tftp_raw pi "$SRV" 69 "\\x00\\x01$ID/start4.elf\\x00octet\\x00tsize\\x000\\x00blksize\\x001468\\x00" "$OUT/after")
	if [ -f "$OUT/after" ] && [ "$(sha "$OUT/after")" = "$(sha "$BOOT/start4.elf")" ]; then
		ok "$desc: start4.elf still served right after"
	else
		fail "$desc: start4.elf still served right after" "got: $r"
	fi
	rm -f "$OUT/after"
}

# Warm up (and prove the Pi's address is allowed its own files).
r=$(tftp_raw pi "$SRV" 69 "\\x00\\x01$ID/own.txt\\x00octet\\x00" "$OUT/own")
if [ -f "$OUT/own" ] && [ "$(cat "$OUT/own")" = "pi's own" ]; then
	ok "the Pi reads its own boot file ($r)"
else
	fail "the Pi reads its own boot file" "got: $r"
fi

refused "FIFO without a writer in the Pi's boot dir" "$ID/config.txt"
refused "the same FIFO asked without the prefix (the Pi's chain by address)" "config.txt"
refused "symlink to the FIFO inside the Pi's boot dir" "$ID/alias-to-fifo"
refused "char device 1:5 (/dev/zero) in the Pi's boot dir" "$ID/kernel8.img"
refused "block device 7:0 (/dev/loop0) in the Pi's boot dir" "$ID/bootcode.bin"
refused "unix socket in the Pi's boot dir" "$ID/sock"
refused "FIFO in the shared boot dir" "fifo.bin"
refused "char device 1:5 in the shared boot dir" "zero.bin"

# A prefix-less name the Pi has itself comes from its own dir.
r=$(tftp_raw pi "$SRV" 69 '\x00\x01own.txt\x00octet\x00' "$OUT/own2")
if [ -f "$OUT/own2" ] && [ "$(cat "$OUT/own2")" = "pi's own" ]; then
	ok "a name without prefix from the Pi's address is served from its boot dir ($r)"
else
	fail "a name without prefix from the Pi's address is served from its boot dir" "got: $r"
fi

sleep 0.3
if [ "$(grep -c EVENT "$PNB_TMP/watch.log")" -ne "$seen" ]; then
	fail "no planted node was ever opened by the server" "$(grep EVENT "$PNB_TMP/watch.log" | tail -n +$((seen + 1)) | head -n 20)"
else
	ok "no planted node was ever opened by the server (no inotify open event)"
fi
n=$(grep -c "not a regular file" "$PNB_TMP/server.log")
if [ "$n" -ge 8 ]; then
	ok "each refusal is logged as not a regular file ($n lines)"
else
	fail "each refusal is logged as not a regular file" "$n lines" "$(tail -n 20 "$PNB_TMP/server.log")"
fi
stop_bg watch 2 >/dev/null

# ---------------------------------------------------------------- netascii storm

PID=$(bg_pid server)
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status"; }
before=$(hwm)
cat >"$PNB_TMP/storm.py" <<'EOF'
import select, socket, struct, sys, time
ip, n = sys.argv[1], int(sys.argv[2])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    s.sendto(b"\x00\x01big.txt\x00netascii\x00", (ip, 69))
    socks.append(s)
got, errors, peers = 0, 0, {}
deadline = time.time() + 20
pending = set(socks)
while pending and time.time() < deadline:
    r, _, _ = select.select(list(pending), [], [], 0.5)
    for s in r:
        pkt, peer = s.recvfrom(70000)
        op = struct.unpack("!H", pkt[:2])[0]
        if op == 3 and struct.unpack("!H", pkt[2:4])[0] == 1 and len(pkt) == 516:
            got += 1
            peers[s] = peer
        else:
            errors += 1
        pending.discard(s)
print("DATA1 %d ERRORS %d NOANSWER %d" % (got, errors, len(pending)), flush=True)
# Hold every transfer open until told, then end them politely.
sys.stdin.readline()
for s, peer in peers.items():
    s.sendto(struct.pack("!HH", 5, 0) + b"Early terminate\x00", peer)
EOF
coproc STORM { ns_exec pi timeout 120 python3 "$PNB_TMP/storm.py" "$SRV" "$NA_STORM"; }
read -r -t 60 line <&"${STORM[0]}" || line="(no report)"
after=$(hwm)
echo >&"${STORM[1]}"
wait "$STORM_PID" 2>/dev/null
if [ "$line" = "DATA1 $NA_STORM ERRORS 0 NOANSWER 0" ]; then
	ok "$NA_STORM netascii RRQs for a 16 MiB file each get block 1 ($line)"
else
	fail "$NA_STORM netascii RRQs for a 16 MiB file each get block 1" "got: $line"
fi
grow=$((after - before))
if [ "$grow" -lt "$RSS_BOUND_KB" ]; then
	ok "server peak RSS grew by $((grow / 1024)) MiB (< $((RSS_BOUND_KB / 1024)) MiB) for $NA_STORM netascii transfers (VmHWM $((before / 1024)) -> $((after / 1024)) MiB)"
else
	fail "server peak RSS grew by less than $((RSS_BOUND_KB / 1024)) MiB" "VmHWM $before kB -> $after kB"
fi
r=$(tftp_raw pi "$SRV" 69 '\x00\x01start4.elf\x00octet\x00blksize\x001468\x00' "$OUT/final")
if [ -f "$OUT/final" ] && [ "$(sha "$OUT/final")" = "$(sha "$BOOT/start4.elf")" ]; then
	ok "server still serves after the storm"
else
	fail "server still serves after the storm" "got: $r"
fi

stop_bg server 10
rc=$?
if [ "$rc" -eq 0 ]; then ok "pinetboot exits 0 on SIGTERM"; else fail "pinetboot exits 0 on SIGTERM" "exit status $rc" "$(tail -n 20 "$PNB_TMP/server.log")"; fi
if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$PNB_TMP/server.log"; then
	fail "no sanitizer report in the server log" "$(grep -E -A 20 'Sanitizer|runtime error' "$PNB_TMP/server.log" | head -40)"
else
	ok "no sanitizer report in the server log"
fi
