#!/bin/bash
# t_dhcp_full.sh - `dhcp = full` end to end on a namespace LAN with no other
# DHCP server: real Debian clients (busybox udhcpc, ISC dhclient, dhcpcd,
# nmap's broadcast-dhcp-discover) get leases; simulated Pi 3B/4/5 boot with
# address and boot answer from pinetboot alone; renew, rebind, release,
# decline, inform, NAK; an ARP conflict is avoided; a relay (giaddr) is
# served from its own pool; the start is refused beside another DHCP server;
# a SIGKILL during a 200-client storm never leads to an address given twice;
# a corrupt journal is recovered; an exhausted pool is logged, not fatal.
# shellcheck source=tests/integ/lib.sh
source "$(dirname "$0")/lib.sh"
require_root
require_cmd dnsmasq python3 udhcpc dhclient dhcpcd nmap
PNB=$(pinetboot_bin)
STORM="$PNB_ROOT/build/bench/dhcp_storm"

netns_lan server c1 c2 c3 pi relay squat
S=$PNB_SUBNET
SRV=$(ip_of server)
LO="10.$S.0.100"
HI="10.$S.0.199"
# Clients start without addresses; the server and the relay keep theirs.
# (pi keeps one: the simulated Pi's TFTP uses the namespace's address.)
for n in c1 c2 c3; do ns_exec "$n" ip addr flush dev eth0; done

# The relay's far side: namespace "far" behind it on 192.168.$S.0/24.
FAR="${PNB_PREFIX}far"
ip netns add "$FAR" && PNB_NETNS_LIST+=("$FAR")
ip -n "$FAR" link set lo up
ip -n "$FAR" link add eth0 type veth peer name far0 netns "$(ns relay)"
ip -n "$FAR" link set eth0 up
ns_exec relay ip addr add "192.168.$S.1/24" dev far0
ns_exec relay ip link set far0 up
ns_exec relay sysctl -qw net.ipv4.ip_forward=1
ns_exec server ip route add "192.168.$S.0/24" via "$(ip_of relay)"

DATA=$(mk_tmpdir)
make_bootset "$DATA/boot"
cp "$DATA/boot/bcm2710-rpi-3-b.dtb" "$DATA/boot/bcm2710-rpi-3-b-plus.dtb"
register() { # id [key=value...]
	local id=$1 kv
	shift
	mkdir -p "$DATA/clients/$id/boot"
	: >"$DATA/clients/$id/client.conf"
	for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}" >>"$DATA/clients/$id/client.conf"; done
}
register b8-27-eb-11-22-33 name=pi3rom
register 1234abcd name=pi4 mac=dc:a6:32:12:34:cd
register 5555abcd name=pi5 mac=2c:cf:67:55:ab:cd "address=10.$S.0.50"

LOG="$PNB_TMP/srv.log"
start_srv() {
	start_bg srv ns_exec server "$PNB" serve --data "$DATA" --interface eth0 --dhcp full \
		--dhcp-range "$LO,$HI,192.168.$S.100,192.168.$S.150" --dhcp-dns "$SRV" \
		--dhcp-probe-ms 300 --log-level debug
	wait_for udp_listening server 67 10 && wait_for grep -q "serve: ready" "$LOG" 10
}

# ---------------------------------------------------------------- safety
# Another DHCP server on the LAN: full mode refuses to start.
ns_exec c3 ip addr add "10.$S.0.3/24" dev eth0
router_dhcp c3 eth0 "10.$S.0.210" "10.$S.0.220"
# (bounded: if the check missed the other server, timeout ends the serve)
ns_exec server timeout 15 "$PNB" serve --data "$DATA" --interface eth0 --dhcp full \
	--dhcp-range "$LO,$HI" --tftp-port 6969 >"$PNB_TMP/refused.log" 2>&1
rc=$?
if [ "$rc" != 0 ] && grep -q "refusing dhcp = full: another DHCP server (10.$S.0.3) answers on eth0" "$PNB_TMP/refused.log"; then
	ok "dhcp = full refused beside another DHCP server, with a clear message"
else
	fail "dhcp = full refused beside another DHCP server, with a clear message" "exit $rc" "$(tail -3 "$PNB_TMP/refused.log")"
fi
start_bg forced ns_exec server "$PNB" serve --data "$DATA" --interface eth0 --dhcp full \
	--dhcp-range "$LO,$HI" --dhcp-force on --tftp-port 6969
