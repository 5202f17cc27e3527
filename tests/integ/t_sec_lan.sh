#!/bin/bash
# t_sec_lan.sh - the hostile LAN (issue 9, attacks 1, 3 and 8), done the way
# an attacker on the same switch would: a forged PXE DISCOVER carrying a
# registered Pi's serial from the attacker's own MAC, then TFTP, MOUNT and
# the check-in from the attacker's address; a forged DISCOVER before a Pi
# ever booted when its MAC is registered; a relayed DISCOVER whose giaddr
# is broadcast or loopback. The real Pi (pinetboot probe with its own MAC
# on its own macvlan, its address from the router) must keep booting.
# shellcheck source=tests/integ/lib.sh
source "$(dirname "$0")/lib.sh"
require_root
require_cmd dnsmasq python3 curl nfs-ls
PNB=$(pinetboot_bin)

netns_lan router server pi evil
S=$PNB_SUBNET
SRV=$(ip_of server)
router_dhcp router eth0 "10.$S.0.100" "10.$S.0.150" || fail "router DHCP server started"
EVIL_MAC=$(ip -n "$(ns evil)" -br link show eth0 | awk '{print $3}')

DATA=$(mk_tmpdir)
check "pinetboot init" "$PNB" init --data "$DATA"
make_bootset "$DATA/boot"
reg() { # id key=value...
	local id=$1; shift
	mkdir -p "$DATA/clients/$id/boot" "$DATA/clients/$id/root/etc"
	: >"$DATA/clients/$id/client.conf"
	for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}" >>"$DATA/clients/$id/client.conf"; done
	echo "secret of $id" >"$DATA/clients/$id/root/etc/shadow"
	echo "cmdline of $id" >"$DATA/clients/$id/boot/cmdline.txt"
}
reg 4444abcd name=victim            # registered by serial only
reg 5555abcd name=known mac=dc:a6:32:55:ab:cd   # registered with its MAC

start_bg srv ns_exec server "$PNB" serve --data "$DATA" --interface eth0 --http-listen "$SRV:8466" --log-level debug
if wait_for udp_listening server 67 10 && wait_for udp_listening server 69 10; then
	ok "pinetboot serve runs (proxy DHCP, TFTP, NFS)"
else
	fail "pinetboot serve runs" "$(tail -20 "$PNB_TMP/srv.log")"; exit 1
fi
LOG="$PNB_TMP/srv.log"
probe() { ns_exec pi "$PNB" probe --interface eth0 --timeout 60 --quiet "$@"; }

# ---- attack 1: anyone claims any Pi
check "the real Pi 4 (serial only in client.conf) boots" probe --model 4 --serial 4444abcd --mac dc:a6:32:44:ab:cd --data "$DATA"
check "its completed boot taught the server its MAC (client.conf)" grep -q '^mac = dc:a6:32:44:ab:cd' "$DATA/clients/4444abcd/client.conf"
check "a forged DISCOVER with the Pi's serial from the attacker's MAC gets no boot answer" \
	ns_exec evil "$PNB" probe --interface eth0 --model 4 --serial 4444abcd --mac "$EVIL_MAC" --dhcp-only --expect-no-answer --timeout 8
check "...and is logged as a contested Pi" grep -q "4444abcd: contested: a DISCOVER from MAC $EVIL_MAC" "$LOG"
check "...and shown as contested in the fleet view" bash -c \
	"ip netns exec $(ns server) curl -s -H \"Authorization: Bearer \$(cat $DATA/api.token)\" http://$SRV:8466/api/client/4444abcd | grep -q '\"contested\":\"DISCOVER from MAC $EVIL_MAC'"
check "the attacker cannot fetch the Pi's files over TFTP" bash -c \
	"! ip netns exec $(ns evil) curl -sf --max-time 10 tftp://$SRV/4444abcd/cmdline.txt"
check "the attacker cannot MOUNT the Pi's root" bash -c \
	"! ip netns exec $(ns evil) timeout 20 nfs-ls nfs://$SRV/clients/4444abcd/etc 2>/dev/null | grep -q shadow"
check "the attacker cannot read the Pi's etc/shadow over NFS" bash -c \
	"! ip netns exec $(ns evil) timeout 20 nfs-cat nfs://$SRV/clients/4444abcd/etc/shadow 2>/dev/null | grep -q secret"
check "the attacker's check-in for the Pi is refused (403)" test \
	"$(ns_exec evil curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "http://$SRV:8466/api/checkin/4444abcd")" = 403
check "MOUNT DUMP (showmount -a) from the attacker names no Pi and no address" bash -c \
	"out=\$(ip netns exec $(ns evil) timeout 20 showmount -a $SRV 2>&1) || exit 1; echo \"\$out\"; ! grep -qE '4444abcd|5555abcd|10\\.$S\\.0\\.1[0-9][0-9]' <<<\"\$out\""
