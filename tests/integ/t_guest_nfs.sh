#!/bin/bash
# t_guest_nfs.sh - the real Linux NFS client against pinetboot's NFSv3 server.
#
# A QEMU guest (TCG; Debian's own kernel, fetched by tests/guest/kernel.sh)
# gets its address by DHCP, mounts its root from the server exactly as a
# Raspberry Pi OS initramfs does (klibc ipconfig + nfsmount, options from the
# nfsroot= line pinetboot generates), switch_roots into it and runs
# tests/guest/exercise.sh there; then every result is checked again on the
# server side (owners, modes, device numbers, link counts, sha256).
#
#   SERVER=pinetboot (default) | ganesha   which NFS server the guest uses
#   BIG_MB=100                              size of the exercise's big file
#   QEMU_TIMEOUT=300                        hard limit of the guest run (s;
#                                           a normal run takes ~22 s)
#   EXPORT_PATH=/clients/<id>               what the guest mounts (set it to
#                                           something else to see a red run)
#
# LAN: namespace "srv" (the NFS server), namespace "router" (dnsmasq as the
# LAN's DHCP server: pinetboot's full DHCP mode will replace it here, see
# tests/guest/README.md) and the guest's tap device, all on the bridge of
# lib.sh's switch namespace; qemu runs in the switch namespace.
set -u
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/guest/nfs-servers.sh
. "$PNB_ROOT/tests/guest/nfs-servers.sh"

SERVER=${SERVER:-pinetboot}
BIG_MB=${BIG_MB:-100}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}
GUEST_MAC=52:54:00:4e:46:53
CID=52-54-00-4e-46-53

require_root
require_cmd qemu-system-x86_64 dnsmasq busybox apt-get dpkg-deb objcopy readelf sha256sum
[ -x /usr/lib/klibc/bin/nfsmount ] || _pnb_unmet "needs klibc-utils (run tests/deps.sh)"
case $SERVER in
pinetboot)
	BIN=$(pinetboot_bin)
	pinetboot_ready "$BIN" || _pnb_unmet "no pinetboot binary with serve (run make)"
	;;
ganesha) require_cmd ganesha.nfsd rpcbind unshare ;;
*)
	fail "SERVER=$SERVER is neither pinetboot nor ganesha"
	exit 1
	;;
esac
diag "server: $SERVER"

# ---------------------------------------------------------------- guest image
GDIR=$PNB_ROOT/build/guest
if kdir=$("$PNB_ROOT/tests/guest/kernel.sh" "$GDIR" 2>"$PNB_TMP/kernel.err"); then
	ok "guest kernel $(cat "$kdir/VERSION") unpacked in build/guest"
else
	fail "guest kernel: tests/guest/kernel.sh failed" "$(cat "$PNB_TMP/kernel.err")"
	exit 1
fi
KVER=$(cat "$kdir/VERSION")
check "guest initramfs (busybox, klibc ipconfig+nfsmount, virtio/NFS modules)" \
	"$PNB_ROOT/tests/guest/initramfs.sh" "$kdir" "$GDIR/initrd.gz" || exit 1

DATA=$(mk_tmpdir)
ROOT=$DATA/clients/$CID/root
mkdir -p "$DATA/boot" "$DATA/clients/$CID/boot"
check "guest root filesystem built in DATA/clients/$CID/root" \
	"$PNB_ROOT/tests/guest/rootfs.sh" "$ROOT" || exit 1

# ---------------------------------------------------------------- network
netns_lan srv router || {
	fail "network namespaces"
	exit 1
}
SW=$(ns sw)
SRV_IP=$(ip_of srv)
GUEST_IP=10.$PNB_SUBNET.0.100
if ! { ip -n "$SW" tuntap add dev tap0 mode tap &&
	ip -n "$SW" link set tap0 master br0 && ip -n "$SW" link set tap0 up; }; then
	fail "tap0 in the switch namespace"
	exit 1
fi
# One address in the pool: the guest's address is known in advance, so
# client.conf can name it (pinetboot only answers a client's own address).
if router_dhcp router eth0 "$GUEST_IP" "$GUEST_IP"; then
	ok "dnsmasq (the LAN's DHCP server) in router, pool $GUEST_IP"
else
	fail "dnsmasq did not start" "$(tail -n 5 "$PNB_TMP/dhcp-router.log")"
	exit 1
fi
printf 'name = qemu-guest\nmac = %s\naddress = %s\n' "$GUEST_MAC" "$GUEST_IP" \
	>"$DATA/clients/$CID/client.conf"

# ---------------------------------------------------------------- server
if [ "$SERVER" = ganesha ]; then
	ganesha_start nfsd srv "/clients/$CID=$ROOT" "/boot/$CID=$DATA/clients/$CID/boot"