if wait_for grep -q "serve: ready" "$PNB_TMP/forced.log" 10; then ok "dhcp-force = on starts anyway"; else fail "dhcp-force = on starts anyway" "$(tail -3 "$PNB_TMP/forced.log")"; fi
stop_bg forced
stop_bg dhcp-c3
ns_exec c3 ip addr flush dev eth0
rm -f "$DATA/leases.journal"

if start_srv; then ok "pinetboot serve starts in full mode"; else fail "pinetboot serve starts in full mode" "$(tail -5 "$LOG")"; fi

# ---------------------------------------------------------------- helper client
cat >"$PNB_TMP/dhcpc.py" <<'PY'
# dhcpc.py MAC CMD [ADDR]: one DHCP exchange from 0.0.0.0:68 on eth0 with
# the broadcast flag set (no address needed to hear the answer).
# CMD: lease | discover | reboot ADDR | rebind ADDR | renew ADDR | decline ADDR | release ADDR | inform ADDR
import os, socket, struct, sys, time
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
cmd = sys.argv[2]
addr = socket.inet_aton(sys.argv[3]) if len(sys.argv) > 3 else b"\0" * 4
server = os.environ.get("SRV", "")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.bind(("0.0.0.0", 68))
s.settimeout(0.3)
def msg(t, ciaddr=b"\0" * 4, opts=b""):
    xid = os.urandom(4)
    p = struct.pack("!BBBB", 1, 1, 6, 0) + xid + struct.pack("!HH", 0, 0x8000) + ciaddr + b"\0" * 12
    p += mac + b"\0" * 10 + b"\0" * 192 + bytes.fromhex("63825363") + bytes([53, 1, t]) + opts
    p += bytes([55, 4, 1, 3, 6, 51]) + b"\xff"
    return xid, p
def xchg(t, ciaddr=b"\0" * 4, opts=b"", dst="255.255.255.255", want=True):
    xid, p = msg(t, ciaddr, opts)
    for attempt in range(3):
        s.sendto(p, (dst, 67))
        if not want:
            return None
        end = time.time() + 2
        while time.time() < end:
            try:
                d, peer = s.recvfrom(2048)
            except socket.timeout:
                continue
            if d[4:8] == xid and d[0] == 2:
                return d
    return None
def opt(d, code):
    i = 240
    while i < len(d) and d[i] != 255:
        if d[i] == 0:
            i += 1; continue
        if d[i] == code:
            return d[i + 2:i + 2 + d[i + 1]]
        i += 2 + d[i + 1]
    return None
def kind(d):
    return {2: "OFFER", 5: "ACK", 6: "NAK"}.get(opt(d, 53)[0], "?") if d else "NONE"
def show(d):
    ya = socket.inet_ntoa(d[16:20]) if d else "-"
    lt = opt(d, 51) if d else None
    print(kind(d), ya, "lease=%d" % struct.unpack("!I", lt)[0] if lt else "nolease",
          "mask=" + socket.inet_ntoa(opt(d, 1)) if d and opt(d, 1) else "")
sid = lambda d: bytes([54, 4]) + opt(d, 54)
if cmd in ("lease", "discover"):
    o = xchg(1)
    if not o or cmd == "discover":
        show(o); sys.exit(0)
    show(xchg(3, opts=bytes([50, 4]) + o[16:20] + sid(o)))
elif cmd == "reboot":    # INIT-REBOOT: option 50, no server id
    show(xchg(3, opts=bytes([50, 4]) + addr))
elif cmd == "rebind":    # REBINDING: ciaddr, broadcast, no 50/54
    show(xchg(3, ciaddr=addr))
elif cmd == "renew":     # RENEWING: ciaddr, unicast to the server
    show(xchg(3, ciaddr=addr, dst=server))
elif cmd == "decline":
    xchg(4, opts=bytes([50, 4]) + addr + bytes([54, 4]) + socket.inet_aton(server), want=False)
    print("sent")
elif cmd == "release":
    xchg(7, ciaddr=addr, opts=bytes([54, 4]) + socket.inet_aton(server), dst=server, want=False)
    print("sent")
elif cmd == "inform":
    show(xchg(8, ciaddr=addr))
