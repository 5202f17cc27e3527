#!/bin/bash
# t_dhcp_proxy.sh - proxy DHCP + TFTP end to end on a namespace LAN with a
# "home router" (dnsmasq as the LAN's plain DHCP server), pinetboot serve on
# real ports 67/69 and simulated Pis (pinetboot probe) sending real
# broadcast DISCOVERs: every Pi generation boots its files, unknown Pis are
# ignored and recorded, SIGHUP picks up a new registration, non-Pi DHCP is
# left to the router, and our proxy reply is byte-identical to dnsmasq's.
# shellcheck source=tests/integ/lib.sh
source "$(dirname "$0")/lib.sh"
require_root
require_cmd dnsmasq python3 udhcpc
PNB=$(pinetboot_bin)

netns_lan router server pi other
S=$PNB_SUBNET
router_dhcp router eth0 "10.$S.0.100" "10.$S.0.150" || fail "router DHCP server started"

DATA=$(mk_tmpdir)
make_bootset "$DATA/boot"
cp "$DATA/boot/bcm2710-rpi-3-b.dtb" "$DATA/boot/bcm2710-rpi-3-b-plus.dtb"
# shellcheck disable=SC2016 # the placeholders are for pinetboot, not the shell
printf 'console=serial0,115200 root=/dev/nfs nfsroot=${server}:/clients/${id},vers=3,tcp rw ip=dhcp rootwait\n' \
	>"$DATA/boot/cmdline.txt"
register() { # id [key=value...]
	local id=$1
	shift
	mkdir -p "$DATA/clients/$id/boot"
	: >"$DATA/clients/$id/client.conf"
	local kv
	for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}" >>"$DATA/clients/$id/client.conf"; done
}
# Pi 3B ROM: constant GUID, identified by MAC. Pi 3B+, 4, 5: by serial.
register b8-27-eb-11-22-33 name=pi3rom
register 00112233 name=pi3plus mac=b8:27:eb:11:22:33
register 1234abcd name=pi4 mac=dc:a6:32:12:34:cd
register 5555abcd name=pi5 mac=2c:cf:67:55:ab:cd
# Pi 4 with its own cmdline.txt override
# shellcheck disable=SC2016
printf 'own cmdline for ${name} (${id}) from ${server}\n' >"$DATA/clients/1234abcd/boot/cmdline.txt"

start_srv() {
	start_bg srv ns_exec server "$PNB" serve --data "$DATA" --interface eth0 --log-level debug
	wait_for udp_listening server 67 10 && wait_for udp_listening server 69 10
}
# (not under check: start_bg must record the PID in this shell)
if start_srv; then ok "pinetboot serve starts on ports 67 and 69"; else fail "pinetboot serve starts on ports 67 and 69" "$(cat "$PNB_TMP/srv.log")"; fi

probe() { ns_exec pi "$PNB" probe --interface eth0 --timeout 60 "$@"; }

check "Pi 3B ROM (constant GUID) boots its files" probe --model 3b --mac b8:27:eb:11:22:33 --serial 00112233 --data "$DATA"
check "Pi 3B+ boots its files" probe --model 3b+ --mac b8:27:eb:11:22:33 --serial 00112233 --data "$DATA"
check "Pi 4 boots its files, with its own cmdline.txt" probe --model 4 --serial 1234abcd --mac dc:a6:32:12:34:cd --data "$DATA"
check "Pi 5 boots its files" probe --model 5 --serial 5555abcd --mac 2c:cf:67:55:ab:cd --data "$DATA"

log="$PNB_TMP/srv.log"
# The Pi 4's own cmdline.txt (clients/1234abcd/boot), placeholders expanded,
# as the address that booted as 1234abcd fetches it.
# The pi namespace takes the Pi 4's MAC (the trust model: its files go to
# the address whose MAC is the Pi's) and announces it with an ARP.
ip -n "$(ns pi)" link set eth0 address dc:a6:32:12:34:cd
ip -n "$(ns pi)" neigh flush all
ns_exec pi ping -c1 -W2 "$(ip_of server)" >/dev/null
got=$(ns_exec pi curl -s "tftp://$(ip_of server)/1234abcd/cmdline.txt")
want="own cmdline for pi4 (1234abcd) from $(ip_of server)"
if [ "$got" = "$want" ]; then
	ok "per-client cmdline.txt served from clients/<id>/boot with \${name} \${id} \${server} expanded"
