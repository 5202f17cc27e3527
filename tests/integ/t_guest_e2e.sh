#!/bin/bash
# t_guest_e2e.sh - the whole product with the real Linux client, pinetboot
# alone on the wire (no dnsmasq, no router):
#   pinetboot init -> image import (a directory) -> add two clients (overlay)
#   -> serve with dhcp = full, NFS and the fleet view
#   -> a QEMU guest (Debian kernel, klibc ipconfig + nfsmount, as the Raspberry
#      Pi OS initramfs) gets its address from pinetboot's full DHCP, mounts the
#      root with the nfsroot= options of the cmdline.txt that `add` generated
#      (fetched over TFTP, ${server} expanded by pinetboot), writes a file,
#      checks in over HTTP, powers off;
#   -> it boots again and finds its file (overlay layout keeps its changes);
#   -> the second client boots and does not see it;
#   -> the fleet API shows the first client "up", and its lease is on disk.
# Covers the end-to-end tests of the provisioning, full-DHCP and fleet-view
# issues. About 1-2 minutes (three TCG guest boots).
set -u
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
QEMU_TIMEOUT=${QEMU_TIMEOUT:-240}
MAC_A=52:54:00:e2:e0:0a
MAC_B=52:54:00:e2:e0:0b
ID_A=52-54-00-e2-e0-0a
ID_B=52-54-00-e2-e0-0b

require_root
require_cmd qemu-system-x86_64 busybox apt-get dpkg-deb curl python3
[ -x /usr/lib/klibc/bin/nfsmount ] || _pnb_unmet "needs klibc-utils (run tests/deps.sh)"
BIN=$(pinetboot_bin)
pinetboot_ready "$BIN" || _pnb_unmet "no pinetboot binary with serve (run make)"

# ---------------------------------------------------------------- guest kernel
GDIR=$PNB_ROOT/build/guest
if kdir=$("$PNB_ROOT/tests/guest/kernel.sh" "$GDIR" 2>"$PNB_TMP/kernel.err"); then
	ok "guest kernel $(cat "$kdir/VERSION")"
else
	fail "guest kernel: tests/guest/kernel.sh failed" "$(cat "$PNB_TMP/kernel.err")"
	exit 1
fi
KVER=$(cat "$kdir/VERSION")
check "guest initramfs" "$PNB_ROOT/tests/guest/initramfs.sh" "$kdir" "$GDIR/initrd.gz" || exit 1

# ---------------------------------------------------------------- an image
# A small busybox root, with a Raspberry Pi OS-like boot partition at
# /boot/firmware, whose init records whether it has seen this root before.
SRC=$(mk_tmpdir)/src
"$PNB_ROOT/tests/guest/rootfs.sh" "$SRC" >/dev/null 2>&1 || {
	fail "guest root tree"
	exit 1
}
rm -f "$SRC/exercise"
mkdir -p "$SRC/boot/firmware" "$SRC/etc/ssh"
printf 'console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n' \
	>"$SRC/boot/firmware/cmdline.txt"
printf '[all]\narm_64bit=1\n' >"$SRC/boot/firmware/config.txt"
printf 'proc /proc proc defaults 0 0\nPARTUUID=4e639091-01 /boot/firmware vfat defaults 0 2\nPARTUUID=4e639091-02 / ext4 defaults,noatime 0 1\n' \
	>"$SRC/etc/fstab"
printf 'raspberrypi\n' >"$SRC/etc/hostname"
cat >"$SRC/sbin/init" <<'EOF'
#!/bin/sh
# e2e guest init: persistence check, check-in with the server, power off.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "PNB-STEP init t=$(cut -d' ' -f1 /proc/uptime)"
echo "PNB-HOSTNAME $(cat /etc/hostname)"
if [ -f /persist ]; then
	echo "PNB-PERSIST found $(cat /persist)"
else
	echo "written by $(cat /etc/hostname)" >/persist
	echo "PNB-PERSIST created"
fi
sync
srv=$(sed -n 's/.*nfsroot=\([0-9.]*\):.*/\1/p' /proc/cmdline)
id=$(sed -n 's/.*nfsroot=[0-9.]*:\/clients\/\([^,]*\),.*/\1/p' /proc/cmdline)
if wget -q -O - --post-data "uptime $(cut -d' ' -f1 /proc/uptime)" "http://$srv:8466/api/checkin/$id" >/dev/null 2>&1; then
	echo "PNB-CHECKIN ok"
else
	echo "PNB-CHECKIN failed"
fi
poweroff -f
EOF
chmod 755 "$SRC/sbin/init"

# ---------------------------------------------------------------- provisioning
DATA=$(mk_tmpdir)/data
check "pinetboot init" "$BIN" init --data "$DATA"
check "pinetboot image import busy --from DIR" "$BIN" image import busy --from "$SRC" --data "$DATA"
netns_lan srv || {
	fail "network namespaces"
	exit 1
}
SRV_IP=$(ip_of srv)
check "pinetboot add (overlay) client A" "$BIN" add "$MAC_A" --name node-a --image busy --server "$SRV_IP" --data "$DATA"
check "pinetboot add (overlay) client B" "$BIN" add "$MAC_B" --name node-b --image busy --server "$SRV_IP" --data "$DATA"