PY
dhcpc() { # NS MAC CMD [ADDR]
	ns_exec "$1" env SRV="$SRV" timeout 20 python3 "$PNB_TMP/dhcpc.py" "${@:2}"
}
in_pool() { # ADDR: inside LO..HI
	local last=${1##*.}
	[ "${1%.*}" = "10.$S.0" ] && [ "$last" -ge 100 ] && [ "$last" -le 199 ]
}

# ---------------------------------------------------------------- real clients
if ns_exec c1 timeout 30 udhcpc -f -q -n -i eth0 -t 4 -T 2 -s /bin/true >"$PNB_TMP/udhcpc.log" 2>&1 &&
	a=$(sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p' "$PNB_TMP/udhcpc.log") && in_pool "$a"; then
	ok "udhcpc (busybox) gets a lease from the pool ($a)"
else
	fail "udhcpc (busybox) gets a lease from the pool" "$(tail -5 "$PNB_TMP/udhcpc.log")"
fi
UDHCPC_ADDR=${a:-}
# A second run is the same client again: the same address (udhcpc -r asks for it).
if ns_exec c1 timeout 30 udhcpc -f -q -n -i eth0 -t 4 -T 2 -s /bin/true -r "$UDHCPC_ADDR" >"$PNB_TMP/udhcpc2.log" 2>&1 &&
	grep -q "lease of $UDHCPC_ADDR obtained" "$PNB_TMP/udhcpc2.log"; then
	ok "udhcpc asking again gets the same address"
else
	fail "udhcpc asking again gets the same address" "$(tail -5 "$PNB_TMP/udhcpc2.log")"
fi
# A running udhcpc renews on SIGUSR1 (RENEWING: unicast from its address,
# which the script configures) and releases on SIGUSR2.
cat >"$PNB_TMP/udhcpc.sh" <<'SH'
#!/bin/sh
case "$1" in
bound | renew) ip addr add "$ip/${mask:-24}" dev "$interface" 2>/dev/null ;;
esac
exit 0
SH
chmod +x "$PNB_TMP/udhcpc.sh"
start_bg udhcpc ns_exec c1 udhcpc -f -n -i eth0 -t 4 -T 2 -s "$PNB_TMP/udhcpc.sh"
udhcpc_leases() { test "$(grep -c "lease of $UDHCPC_ADDR obtained" "$PNB_TMP/udhcpc.log")" -ge "$1"; }
wait_for udhcpc_leases 1 10
kill -USR1 "$(bg_pid udhcpc)"
if wait_for udhcpc_leases 2 10 && grep -q "sending renew to" "$PNB_TMP/udhcpc.log"; then
	ok "udhcpc renews (SIGUSR1, unicast RENEWING) and keeps its address"
else
	fail "udhcpc renews (SIGUSR1, unicast RENEWING) and keeps its address" "$(tail -5 "$PNB_TMP/udhcpc.log")"
fi
kill -USR2 "$(bg_pid udhcpc)"
if wait_for grep -q "RELEASE $UDHCPC_ADDR: released" "$LOG" 5; then
	ok "udhcpc releases its lease (SIGUSR2)"
else
	fail "udhcpc releases its lease (SIGUSR2)" "$(tail -5 "$PNB_TMP/udhcpc.log")" "$(grep -i release "$LOG" | tail -3)"
fi
stop_bg udhcpc
ns_exec c1 ip addr flush dev eth0

DH="$PNB_TMP/dhclient"
mkdir -p "$DH"
dhclient_run() {
	ns_exec c2 timeout 40 dhclient -v -1 -sf /bin/true -lf "$DH/leases" -pf "$DH/pid" eth0
}
if dhclient_run >"$DH/log1" 2>&1 && a=$(sed -n 's/.*bound to \([0-9.]*\).*/\1/p' "$DH/log1" | tail -1) && in_pool "$a"; then
	ok "dhclient (ISC) gets a lease ($a)"
else
	fail "dhclient (ISC) gets a lease" "$(tail -8 "$DH/log1")"
fi
DHCLIENT_ADDR=${a:-}
# With its lease file, dhclient starts in INIT-REBOOT: REQUEST with option 50, no server id.
if dhclient_run >"$DH/log2" 2>&1 && grep -q "DHCPREQUEST for $DHCLIENT_ADDR" "$DH/log2" &&
	grep -q "bound to $DHCLIENT_ADDR" "$DH/log2"; then
	ok "dhclient INIT-REBOOT with its lease file: same address acknowledged"
else
	fail "dhclient INIT-REBOOT with its lease file: same address acknowledged" "$(tail -8 "$DH/log2")"
fi
# dhclient -r: RELEASE
ns_exec c2 ip addr add "$DHCLIENT_ADDR/24" dev eth0
if ns_exec c2 timeout 20 dhclient -v -r -sf /bin/true -lf "$DH/leases" -pf "$DH/pid" eth0 >"$DH/log3" 2>&1 &&
	wait_for grep -q "RELEASE $DHCLIENT_ADDR: released" "$LOG" 5; then
	ok "dhclient -r releases its lease"
else
	fail "dhclient -r releases its lease" "$(tail -5 "$DH/log3")"
fi
ns_exec c2 ip addr flush dev eth0
kill_ns_procs() { # NAME: what our clients left running in NAME (dhclient, dhcpcd helpers)
	local p pids
	pids=$(ip netns pids "$(ns "$1")")
	[ -n "$pids" ] || return 0
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 0.5
	# dhcpcd's privilege-separation helpers ignore SIGTERM
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
}
kill_ns_procs c2

DC="$PNB_TMP/dhcpcd"
mkdir -p "$DC"
printf 'option subnet_mask, routers, domain_name_servers\n' >"$DC/dhcpcd.conf"
# (dhcpcd 9 may crash while tearing down its test mode after printing the
# offer; the printed offer is what is checked.)
ns_exec c3 timeout 40 dhcpcd -f "$DC/dhcpcd.conf" -4 -T -t 20 eth0 >"$DC/log" 2>&1
kill_ns_procs c3
if a=$(sed -n "s/^new_ip_address='\{0,1\}\([0-9.]*\)'\{0,1\}$/\1/p" "$DC/log") && in_pool "$a" &&
	grep -q "new_domain_name_servers='\{0,1\}$SRV" "$DC/log"; then
	ok "dhcpcd (test mode) gets an offer from the pool with the DNS server ($a)"
else
	fail "dhcpcd (test mode) gets an offer from the pool with the DNS server" "$(tail -12 "$DC/log")"
fi

# nmap lists only interfaces with an IPv4 address.
ns_exec c3 ip addr add "10.$S.0.4/24" dev eth0
if ns_exec c3 timeout 60 nmap -e eth0 --script broadcast-dhcp-discover >"$PNB_TMP/nmap.log" 2>&1 &&
	grep -q "Server Identifier: $SRV" "$PNB_TMP/nmap.log" && grep -q "IP Offered: 10.$S.0.1[0-9][0-9]" "$PNB_TMP/nmap.log"; then
	ok "nmap broadcast-dhcp-discover sees pinetboot's OFFER"
else
	fail "nmap broadcast-dhcp-discover sees pinetboot's OFFER" "$(tail -15 "$PNB_TMP/nmap.log")"
fi

kill_ns_procs c3

# ---------------------------------------------------------------- protocol details
M1=02:aa:00:00:00:01
M2=02:aa:00:00:00:02
r=$(dhcpc c1 "$M1" lease)
A1=$(awk '{print $2}' <<<"$r")
if [[ $r == ACK* ]] && in_pool "$A1" && [[ $r == *"lease=3600"* ]] && [[ $r == *"mask=255.255.255.0"* ]]; then
	ok "DISCOVER/OFFER/REQUEST/ACK with lease time and netmask ($r)"
else
	fail "DISCOVER/OFFER/REQUEST/ACK with lease time and netmask" "$r"
fi
ns_exec c1 ip addr add "$A1/24" dev eth0
r=$(dhcpc c1 "$M1" rebind "$A1")
check "REBINDING (broadcast, ciaddr) is acknowledged" test "${r%% *}" = ACK
r=$(dhcpc c1 "$M1" renew "$A1")
check "RENEWING (unicast to the server) is acknowledged" test "${r%% *} ${r#* }" = "ACK ${r#* }"
[ "${r%% *}" = ACK ] || diag "renew answer: $r"
r=$(dhcpc c1 "$M1" inform "$A1")
if [[ $r == "ACK 0.0.0.0 nolease"* ]]; then ok "INFORM: ACK with parameters, no address, no lease time"; else fail "INFORM: ACK with parameters, no address, no lease time" "$r"; fi
ns_exec c1 ip addr flush dev eth0
r=$(dhcpc c2 "$M2" reboot "$A1")
check "INIT-REBOOT for another client's address: NAK" test "${r%% *}" = NAK
r=$(dhcpc c2 "$M2" reboot "10.$S.0.20")
check "INIT-REBOOT for an address outside the pool: NAK" test "${r%% *}" = NAK
r=$(dhcpc c1 "$M1" decline "$A1")
wait_for grep -q "DECLINE $A1: address declined, quarantined" "$LOG" 5
r=$(dhcpc c1 "$M1" lease)
A1b=$(awk '{print $2}' <<<"$r")
if [[ $r == ACK* ]] && [ "$A1b" != "$A1" ]; then ok "after DECLINE the address is quarantined: client gets another ($A1b)"; else fail "after DECLINE the address is quarantined" "$r"; fi
r=$(dhcpc c2 "$M2" reboot "$A1")
check "a quarantined address is not given to anyone (NAK)" test "${r%% *}" = NAK

# ARP conflict: squat on the address a MAC would get, then ask with that MAC.
M3=02:aa:00:00:00:03
DERIVED=$(python3 - "$M3" "$LO" "$HI" <<'PY'
import socket, struct, sys
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
lo = struct.unpack("!I", socket.inet_aton(sys.argv[2]))[0]
hi = struct.unpack("!I", socket.inet_aton(sys.argv[3]))[0]
h = 2166136261
for b in mac:
    h = ((h ^ b) * 16777619) & 0xffffffff
print(socket.inet_ntoa(struct.pack("!I", lo + h % (hi - lo + 1))))
PY
)
ns_exec squat ip addr add "$DERIVED/24" dev eth0
r=$(dhcpc c1 "$M3" lease)
A3=$(awk '{print $2}' <<<"$r")
# Detected by our ARP probe, or (when the squatter's ARP reply misses the
# probe window on a loaded machine) by the client's own ARP check, which
# DECLINEs it: either way the address is quarantined and another given.
if [[ $r == ACK* ]] && [ "$A3" != "$DERIVED" ] &&
	grep -qE "address $DERIVED answers ARP but is not leased by us|DECLINE $DERIVED" "$LOG"; then
	ok "an address in use by a host without a lease is detected by ARP and skipped"
else
	fail "an address in use by a host without a lease is detected by ARP and skipped" "derived $DERIVED got $r"
fi
# ...and the derived address works for a MAC when it is free.
M4=02:aa:00:00:00:04
D4=$(python3 - "$M4" "$LO" "$HI" <<'PY'
import socket, struct, sys
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
lo = struct.unpack("!I", socket.inet_aton(sys.argv[2]))[0]
hi = struct.unpack("!I", socket.inet_aton(sys.argv[3]))[0]
h = 2166136261
for b in mac:
    h = ((h ^ b) * 16777619) & 0xffffffff
print(socket.inet_ntoa(struct.pack("!I", lo + h % (hi - lo + 1))))
PY
)
r=$(dhcpc c1 "$M4" lease)
check "a new client gets its stable MAC-derived address ($D4)" test "$(awk '{print $2}' <<<"$r")" = "$D4"

# ---------------------------------------------------------------- Pis
probe() { ns_exec pi "$PNB" probe --interface eth0 --timeout 60 "$@"; }
check "Pi 3B ROM boots with address and boot answer from pinetboot alone" \
	probe --model 3b --mac b8:27:eb:11:22:33 --serial 00112233 --data "$DATA"
P3=$(grep "b8:27:eb:11:22:33 .*OFFER .*lease bound" "$LOG" | tail -1 | sed -n 's/.*OFFER \([0-9.]*\) .*/\1/p')
check "the Pi 3B ROM's OFFER binds its lease (it never REQUESTs)" test -n "$P3"
check "Pi 4 boots: DISCOVER/OFFER/REQUEST/ACK with the boot answer" \
	probe --model 4 --serial 1234abcd --mac dc:a6:32:12:34:cd --data "$DATA"
P4=$(grep "dc:a6:32:12:34:cd 1234abcd pi4: ACK" "$LOG" | tail -1 | sed -n 's/.*ACK \([0-9.]*\) .*/\1/p')
# Only 10.$S.0.50 may read the Pi 5's own files: its TFTP comes from there.
ns_exec pi ip addr flush dev eth0
ns_exec pi ip addr add "10.$S.0.50/24" dev eth0
check "Pi 5 boots and gets its fixed address from client.conf" \
	probe --model 5 --serial 5555abcd --mac 2c:cf:67:55:ab:cd --data "$DATA"
check "the Pi 5 was acknowledged 10.$S.0.50" grep -q "2c:cf:67:55:ab:cd 5555abcd pi5: ACK 10.$S.0.50 " "$LOG"
# The kernel's ip=dhcp (udhcpc with the Pi's MAC, no PXE options) gets the same address again.
kernel_addr() { # MAC
	ns_exec pi ip link set eth0 address "$1"
	ns_exec pi timeout 30 udhcpc -f -q -n -i eth0 -t 4 -T 2 -s /bin/true 2>&1 | sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p'
}
k4=$(kernel_addr dc:a6:32:12:34:cd)
check "after the Pi 4 firmware, its kernel's DHCP gets the same address ($P4)" test -n "$P4" -a "$k4" = "$P4"
k3=$(kernel_addr b8:27:eb:11:22:33)
check "after the Pi 3B ROM, its kernel's DHCP gets the same address ($P3)" test -n "$P3" -a "$k3" = "$P3"

# ---------------------------------------------------------------- relay
cat >"$PNB_TMP/relay.py" <<'PY'
# A DHCP relay agent (RFC 1542): requests heard on far0 go to the server
# with giaddr = our far0 address; replies to giaddr:67 are broadcast on far0.
import socket, sys
server, giaddr = sys.argv[1], socket.inet_aton(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 67))
out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
out.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
out.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"far0")
while True:
    d, peer = s.recvfrom(2048)
    if len(d) < 240:
        continue
    d = bytearray(d)
    if d[0] == 1:
        if d[24:28] == b"\0\0\0\0":
            d[24:28] = giaddr
        d[3] += 1
        s.sendto(bytes(d), (server, 67))
    elif d[0] == 2:
        out.sendto(bytes(d), ("255.255.255.255", 68))