else
	fail "per-client cmdline.txt served from clients/<id>/boot with placeholders expanded" "got:  $got" "want: $want"
fi
if grep -qE '^(warn|error) ' "$log"; then
	fail "normal Pi boots log no warnings or errors" "$(grep -E '^(warn|error) ' "$log" | head -5)"
else
	ok "normal Pi boots log no warnings or errors"
fi

# Unknown Pi: no answer, recorded once with the registration command.
check "unregistered Pi 4 gets no boot answer" probe --model 4 --serial 0badf00d --mac dc:a6:32:0b:ad:0d --dhcp-only --expect-no-answer --timeout 6
check "unregistered Pi asked again: still no answer" probe --model 4 --serial 0badf00d --mac dc:a6:32:0b:ad:0d --dhcp-only --expect-no-answer --timeout 6
check "unknown Pi recorded in discovered.tsv with its model" grep -qE '^0badf00d	dc:a6:32:0b:ad:0d	0badf00d	a03111	Pi 4' "$DATA/discovered.tsv"
n=$(grep -c "new unregistered Pi 0badf00d" "$log")
if [ "$n" = 1 ] && grep "new unregistered Pi 0badf00d" "$log" | grep -q "pinetboot add 0badf00d"; then
	ok "unknown Pi logged once, with how to register it"
else
	fail "unknown Pi logged once, with how to register it" "found $n lines"
fi

# SIGHUP picks up a newly registered Pi without a restart.
register 0badf00d name=latecomer
kill -HUP "$(bg_pid srv)"
wait_for grep -q "reloaded: 5 registered clients" "$log" 5
check "after SIGHUP the new Pi boots" probe --model 4 --serial 0badf00d --mac dc:a6:32:0b:ad:0d --data "$DATA"
check "server still running after reload" bg_alive srv

# SIGHUP in the middle of a transfer: the transfer carries on.
head -c $((60 * 1024 * 1024)) /dev/urandom >"$DATA/boot/big.bin"
ns_exec pi curl -s -o "$PNB_TMP/big.bin" "tftp://$(ip_of server)/big.bin" &
curl_pid=$!
sleep 0.7
kill -HUP "$(bg_pid srv)"
wait "$curl_pid"
curl_rc=$?
if [ $curl_rc = 0 ] && cmp -s "$PNB_TMP/big.bin" "$DATA/boot/big.bin" &&
	awk '/reloaded/ { r = NR } /sent big.bin/ { s = NR } END { exit !(r && s && r < s) }' "$log"; then
	ok "a transfer in flight survives SIGHUP (reload logged before it finished)"
else
	fail "a transfer in flight survives SIGHUP (reload logged before it finished)" "curl rc=$curl_rc" "$(grep -E 'reloaded|big.bin' "$log" | tail -4)"
fi

# A non-PXE DHCP client (an OS's udhcpc) is left to the router.
before=$(grep -c "boot answer" "$log")
if ns_exec other timeout 20 udhcpc -f -q -n -i eth0 -t 3 -T 2 -s /bin/true >"$PNB_TMP/udhcpc.log" 2>&1 &&
	grep -q "lease of 10.$S.0.1[0-5][0-9] obtained" "$PNB_TMP/udhcpc.log"; then
	ok "an ordinary DHCP client still gets its lease from the router"
else
	fail "an ordinary DHCP client still gets its lease from the router" "$(tail -5 "$PNB_TMP/udhcpc.log")"
fi
after=$(grep -c "boot answer" "$log")
check "pinetboot did not answer the ordinary DHCP client" test "$before" = "$after"