else
	start_bg nfsd ns_exec srv "$BIN" serve --data "$DATA" --nfs on --dhcp off
	wait_for nfs_ready srv 20
fi
if nfs_ready srv && bg_alive nfsd; then
	ok "$SERVER serves NFS in srv ($SRV_IP: portmapper 111, NFS 2049)"
else
	fail "$SERVER did not start serving NFS (no TCP 111 + 2049 in srv)" \
		"$(tail -n 20 "$PNB_TMP/nfsd.log")"
	exit 1
fi

# ---------------------------------------------------------------- guest
# The nfsroot= options pinetboot writes into cmdline.txt
# (src/provision/prov_text.c), with ${server} expanded.
NFSROOT="$SRV_IP:${EXPORT_PATH:-/clients/$CID},vers=3,tcp,rsize=1048576,wsize=1048576"
APPEND="console=ttyS0 quiet panic=-1 root=/dev/nfs nfsroot=$NFSROOT rw ip=dhcp rootwait pnb.big_mb=$BIG_MB"
CONSOLE=$PNB_TMP/console.log
: >"$CONSOLE"
diag "guest: -append \"$APPEND\""
t0=$(date +%s)
start_bg qemu ns_exec sw timeout --kill-after=10 "$QEMU_TIMEOUT" \
	qemu-system-x86_64 -accel tcg -smp 1 -m 512 -nodefaults -display none -no-reboot \
	-serial "file:$CONSOLE" -monitor none \
	-kernel "$kdir/boot/vmlinuz-$KVER" -initrd "$GDIR/initrd.gz" -append "$APPEND" \
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
	-device "virtio-net-pci,netdev=n0,mac=$GUEST_MAC"
qpid=$(bg_pid qemu)
wait "$qpid"
qrc=$?
unset "PNB_PIDS[qemu]"
t1=$(date +%s)
diag "guest ran $((t1 - t0)) s (qemu exit $qrc)"

console_tail() { tail -n 40 "$CONSOLE" | tr -d '\r'; }
if bg_alive nfsd; then
	ok "$SERVER still running after the guest run"
else
	fail "$SERVER died during the guest run" "$(tail -n 30 "$PNB_TMP/nfsd.log")"
fi
# Every step the guest reports on its console, in boot order. The first one
# missing is the step that failed.
guest_ok=1
for s in modules dhcp nfsmount switch_root init; do
	line=$(grep -a -m1 "^PNB-STEP $s" "$CONSOLE" | tr -d '\r')
	if [ -n "$line" ] && [ "$guest_ok" = 1 ]; then
		ok "guest step $s (${line#PNB-STEP })"
	elif [ "$guest_ok" = 1 ]; then
		guest_ok=0
		why=$(grep -a -m1 '^PNB-FAIL' "$CONSOLE" | tr -d '\r')
		fail "guest step $s: ${why:-no PNB-STEP $s line (qemu exit $qrc, timeout $QEMU_TIMEOUT s)}" \
			"console tail:" "$(console_tail)" "server log tail:" "$(tail -n 15 "$PNB_TMP/nfsd.log")"
	fi
done
[ "$qrc" = 124 ] || [ "$qrc" = 137 ] && diag "qemu was killed by the $QEMU_TIMEOUT s timeout"
if [ "$guest_ok" = 1 ]; then
	# What the kernel negotiated: NFSv3 over TCP with the full 1 MiB the
	# nfsroot= line asks for (the server's FSINFO rtmax/wtmax cap it).
	mnt=$(grep -a -m1 '^# root mount:' "$CONSOLE" | tr -d '\r')
	case $mnt in
	*vers=3,rsize=1048576,wsize=1048576,*proto=tcp,*) ok "guest root mount is NFSv3/TCP, rsize=wsize=1 MiB" ;;
	*) fail "guest root mount options" "${mnt:-no '# root mount:' line on the console}" ;;
	esac
fi
ex=$(grep -a -m1 '^PNB-EXERCISE' "$CONSOLE" | tr -d '\r')
if [ "$guest_ok" = 1 ] && [ "$ex" = "${ex#PNB-EXERCISE rc=0 }" ]; then
	last=$(grep -a '^EX ' "$CONSOLE" | tail -n 1 | tr -d '\r')
	fail "guest exercise: ${ex:-no PNB-EXERCISE line; last step started: ${last#EX }}" \
		"$(grep -a 'FAILED' "$CONSOLE" | tr -d '\r' | head -n 20)" \
		"console tail:" "$(console_tail)" "server log tail:" "$(tail -n 15 "$PNB_TMP/nfsd.log")"
	guest_ok=0
elif [ "$guest_ok" = 1 ]; then
	ok "guest exercise passed (${ex#PNB-EXERCISE })"