PY
start_bg relay ns_exec relay python3 "$PNB_TMP/relay.py" "$SRV" "192.168.$S.1"
wait_for udp_listening relay 67 5
if ns_exec "$FAR" timeout 30 udhcpc -f -q -n -i eth0 -t 4 -T 2 -s /bin/true >"$PNB_TMP/far.log" 2>&1 &&
	grep -q "lease of 192.168.$S.1[0-5][0-9] obtained from $SRV" "$PNB_TMP/far.log"; then
	ok "a relayed client (giaddr) gets a lease from the relay network's pool"
else
	fail "a relayed client (giaddr) gets a lease from the relay network's pool" "$(tail -5 "$PNB_TMP/far.log")"
fi
stop_bg relay

check "server still running" bg_alive srv
if grep -qE '^error ' "$LOG"; then fail "no errors logged" "$(grep -E '^error ' "$LOG" | head -5)"; else ok "no errors logged"; fi

# ---------------------------------------------------------------- persistence
stop_bg srv
mv "$LOG" "$PNB_TMP/srv1.log"
start_srv
r=$(dhcpc c2 "$M2" reboot "$A1b")
check "after a restart, leases are remembered (another client is NAKed)" test "${r%% *}" = NAK
r=$(dhcpc c1 "$M1" reboot "$A1b")
check "after a restart, the owner is acknowledged its address" test "${r%% *}" = ACK
stop_bg srv
mv "$LOG" "$PNB_TMP/srv2.log"

