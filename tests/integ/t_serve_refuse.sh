#!/bin/bash
# t_serve_refuse.sh - serve refuses what cannot work (issue 13 item 7), with
# its message and exit code: a data dir that does not exist or that
# `pinetboot init` never made, an interface that does not exist or has no
# IPv4 address, stray arguments; and a client whose overlay root failed to
# mount is never exported while the others are served.
# shellcheck source=tests/integ/lib.sh
source "$(dirname "$0")/lib.sh"
require_root
require_cmd nfs-ls ssh-keygen
PNB=$(pinetboot_bin)

# expect NAME RC TEXT CMD...: CMD exits RC and prints TEXT.
expect() {
	local name=$1 want=$2 text=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && grep -qF -- "$text" <<<"$out"; then
		ok "$name (exit $rc)"
	else
		fail "$name" "want exit $want and '$text'; got exit $rc:" "$out"
	fi
}

netns_lan server admin
T=$(mk_tmpdir)
expect "serve with a data dir that does not exist: points at init" 2 \
	"is not a data dir" ns_exec server "$PNB" serve --data "$T/nope"
expect "...and says how to make one" 2 "pinetboot init --data $T/nope" ns_exec server "$PNB" serve --data "$T/nope"
mkdir -p "$T/empty"
expect "serve with a directory init never made: points at init" 2 \
	"is not an initialised data dir" ns_exec server "$PNB" serve --data "$T/empty"
check "...and creates nothing there" test -z "$(ls -A "$T/empty")"

DATA="$T/data"
check "pinetboot init" "$PNB" init --data "$DATA"
expect "serve --interface that does not exist" 2 "interface 'eth7' does not exist" \
	ns_exec server "$PNB" serve --data "$DATA" --interface eth7
ip -n "$(ns server)" link add dummy0 type veth peer name dummy1
ip -n "$(ns server)" link set dummy0 up && ip -n "$(ns server)" link set dummy1 up
expect "serve --interface without an IPv4 address" 2 "interface 'dummy0' has no IPv4 address" \
	ns_exec server "$PNB" serve --data "$DATA" --interface dummy0
expect "serve --interface eth0,eth7: every named interface is checked" 2 "interface 'eth7' does not exist" \
	ns_exec server "$PNB" serve --data "$DATA" --interface eth0,eth7
expect "serve with a stray argument" 2 "unexpected argument 'now'" ns_exec server "$PNB" serve --data "$DATA" now

# ---- a client whose overlay root cannot be mounted
SRC=$(mk_tmpdir)
mkdir -p "$SRC/etc" "$SRC/sbin" "$SRC/boot/firmware"
echo "console=ttyAMA0 root=PARTUUID=1-02 rootwait" >"$SRC/boot/firmware/cmdline.txt"
echo "[all]" >"$SRC/boot/firmware/config.txt"
echo init >"$SRC/sbin/init"
check "image import good" "$PNB" image import good --from "$SRC" --data "$DATA"
check "image import doomed" "$PNB" image import doomed --from "$SRC" --data "$DATA"
check "add a client of good" "$PNB" add 0000000a --image good --data "$DATA"
check "add a client of doomed" "$PNB" add 0000000b --image doomed --data "$DATA"
rm -rf "$DATA/images/doomed/root" # its lower layer is gone: the overlay cannot mount
ADMIN=$(ip_of admin)
start_bg srv ns_exec server "$PNB" serve --data "$DATA" --interface eth0 --dhcp off --http-listen off \
	--admin-networks "$ADMIN/32"
if wait_for udp_listening server 69 15; then ok "serve starts with one client it cannot mount"; else fail "serve starts with one client it cannot mount" "$(tail "$PNB_TMP/srv.log")"; fi
sleep 1
check "it says which client is not exported and why" grep -q "0000000b: not exported: its overlay root failed to mount" "$PNB_TMP/srv.log"
check "the other client is exported (admin lists its root)" bash -c \
	"ip netns exec $(ns admin) timeout 20 nfs-ls nfs://$(ip_of server)/clients/0000000a | grep -q sbin"
check "the unmounted client's export is refused, never the empty mount point" bash -c \
	"! ip netns exec $(ns admin) timeout 20 nfs-ls nfs://$(ip_of server)/clients/0000000b >/dev/null 2>&1"
check "the refusal names the reason" grep -q "0000000b.*its root is not mounted on the server" "$PNB_TMP/srv.log"
stop_bg srv
check "serve exits cleanly" test $? = 0
