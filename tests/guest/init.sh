#!/bin/sh
# /init of the guest initramfs (built by tests/guest/initramfs.sh).
# Mirrors what Raspberry Pi OS's initramfs-tools does for root=/dev/nfs:
# klibc ipconfig for "ip=dhcp", then the "nfs" boot script's parsing of
# "nfsroot=SERVER:PATH,OPTS" and "nfsmount -o nolock -o rw -o OPTS SERVER:PATH
# /root", then switch_root. Every step prints a "PNB-STEP <name>" line on the
# console (or "PNB-FAIL <name>: why" and powers off), so the test on the host
# can say exactly which step failed.
# shellcheck disable=SC2013 # /proc/cmdline and modules/order are word lists
PATH=/bin:/sbin
export PATH
mount -t devtmpfs devtmpfs /dev
# The cpio archive has no /dev/console (it is built without root), so the
# kernel could not give us one: take it from devtmpfs.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

step() { echo "PNB-STEP $* t=$(cut -d' ' -f1 /proc/uptime)"; }
die() {
	echo "PNB-FAIL $*"
	sleep 1
	poweroff -f
	sleep 60
}

for m in $(cat /modules/order); do
	insmod "/modules/$m.ko" || die "modules: insmod $m failed"
done
step modules

NFSROOT='' IP='' readonly=y
for x in $(cat /proc/cmdline); do
	case $x in
	nfsroot=*) NFSROOT=${x#nfsroot=} ;;
	ip=*) IP=${x#ip=} ;;
	rw) readonly=n ;;
	ro) readonly=y ;;
	esac
done

# initramfs-tools configure_networking, "ip=dhcp" case (one NIC here).
case $IP in
dhcp | on | any | "") ;;
*) die "dhcp: this init only handles ip=dhcp, got ip=$IP" ;;
esac
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -e /sys/class/net/eth0 ] || die "dhcp: no eth0 (virtio_net not bound)"
# Link up first and wait for carrier: klibc ipconfig on a down interface
# spends ~10 s before its first DHCPDISCOVER gets out (measured), which is
# test time, not something the NFS server can influence.
ip link set eth0 up
i=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
# The retry schedule of initramfs-tools' configure_networking: short
# ipconfig runs, each starting with a fresh DHCPDISCOVER. initramfs-tools
# goes on with 25 36 64 100; stopping after 40 s makes a dead DHCP server a
# quick, named failure instead of a qemu timeout.
for t in 2 3 4 6 9 16; do
	ipconfig -t "$t" -c dhcp -d eth0 && [ -f /run/net-eth0.conf ] && break
done
[ -f /run/net-eth0.conf ] || die "dhcp: no DHCP lease within 40 s (ipconfig -t 2 3 4 6 9 16)"
# shellcheck disable=SC1091 # written by ipconfig
. /run/net-eth0.conf
step dhcp "ip=$IPV4ADDR server=$ROOTSERVER"

# initramfs-tools scripts/nfs, nfs_mount_root_impl.
[ -n "$NFSROOT" ] || die "nfsmount: no nfsroot= on the kernel command line"
NFSOPTS=
if [ "${NFSROOT#*,}" != "$NFSROOT" ]; then
	NFSOPTS="-o ${NFSROOT#*,}"
fi
NFSROOT=${NFSROOT%%,*}
if [ "${NFSROOT#*:}" = "$NFSROOT" ]; then
	NFSROOT=${ROOTSERVER}:${NFSROOT}
fi
[ -n "$NFSOPTS" ] || NFSOPTS="-o retrans=10"
if [ "$readonly" = y ]; then roflag="-o ro"; else roflag="-o rw"; fi
echo "nfsmount -o nolock $roflag $NFSOPTS $NFSROOT /root"
# shellcheck disable=SC2086 # word splitting of the option lists is intended
nfsmount -o nolock $roflag $NFSOPTS "$NFSROOT" /root || die "nfsmount: nfsmount $NFSROOT failed"
step nfsmount
[ -x /root/sbin/init ] || die "switch_root: /root/sbin/init missing or not executable on the NFS root"

step switch_root
umount /proc
umount /sys
mount --move /dev /root/dev || die "switch_root: cannot move /dev"
exec switch_root /root /sbin/init