# Corrupt journal: a torn last record and garbage after it.
J="$DATA/leases.journal"
size=$(stat -c %s "$J")
head -c $((size - 7)) "$J" >"$J.tmp" && printf 'garbage\x00\xff' >>"$J.tmp" && mv "$J.tmp" "$J"
start_srv
if grep -q "are truncated or corrupt; recovered [0-9]* records up to the last good one" "$LOG" && bg_alive srv; then
	ok "a corrupt journal is recovered up to the last good record, with a log line"
else
	fail "a corrupt journal is recovered up to the last good record, with a log line" "$(grep journal "$LOG" | head -3)"
fi
r=$(dhcpc c2 "$M2" reboot "$A1b")
check "leases before the damage are still known after recovery" test "${r%% *}" = NAK
stop_bg srv
mv "$LOG" "$PNB_TMP/srv3.log"
printf 'not a journal at all\n' >"$J"
start_srv
if grep -q "has no valid header" "$LOG" && [ -f "$J.corrupt" ] && bg_alive srv; then
	ok "a foreign lease file is moved aside and the server starts empty"
else
	fail "a foreign lease file is moved aside and the server starts empty" "$(grep journal "$LOG" | head -3)"
fi
stop_bg srv
mv "$LOG" "$PNB_TMP/srv4.log"

