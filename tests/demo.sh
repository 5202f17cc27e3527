#!/bin/bash
# demo.sh - `make demo`: pinetboot's main job on a safe default. A throwaway
# data dir and a private LAN of network namespaces (a home router running its
# own DHCP server, the pinetboot server, one Raspberry Pi 4), `pinetboot serve`
# started there, and a simulated Pi 4 (`pinetboot probe`) booting from it with
# every step printed. Nothing touches the real network; everything is removed
# at the end.
set -u
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		exec sudo -E bash "$0" "$@"
	fi
	echo "make demo needs root (network namespaces): run it as root." >&2
	exit 1
fi
# shellcheck source=tests/integ/lib.sh
source "$(dirname "$0")/integ/lib.sh"
PNB="$PNB_ROOT/pinetboot"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. a private LAN: router, pinetboot server and a Pi, on a bridge (namespaces ${PNB_PREFIX}*)"
netns_lan router server pi || exit 1
S=$PNB_SUBNET
echo "router $(ip_of router)  server $(ip_of server)  pi $(ip_of pi)"
router_dhcp router eth0 "10.$S.0.100" "10.$S.0.150" || { echo "router DHCP failed"; exit 1; }
echo "the router hands out 10.$S.0.100-150 (dnsmasq as a plain DHCP server; pinetboot does not replace it)"

say "2. a throwaway data dir with a Raspberry Pi OS-like boot set, and one registered Pi 4"
DATA=$(mk_tmpdir)
make_bootset "$DATA/boot"
# shellcheck disable=SC2016 # ${server} and ${id} are expanded by pinetboot when it serves the file
printf 'console=serial0,115200 console=tty1 root=/dev/nfs nfsroot=${server}:/clients/${id},vers=3,tcp rw ip=dhcp rootwait\n' >"$DATA/boot/cmdline.txt"
mkdir -p "$DATA/clients/1234abcd/boot"
printf 'name = demo-pi\nmac = dc:a6:32:12:34:cd\n' >"$DATA/clients/1234abcd/client.conf"
(cd "$DATA" && find . -type f | sort | sed 's/^/  /' | head -30)

say "3. pinetboot serve --data $DATA (proxy DHCP on :67, TFTP on :69)"
start_bg srv ns_exec server "$PNB" serve --data "$DATA"
wait_for udp_listening server 69 10 || { cat "$PNB_TMP/srv.log"; exit 1; }
cat "$PNB_TMP/srv.log"

say "4. a Raspberry Pi 4 (serial 1234abcd) powers on: pinetboot probe --model 4"
ns_exec pi "$PNB" probe --model 4 --serial 1234abcd --mac dc:a6:32:12:34:cd --interface eth0 --data "$DATA"
rc=$?

say "5. what the server logged (info level: the expected misses are debug)"
sleep 0.2
tail -n +3 "$PNB_TMP/srv.log"
stop_bg srv
if [ $rc -eq 0 ]; then
	say "the simulated Pi 4 got every boot file it asked for; the demo cleans up after itself"
else
	say "the simulated Pi 4 did NOT boot (exit $rc)"
fi
exit $rc
