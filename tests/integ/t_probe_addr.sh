#!/bin/bash
# t_probe_addr.sh - `pinetboot probe` talks TFTP from the address it was
# offered, like a real Pi: its namespace's eth0 has NO IPv4 address. Full
# DHCP mode (pinetboot gives the address and the boot answer) and proxy mode
# (a dnsmasq "router" gives the address, pinetboot the boot answer); Pi 4,
# Pi 3B+ and Pi 3B; --count with one address per simulated Pi; the address
# the server saw is the offered one; nothing is left on the probed link.
# shellcheck source=tests/integ/lib.sh
source "$(dirname "$0")/lib.sh"
require_root
require_cmd dnsmasq python3
PNB=$(pinetboot_bin)

netns_lan server pi router
S=$PNB_SUBNET
SRV=$(ip_of server)
ns_exec pi ip addr flush dev eth0
ns_exec router ip addr flush dev eth0   # the router gets its address in the proxy part

DATA=$(mk_tmpdir)
make_bootset "$DATA/boot"
cp "$DATA/boot/bcm2710-rpi-3-b.dtb" "$DATA/boot/bcm2710-rpi-3-b-plus.dtb"
cp "$DATA/boot/bcm2711-rpi-4-b.dtb" "$DATA/boot/bcm2711-rpi-400.dtb"
register() { # id [key=value...]
	local id=$1 kv
	shift
	mkdir -p "$DATA/clients/$id/boot"
	: >"$DATA/clients/$id/client.conf"
	for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}" >>"$DATA/clients/$id/client.conf"; done
}
register 1234abcd name=pi4 mac=dc:a6:32:12:34:cd
register 00112233 name=pi3plus mac=b8:27:eb:11:22:33
register b8-27-eb-44-55-66 name=pi3rom
register 400abcd0 name=pi400 mac=dc:a6:32:0a:bc:d0
for n in 1 2 3; do register 2000000$n "name=many$n" "mac=dc:a6:32:00:00:0$n"; done

LOG="$PNB_TMP/srv.log"
probe() { ns_exec pi "$PNB" probe --interface eth0 --timeout 60 --data "$DATA" "$@"; }
# from_addr OUT: the address of "PASS ... from A" in OUT.
from_addr() { sed -n 's/^PASS .* from \([0-9.]*\)$/\1/p' <<<"$1" | head -1; }
no_ipv4_left() { ! ns_exec pi ip -4 -o addr show dev eth0 | grep -q inet && [ "$(ns_exec pi ip -o link | wc -l)" = 2 ]; }

# ---------------------------------------------------------------- full DHCP
start_bg srv ns_exec server "$PNB" serve --data "$DATA" --interface eth0 --dhcp full \
	--dhcp-range "10.$S.0.100,10.$S.0.149" --log-level debug
if wait_for udp_listening server 67 10 && wait_for grep -q "serve: ready" "$LOG" 10; then
	ok "pinetboot serve starts in full mode"
else
	fail "pinetboot serve starts in full mode" "$(tail -5 "$LOG")"
fi
check "the probe's eth0 has no IPv4 address" no_ipv4_left

out=$(probe --model 4 --serial 1234abcd --mac dc:a6:32:12:34:cd 2>&1)
rc=$?
A4=$(from_addr "$out")
if [ "$rc" = 0 ] && [ -n "$A4" ]; then ok "full mode: Pi 4 boots with no static address (TFTP from $A4)"; else fail "full mode: Pi 4 boots with no static address" "exit $rc" "$(tail -8 <<<"$out")"; fi
check "full mode: the Pi 4 used the address pinetboot acknowledged" \
	grep -q "dc:a6:32:12:34:cd 1234abcd pi4: ACK $A4 " "$LOG"
check "full mode: the server sent the Pi 4's kernel to that address" \
	grep -qE "tftp: $A4:[0-9]+ 1234abcd sent (1234abcd/)?kernel8.img" "$LOG"
check "full mode: the probe said it used its own link with the Pi's MAC" \
	grep -q "own link: macvlan of eth0 with the Pi's MAC dc:a6:32:12:34:cd" <<<"$out"
check "nothing left on the probed link after the Pi 4" no_ipv4_left