# x86 PXE client (not a Pi OUI, no Pi GUID): never answered.
x86_discover() { # an x86 BIOS PXE ROM: same vendor class and arch as a Pi, random UUID, non-Pi MAC
	ns_exec other python3 - "$(ip_of server)" <<'PY'
import os, socket, struct, sys, time
server = sys.argv[1]
mac = bytes.fromhex("00163e000001")
pkt = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, 0x1234abcd, 0, 0, 0, 0, 0, 0) + mac + b"\0" * 10
pkt += b"\0" * 192 + bytes.fromhex("63825363")
pkt += bytes([53, 1, 1, 93, 2, 0, 0, 94, 3, 1, 2, 1, 97, 17, 0]) + os.urandom(16)
vc = b"PXEClient:Arch:00000:UNDI:002001"
pkt += bytes([60, len(vc)]) + vc + b"\xff"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.bind(("0.0.0.0", 68))
s.settimeout(0.5)
deadline = time.time() + 3
s.sendto(pkt, ("255.255.255.255", 67))
while time.time() < deadline:
    try:
        data, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    if peer[0] == server and data[4:8] == pkt[4:8]:
        sys.exit("pinetboot answered an x86 PXE client")
print("no answer from pinetboot")
PY
}
check "an x86 PXE ROM is not answered" x86_discover
check "the x86 PXE ROM is logged (debug) as not a Pi" grep -q "00:16:3e:00:00:01: ignoring DISCOVER xid 1234abcd: PXE client that is not a Raspberry Pi" "$log"

# Byte comparison with dnsmasq's proxy reply for the same DISCOVER.
stop_bg srv
start_bg dnsmasq-proxy ns_exec server dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
	--no-resolv --no-hosts --bind-interfaces --interface=eth0 --dhcp-range="10.$S.0.0,proxy" \
	--pxe-service=0,"Raspberry Pi Boot" --dhcp-leasefile="$PNB_TMP/proxy.leases" \
	--enable-tftp --tftp-root="$DATA/boot" \
	--pid-file="$PNB_TMP/proxy.pid" --log-dhcp --log-facility=-
wait_for udp_listening server 67 10
D1=$(mk_tmpdir)
D2=$(mk_tmpdir)
probe --model 3b+ --mac b8:27:eb:11:22:33 --serial 00112233 --dhcp-only --dump-offers "$D1" >/dev/null 2>&1
probe --model 4 --serial 1234abcd --mac dc:a6:32:12:34:cd --dhcp-only --dump-offers "$D1" >/dev/null 2>&1
# probe works against any server: the classic tutorial's dnsmasq (proxy + TFTP)
check "probe boots a Pi 4 from dnsmasq configured as in the classic tutorial" \
	probe --model 4 --serial 77777777 --mac dc:a6:32:77:77:77 --verify-dir "$DATA/boot"
stop_bg dnsmasq-proxy
if start_srv; then ok "pinetboot restarts"; else fail "pinetboot restarts"; fi
probe --model 3b+ --mac b8:27:eb:11:22:33 --serial 00112233 --dhcp-only --dump-offers "$D2" >/dev/null 2>&1
probe --model 4 --serial 1234abcd --mac dc:a6:32:12:34:cd --dhcp-only --dump-offers "$D2" >/dev/null 2>&1
srv_ip=$(ip_of server)
cmp_offers() { # id: compare the offers the server sent to id; xid (bytes 4-7) masked
	python3 - "$D1" "$D2" "$1" "$srv_ip" <<'PY'
import glob, sys
d1, d2, ident, ip = sys.argv[1:5]
def load(d):
    fs = sorted(glob.glob("%s/%s-*-%s.bin" % (d, ident, ip)))
    if not fs:
        sys.exit("no offer from %s for %s in %s" % (ip, ident, d))
    b = bytearray(open(fs[0], "rb").read())
    b[4:8] = b"\0\0\0\0"
    return bytes(b)
a, b = load(d1), load(d2)
if a != b:
    diff = [i for i in range(max(len(a), len(b))) if i >= len(a) or i >= len(b) or a[i] != b[i]]
    sys.exit("dnsmasq %d bytes, pinetboot %d bytes, first differences at %s" % (len(a), len(b), diff[:8]))
print("identical, %d bytes" % len(a))
PY
}
check "proxy reply to a Pi 3B+ is byte-identical to dnsmasq's" cmp_offers 00112233
check "proxy reply to a Pi 4 is byte-identical to dnsmasq's (xid aside)" cmp_offers 1234abcd

stop_bg srv
rc=$?
check "pinetboot exits cleanly on SIGTERM" test "$rc" = 0