check "MOUNT EXPORT (showmount -e) from the attacker names no Pi" bash -c \
	"out=\$(ip netns exec $(ns evil) timeout 20 showmount -e $SRV 2>&1) || exit 1; echo \"\$out\"; ! grep -qE '4444abcd|5555abcd' <<<\"\$out\""
check "the refusals are logged" grep -qE "4444abcd.*refused.*MAC $EVIL_MAC" "$LOG"
check "the real Pi still boots after the attack" probe --model 4 --serial 4444abcd --mac dc:a6:32:44:ab:cd --data "$DATA"

# ---- a flood of forged DISCOVERs with ever new MACs: no answer, no log flood
cat >"$PNB_TMP/flood.py" <<'PY'
import os, socket, struct, sys
srv, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 68))
s.settimeout(0.5)
for i in range(n):
    mac = bytes([0x02]) + os.urandom(5)
    opts = bytes([53, 1, 1]) + bytes([60, 32]) + b"PXEClient:Arch:00000:UNDI:002001" \
         + bytes([93, 2, 0, 0]) + bytes([97, 17, 0]) + b"RPi4" + bytes.fromhex("1131a000") \
         + mac[2:] + struct.pack("<I", 0x4444abcd) + bytes([255])
    pkt = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x2000 + i, 0, 0, bytes(4), bytes(4),
                      bytes(4), bytes(4), mac + bytes(10), bytes(64), bytes(128)) + bytes([99, 130, 83, 99]) + opts
    s.sendto(pkt, (srv, 67))
answers = 0
try:
    while True:
        d, _ = s.recvfrom(2048)
        answers += b"Raspberry Pi Boot" in d
except socket.timeout:
    pass
print(answers)
PY
before=$(grep -c "4444abcd: contested" "$LOG")
out=$(ns_exec evil timeout 30 python3 "$PNB_TMP/flood.py" "$SRV" 200 2>&1)
check "200 forged DISCOVERs for the Pi from random MACs get no boot answer ($out)" test "$out" = 0
after=$(grep -c "4444abcd: contested" "$LOG")
check "...and log at most one contested line ($((after - before)) new)" test $((after - before)) -le 1

# ---- a registered MAC is the credential even before the first boot
check "a forged DISCOVER for a Pi that never booted but has its MAC registered: no answer" \
	ns_exec evil "$PNB" probe --interface eth0 --model 4 --serial 5555abcd --mac "$EVIL_MAC" --dhcp-only --expect-no-answer --timeout 8
check "...the attacker gets none of its files" bash -c \
	"! ip netns exec $(ns evil) curl -sf --max-time 10 tftp://$SRV/5555abcd/cmdline.txt"
check "...and the real Pi then boots" probe --model 4 --serial 5555abcd --mac dc:a6:32:55:ab:cd --data "$DATA"

# ---- attack 8: proxy mode answered any giaddr
cat >"$PNB_TMP/relay.py" <<'PY'
import socket, struct, sys, time
srv, giaddr = sys.argv[1], sys.argv[2]
mac = bytes.fromhex("dca63244abcd")
opts = bytes([53, 1, 1]) + bytes([60, 32]) + b"PXEClient:Arch:00000:UNDI:002001" \
     + bytes([93, 2, 0, 0]) + bytes([97, 17, 0]) + b"RPi4" + bytes.fromhex("1131a000") \
     + mac[2:] + struct.pack("<I", 0x4444abcd) + bytes([255])
pkt = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 1, 0x1234abcd, 0, 0, bytes(4), bytes(4),
                  bytes(4), socket.inet_aton(giaddr), mac + bytes(10), bytes(64), bytes(128)) \
      + bytes([99, 130, 83, 99]) + opts
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 67))   # a relay agent sends from the server port
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.settimeout(3)
s.sendto(pkt, (srv, 67))
try:
    data, src = s.recvfrom(2048)
    print("REPLY from %s" % src[0])
except socket.timeout:
    print("NO REPLY")
PY
for g in 255.255.255.255 127.0.0.1 "10.$S.0.255"; do
	out=$(ns_exec evil timeout 10 python3 "$PNB_TMP/relay.py" "$SRV" "$g" 2>&1)
	check "a relayed DISCOVER with giaddr $g gets no reply ($out)" test "$out" = "NO REPLY"
	check "...and is logged as dropped" grep -q "relayed from giaddr $g: not a relay agent" "$LOG"
done

check "the server survived every attack" bg_alive srv
stop_bg srv
rc=$?
check "pinetboot exits cleanly on SIGTERM" test "$rc" = 0
