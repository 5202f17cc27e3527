#!/bin/bash
# t_nfs_proto.sh - pinetboot's NFSv3 server against libnfs clients in
# network namespaces: a server and two registered clients (A and B, fixed
# `address =` in client.conf). A runs every procedure on its own export
# (build/tests/nfs_proto_test basic); B must not mount A's export nor use
# A's handles; an overlayfs root keeps handles across copy-up; a writer
# using UNSTABLE + COMMIT survives two SIGKILLs of the server and every
# byte it was told is committed is on disk.
set -u -o pipefail
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_cmd python3 ss timeout
PT="$PNB_ROOT/build/tests/nfs_proto_test"
[ -x "$PT" ] || _pnb_unmet "build/tests/nfs_proto_test is not built (make build/tests/nfs_proto_test)"
BIN=$(pinetboot_bin)
pinetboot_ready "$BIN" || _pnb_unmet "pinetboot is not built"

netns_lan server clienta clientb
SRV=$(ip_of server)
DATA="$PNB_TMP/data"
A=1234abcd
B=aa-bb-cc-dd-ee-ff
mkdir -p "$DATA/clients/$A/root" "$DATA/clients/$A/boot" "$DATA/clients/$B/root" "$DATA/boot"
printf 'address = %s\n' "$(ip_of clienta)" >"$DATA/clients/$A/client.conf"
printf 'mac = aa:bb:cc:dd:ee:ff\naddress = %s\n' "$(ip_of clientb)" >"$DATA/clients/$B/client.conf"
echo hello >"$DATA/clients/$A/root/hello.txt"
mkdir -p "$DATA/clients/$A/root/lib/systemd"
printf '#!/bin/sh\necho init\n' >"$DATA/clients/$A/root/lib/systemd/systemd"
ln -s lib/systemd/systemd "$DATA/clients/$A/root/init-link"
chmod 0644 "$DATA/clients/$A/root/hello.txt"
echo b >"$DATA/clients/$B/root/b.txt"

# start_server: in the main shell (never inside check's subshell), so the
# PID is recorded for stop_bg and cleanup.
start_server() {
	start_bg server ns_exec server "$BIN" serve --data "$DATA" --dhcp off --nfs on \
		--http-listen off --log-level debug
	wait_for ns_exec server ss -Hltn "sport = :2049" 10
	wait_for ns_exec server ss -Hltn "sport = :111" 10
}
# Overlay root for B: lower (read-only image) + upper, index=on,nfs_export=on.
# Mounted before the server starts: `ip netns exec` gives the server its
# own mount namespace, which only sees mounts made before it.
OV="$PNB_TMP/ov"
mkdir -p "$OV/lower" "$OV/upper" "$OV/work"
echo lower >"$OV/lower/lower.txt"
mv "$DATA/clients/$B/root/b.txt" "$OV/lower/"
OVERLAY=0
if mount -t overlay overlay -o "lowerdir=$OV/lower,upperdir=$OV/upper,workdir=$OV/work,index=on,nfs_export=on" \
	"$DATA/clients/$B/root"; then
	OVERLAY=1
	on_cleanup "umount -l '$DATA/clients/$B/root'"
fi

start_server
check "server starts with --nfs on" wait_for ns_exec server ss -Hltn "sport = :2049" 10

# run_pt NS ARGS...: run the test program, passing its TAP lines through
# with our numbering (its own "ok N" numbers would collide).
run_pt() {
	local nsn=$1 line
	shift
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok * - }" ;;
		"not ok "*) fail "${line#not ok * - }" ;;
		*) diag "$line" ;;
		esac
	done < <(ns_exec "$nsn" timeout 300 "$PT" "$@" 2>&1)
}

run_pt clienta basic "$SRV" "/clients/$A" "$DATA/clients/$A/root" "$PNB_TMP/a.fh"
check "handle.key is mode 0600" test "$(stat -c %a "$DATA/handle.key")" = 600
check "first READ of lib/systemd/systemd reported (BEV_NFS_INIT_READ)" bash -c \
	"ip netns exec $(ns clienta) nfs-cat nfs://$SRV/clients/$A/lib/systemd/systemd >/dev/null && sleep 0.5 && grep -q 'reads /lib/systemd/systemd' '$PNB_TMP/server.log'"
if [ "$OVERLAY" = 1 ]; then
	run_pt clientb overlay "$SRV" "/clients/$B" "$DATA/clients/$B/root"
	check "copy-up landed in the upper dir" grep -q UPPER "$OV/upper/lower.txt"
else
	fail "mount an overlay with index=on,nfs_export=on (kernel support?)"
fi
run_pt clientb denied "$SRV" "/clients/$A"
run_pt clientb denied "$SRV" "/boot/$A"
run_pt clientb foreign "$SRV" "/clients/$B" "$PNB_TMP/a.fh"
check "refusals are logged" grep -q "refused" "$PNB_TMP/server.log"

# Handles are stable across a restart (same key, same kernel handle).
stop_bg server
start_server
check "server restarts" wait_for ns_exec server ss -Hltn "sport = :2049" 10
run_pt clienta stable "$SRV" "/clients/$A" "$PNB_TMP/a.fh"

# Crash test: the server is SIGKILLed twice while A writes UNSTABLE data.
ns_exec clienta timeout 200 "$PT" crash "$SRV" "/clients/$A" crash.bin 96 >"$PNB_TMP/crash.out" 2>&1 &
CPID=$!
for i in 1 2; do
	sleep 1.5
	kill -KILL "$(bg_pid server)" 2>/dev/null
	wait "$(bg_pid server)" 2>/dev/null
	unset "PNB_PIDS[server]"
	start_server
done
wait "$CPID"
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) fail "${line#not ok * - }" ;;
	*) diag "$line" ;;
	esac
done <"$PNB_TMP/crash.out"
run_pt server verify "$DATA/clients/$A/root/crash.bin" 96