# ---------------------------------------------------------------- pool exhaustion
TINY=$(mk_tmpdir)
"$PNB" init --data "$TINY" >/dev/null
start_bg tiny ns_exec server "$PNB" serve --data "$TINY" --interface eth0 --dhcp full \
	--dhcp-range "10.$S.0.240,10.$S.0.241" --dhcp-probe-ms 0 --tftp-port 6969
wait_for grep -q "serve: ready" "$PNB_TMP/tiny.log" 10
dhcpc c1 02:bb:00:00:00:01 lease >/dev/null
dhcpc c1 02:bb:00:00:00:02 lease >/dev/null
r=$(dhcpc c1 02:bb:00:00:00:03 discover)
if [ "${r%% *}" = NONE ] && grep -q "no address to offer on eth0: address pool exhausted" "$PNB_TMP/tiny.log" && bg_alive tiny; then
	ok "exhausted pool: no offer, a log line, server still running"
else
	fail "exhausted pool: no offer, a log line, server still running" "$r" "$(tail -3 "$PNB_TMP/tiny.log")"
fi
stop_bg tiny

# ---------------------------------------------------------------- crash during a storm
if [ -x "$STORM" ]; then
	# /16 on the server so the pool holds both storms.
	ns_exec server ip addr add "10.$S.200.1/16" dev eth0
	ns_exec c1 ip addr flush dev eth0
	SD=$(mk_tmpdir)
	"$PNB" init --data "$SD" >/dev/null
	CL="$PNB_TMP/storm-acks.txt"
	: >"$CL"
	crash_srv() {
		start_bg crash ns_exec server "$PNB" serve --data "$SD" --interface eth0 --dhcp full \
			--dhcp-range "10.$S.1.0,10.$S.3.255" --dhcp-netmask 255.255.0.0 --dhcp-probe-ms 0 \
			--dhcp-force on --tftp-port 6969 --log-level warn
		wait_for udp_listening server 67 10
	}
	crash_srv
	start_bg storm1 ns_exec c1 "$STORM" --interface eth0 --count 200 --window 16 --rate 100 --timeout 30 --out "$CL" --label storm1
	acks() { test "$(wc -l <"$CL")" -ge "$1"; }
	wait_for acks 60 10
	kill -KILL "$(bg_pid crash)"
	wait "$(bg_pid crash)" 2>/dev/null
	unset "PNB_PIDS[crash]"
	before=$(wc -l <"$CL")
	crash_srv
	# The interrupted storm goes on (its clients retry) and a second one with new MACs joins.
	ns_exec c2 ip addr flush dev eth0
	ns_exec c2 "$STORM" --interface eth0 --count 200 --window 32 --mac-base 100000 --timeout 30 --out "$CL" --label storm2 >"$PNB_TMP/storm2.out" 2>&1
	wait "$(bg_pid storm1)" 2>/dev/null
	unset "PNB_PIDS[storm1]"
	total=$(wc -l <"$CL")
	dups=$(awk '{print $2}' "$CL" | sort | uniq -d | while read -r a; do
		n=$(awk -v a="$a" '$2 == a {print $1}' "$CL" | sort -u | wc -l)
		[ "$n" -gt 1 ] && echo "$a"
	done)
	if [ "$before" -gt 0 ] && [ "$before" -lt 200 ] && [ "$total" -ge 390 ] && [ -z "$dups" ]; then
		ok "SIGKILL during a 200-client storm: $before ACKs before, $total after restart, no address given to two clients"
	else
		fail "SIGKILL during a 200-client storm: no address given to two clients" "before $before, total $total" "duplicates: $dups" "$(cat "$PNB_TMP/storm2.out")"
	fi
	stop_bg crash
else
	skip_test "storm crash test" "build/bench/dhcp_storm not built (make check builds it)"
fi