fi

# ---------------------------------------------------------------- server side
# stat_is FILE FORMAT WANT: server-side stat of a file the guest made.
# shellcheck disable=SC2317 # called through check
stat_is() {
	local got
	got=$(stat -c "$2" "$1" 2>&1)
	[ "$got" = "$3" ] || {
		echo "$1: stat -c '$2' is '$got', want '$3'"
		return 1
	}
}

# server_side: the guest's work, checked on the server's file system.
server_side() {
	if grep -qx "done" "$R"; then
		ok "result file written over NFS and complete"
	else
		fail "result file $R missing or incomplete" "$(cat "$R" 2>/dev/null)"
	fi
	while read -r l; do
		case $l in "not ok "*) fail "guest check ${l#not ok }" ;; esac
	done <"$R" 2>/dev/null

	local E=$ROOT/ex want got l
	check "server: appended file content" test "$(cat "$E/f1" 2>&1)" = "$(printf 'hello\nworld')"
	check "server: truncated file" stat_is "$E/f2" '%s' 3
	check "server: sparse file size" stat_is "$E/sparse" '%s' 5000000
	check "server: renames" test -f "$E/r2" -a ! -e "$E/r1" -a -f "$E/d2/moved/x" -a ! -e "$E/d1/sub" -a "$(cat "$E/rold" 2>&1)" = new
	check "server: hard link count 2, same inode" sh -c "[ \"\$(stat -c %h '$E/lk')\" = 2 ] && [ '$E/lk' -ef '$E/lk2' ]"
	check "server: symlink targets" sh -c "[ \"\$(readlink '$E/sl')\" = f1 ] && [ \"\$(readlink '$E/sl2')\" = /no/such/target ]"
	check "server: modes 640, 4755, 1777 dir" sh -c "[ \"\$(stat -c %a '$E/m1' '$E/m2' '$E/st' | tr '\n' ' ')\" = '640 4755 1777 ' ]"
	check "server: chown 1234:5678" stat_is "$E/o1" '%u:%g' 1234:5678
	check "server: chown -h on symlink 4321:8765" stat_is "$E/osl" '%u:%g' 4321:8765
	check "server: chgrp only" stat_is "$E/o2" '%u:%g' 0:99
	check "server: mtime set by touch -d" stat_is "$E/u1" '%Y' 981173106
	check "server: char device 10,200" stat_is "$E/cdev" '%F %t %T' "character special file a c8"
	check "server: block device 259,7" stat_is "$E/bdev" '%F %t %T' "block special file 103 7"
	check "server: FIFO" stat_is "$E/ff" '%F' fifo
	check "server: big file size" stat_is "$E/big" '%s' $((BIG_MB * 1048576))
	want=$(sed -n 's/^sha256_big //p' "$R" 2>/dev/null)
	got=$(sha256sum "$E/big" 2>/dev/null | cut -d' ' -f1)
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		ok "server: big file sha256 matches the guest's ($got)"
	else
		fail "server: big file sha256" "guest: ${want:-none}" "server: ${got:-none}"
	fi
	check "server: rm -rf removed the tree" test ! -e "$E/tree"
	check "server: kept tree has 50 files" test "$(find "$E/keep" -type f | wc -l)" = 50
}
R=$ROOT/result
if [ -f "$R" ]; then
	server_side
else
	fail "server-side checks not run: the guest wrote no $R (see the first failed step above)"
fi

# The kernel's own nfsroot= parser (no initramfs) needs NFS, NFS root, the
# NIC and IP autoconfiguration built in. Decided from the kernel's config,
# never faked (see tests/guest/README.md).
KCONF=$kdir/boot/config-$KVER
missing=""
for o in CONFIG_IP_PNP CONFIG_IP_PNP_DHCP CONFIG_NFS_FS CONFIG_NFS_V3 CONFIG_ROOT_NFS \
	CONFIG_VIRTIO_NET CONFIG_VIRTIO_PCI; do
	grep -qx "$o=y" "$KCONF" && continue
	v=$(sed -n "s/^${o}=\\(.*\\)/\\1/p; s/^# ${o} is not set/n/p" "$KCONF")
	missing="$missing ${o#CONFIG_}=${v:-absent}"
done
if [ -n "$missing" ]; then
	skip_test "guest boot with the kernel's own nfsroot= parser (no initramfs)" \
		"not built into Debian's $KVER:$missing (tests/guest/README.md)"
else
	fail "guest boot with the kernel's own nfsroot= parser: the kernel supports it now; add the run (tests/guest/README.md)"
fi

if [ "$guest_ok" != 1 ]; then
	diag "guest console: $CONSOLE (KEEP_TMP=1 keeps it)"
fi
exit 0