out=$(probe --model 3b+ --serial 00112233 2>&1)
rc=$?
A3=$(from_addr "$out")
if [ "$rc" = 0 ] && [ -n "$A3" ]; then ok "full mode: Pi 3B+ boots with no static address (TFTP from $A3)"; else fail "full mode: Pi 3B+ boots with no static address" "exit $rc" "$(tail -8 <<<"$out")"; fi
check "full mode: the Pi 3B+ used the address pinetboot offered it" \
	grep -q "b8:27:eb:11:22:33 .*OFFER $A3 " "$LOG"
check "full mode: its start.elf went to that address" grep -qE "tftp: $A3:[0-9]+ .*sent .*start.elf" "$LOG"

out=$(probe --model 3b --mac b8:27:eb:44:55:66 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ -n "$(from_addr "$out")" ]; then ok "full mode: Pi 3B ROM boots with no static address"; else fail "full mode: Pi 3B ROM boots with no static address" "exit $rc" "$(tail -8 <<<"$out")"; fi

out=$(probe --model 400 --serial 400abcd0 --verbose 2>&1)
rc=$?
if [ "$rc" = 0 ] && grep -q "bcm2711-rpi-400.dtb 52.6 kB" <<<"$out"; then ok "full mode: a Pi 400 boots with its own device tree"; else fail "full mode: a Pi 400 boots with its own device tree" "exit $rc" "$(tail -8 <<<"$out")"; fi

out=$(probe --model 4 --serial 20000001 --count 3 --verbose 2>&1)
rc=$?
addrs=$(grep -c "TFTP from 10\.$S\.0\.1[0-4][0-9]/" <<<"$out")
distinct=$(sed -n 's/.*TFTP from \([0-9.]*\)\/.*/\1/p' <<<"$out" | sort -u | wc -l)
if [ "$rc" = 0 ] && [ "$addrs" = 3 ] && [ "$distinct" = 3 ]; then
	ok "--count 3: three Pis boot, each from its own offered address"
else
	fail "--count 3: three Pis boot, each from its own offered address" "exit $rc, $addrs addresses, $distinct distinct" "$(grep -E '^(PASS|FAIL)|TFTP from' <<<"$out")"
fi
check "nothing left on the probed link after --count 3" no_ipv4_left
stop_bg srv

# ---------------------------------------------------------------- proxy
mv "$LOG" "$PNB_TMP/srv-full.log"
start_bg srv ns_exec server "$PNB" serve --data "$DATA" --interface eth0 --log-level debug
wait_for udp_listening server 67 10 && wait_for grep -q "serve: ready" "$LOG" 10
# No LAN DHCP server yet: a proxy answer carries no address, and a Pi whose
# link has none cannot talk TFTP. probe must say so, not hang or pass.
out=$(probe --model 4 --serial 1234abcd --mac dc:a6:32:12:34:cd --dhcp-retry-ms 500 --timeout 20 2>&1)
rc=$?
if [ "$rc" = 1 ] && grep -q "no offer gave an address" <<<"$out"; then
	ok "proxy without a LAN DHCP server: FAIL with the reason"
else
	fail "proxy without a LAN DHCP server: FAIL with the reason" "exit $rc" "$(tail -5 <<<"$out")"
fi

ns_exec router ip addr add "10.$S.0.254/24" dev eth0
router_dhcp router eth0 "10.$S.0.200" "10.$S.0.220" || fail "router DHCP server started"
for spec in "4 1234abcd dc:a6:32:12:34:cd" "3b+ 00112233 b8:27:eb:11:22:33"; do
	read -r model serial mac <<<"$spec"
	out=$(probe --model "$model" --serial "$serial" --mac "$mac" 2>&1)
	rc=$?
	A=$(from_addr "$out")
	if [ "$rc" = 0 ] && [[ $A == 10.$S.0.2[0-2][0-9] ]]; then
		ok "proxy mode: Pi $model boots from the router's address $A"
	else
		fail "proxy mode: Pi $model boots from the router's address" "exit $rc, address '$A'" "$(tail -8 <<<"$out")"
	fi
	check "proxy mode: the router offered $A to $mac" grep -qiE "DHCPOFFER\(eth0\) $A $mac" "$PNB_TMP/dhcp-router.log"
	check "proxy mode: pinetboot served Pi $model at $A" grep -qE "tftp: $A:[0-9]+ .*sent " "$LOG"
done
check "nothing left on the probed link after the proxy runs" no_ipv4_left
check "server still running" bg_alive srv