# ---------------------------------------------------------------- network, server
SW=$(ns sw)
if ! { ip -n "$SW" tuntap add dev tap0 mode tap && ip -n "$SW" link set tap0 master br0 &&
	ip -n "$SW" link set tap0 up; }; then
	fail "tap0 in the switch namespace"
	exit 1
fi
S=$PNB_SUBNET
start_bg srv ns_exec srv "$BIN" serve --data "$DATA" --interface eth0 --dhcp full \
	--dhcp-range "10.$S.0.100,10.$S.0.150" --nfs on --http-listen 0.0.0.0:8466 \
	--admin-networks "$SRV_IP/32"
if wait_for udp_listening srv 67 20 && wait_for udp_listening srv 2049 20; then
	ok "serve with dhcp = full, NFS and HTTP (no other DHCP server on the LAN)"
else
	fail "serve did not start" "$(tail -n 20 "$PNB_TMP/srv.log")"
	exit 1
fi

# The cmdline.txt `add` generated, as the Pi gets it over TFTP (fetched from
# the server's own address, an admin network, so ${server} is expanded).
CMD=$(ns_exec srv curl -s "tftp://$SRV_IP/$ID_A/cmdline.txt")
case $CMD in
*"nfsroot=$SRV_IP:/clients/$ID_A,vers=3,tcp"*"ip=dhcp"*) ok "generated cmdline.txt served with \${server} expanded: $CMD" ;;
*) fail "generated cmdline.txt over TFTP" "got: $CMD" ;;
esac

# boot_guest MAC ID NAME: one guest run; console in $PNB_TMP/console.NAME.log.
boot_guest() {
	local mac=$1 id=$2 name=$3 cmd append console
	cmd=$(ns_exec srv curl -s "tftp://$SRV_IP/$id/cmdline.txt")
	# The Pi's serial console is ttyS0 here; everything else as generated.
	append="console=ttyS0 panic=-1 $(sed 's/console=[^ ]*//g' <<<"$cmd")"
	console=$PNB_TMP/console.$name.log
	: >"$console"
	ip netns exec "$SW" timeout --kill-after=10 "$QEMU_TIMEOUT" \
		qemu-system-x86_64 -accel tcg -smp 1 -m 512 -nodefaults -display none -no-reboot \
		-serial "file:$console" -monitor none \
		-kernel "$kdir/boot/vmlinuz-$KVER" -initrd "$GDIR/initrd.gz" -append "$append" \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device "virtio-net-pci,netdev=n0,mac=$mac" >/dev/null 2>&1
}
console_has() { grep -aq "$2" "$PNB_TMP/console.$1.log"; }
console_tail() { tail -n 25 "$PNB_TMP/console.$1.log" | tr -d '\r'; }

boot_guest "$MAC_A" "$ID_A" a1
if console_has a1 "PNB-PERSIST created"; then
	ok "client A boots over DHCP(full)+NFS and writes a file on its root"
else
	fail "client A first boot" "$(console_tail a1)" "server:" "$(tail -n 15 "$PNB_TMP/srv.log")"
fi
check "client A's hostname is the one add set" console_has a1 "PNB-HOSTNAME node-a"
check "client A checked in over HTTP" console_has a1 "PNB-CHECKIN ok"
check "the file is in A's upper layer, not in the image" \
	sh -c "[ -f '$DATA/clients/$ID_A/upper/root/persist' ] && [ ! -e '$DATA/images/busy/root/persist' ]"

boot_guest "$MAC_A" "$ID_A" a2
if console_has a2 "PNB-PERSIST found written by node-a"; then
	ok "client A reboots and finds its file (overlay keeps its changes)"
else
	fail "client A second boot" "$(console_tail a2)"
fi

boot_guest "$MAC_B" "$ID_B" b1
if console_has b1 "PNB-PERSIST created" && console_has b1 "PNB-HOSTNAME node-b"; then
	ok "client B boots the same image and does not see A's file"
else
	fail "client B boot" "$(console_tail b1)"
fi

# The fleet view saw it all; the leases are durable.
api=$(ns_exec srv curl -s "http://127.0.0.1:8466/api/client/$ID_A")
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); s=json.dumps(d); sys.exit(0 if "\"up\"" in s else 1)' "$api" 2>/dev/null; then
	ok "fleet API shows client A up"
else
	fail "fleet API shows client A up" "$api"
fi
addr_a=$(grep -ao "address [0-9.]*\|ipconfig.*address: [0-9.]*" "$PNB_TMP/console.a1.log" | head -n 1)
list=$("$BIN" list --data "$DATA" 2>&1)
if grep -q "$ID_A" <<<"$list" && grep -q "10\.$S\.0\.1[0-5][0-9]" <<<"$list"; then
	ok "pinetboot list shows the clients and their leased addresses"
else
	fail "pinetboot list shows the clients and their leased addresses" "$list" "$addr_a"
fi
check "lease journal on disk" test -s "$DATA/leases.journal"
if grep -qE '^(error) ' "$PNB_TMP/srv.log"; then
	fail "server logged no errors" "$(grep -E '^error ' "$PNB_TMP/srv.log" | head -5)"
else
	ok "server logged no errors"
fi
stop_bg srv
check "serve exits cleanly and unmounts the overlays" \
	sh -c "! mountpoint -q '$DATA/clients/$ID_A/root'"
