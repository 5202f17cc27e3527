#!/bin/bash
# debian-tree.sh [OUTDIR] - a Debian bookworm root laid out like Raspberry Pi
# OS, for tests/integ/t_real_os.sh and t_service.sh. Prints the tree's path
# on stdout.
#
# debootstrap --variant=minbase with systemd-sysv, dbus, openssh-server,
# nfs-common, netbase, linux-image-amd64 and initramfs-tools (no
# recommends), plus the runtime dependencies of the pinetboot .deb (the
# guest of t_service.sh installs it with no network: libinih1, libsodium23,
# libmicrohttpd12, libseccomp2, libcap2, mtools, xz-utils, adduser) and man-db, then:
#   - initramfs-tools set up for an NFS root (BOOT=nfs, MODULES=list with the
#     virtio NIC and NFS modules) and the initramfs regenerated in the chroot;
#   - /boot/firmware as Raspberry Pi OS bookworm has it: cmdline.txt (the SD
#     card's root=PARTUUID=... line), config.txt, kernel8.img (the kernel)
#     and initramfs8 (the initrd, auto_initramfs=1 loads it on a Pi);
#   - /etc/fstab with PARTUUID entries for / and /boot/firmware, host name
#     raspberrypi, root locked (log in with a key).
#
# Cache: OUTDIR/tree-<hash of this script>/root (default OUTDIR build/realos),
# with build-info beside it. An existing one is reused at once.
# The tree is built in a tmpfs (dpkg's fsyncs cost nothing there), copied to
# OUTDIR/.tmp-<hash>-<pid> and renamed into place, so an interrupted build is
# never reused. Downloaded .debs stay in OUTDIR/debs for the next build.
# Build time and size go to stderr and OUTDIR/tree-<hash>/build-info.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/build/realos}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# netbase: /etc/protocols, without which mount.nfs cannot map "tcp" to a
# netid and fails with "Protocol not supported" (minbase leaves it out; Pi
# OS has it).
PKGS=systemd-sysv,dbus,openssh-server,nfs-common,netbase,linux-image-amd64,initramfs-tools,iproute2
# What `apt install ./pinetboot_*.deb` needs in t_service.sh's guest.
PKGS=$PKGS,libinih1,libsodium23,libmicrohttpd12,libseccomp2,libcap2,mtools,xz-utils,adduser,man-db
# Same partition UUID prefix style as Pi OS images (disk id + partition number).
DISKID=6c586e13

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
HASH=$(sha256sum "$0" | cut -c1-12)
TREE=$OUT/tree-$HASH
if [ -f "$TREE/build-info" ] && [ -d "$TREE/root" ]; then
	echo "$TREE/root"
	exit 0
fi
[ "$(id -u)" = 0 ] || {
	echo "debian-tree.sh: debootstrap needs root" >&2
	exit 1
}
command -v debootstrap >/dev/null || {
	echo "debian-tree.sh: needs debootstrap (run tests/deps.sh)" >&2
	exit 1
}

t0=$(date +%s)
WORK=$(mktemp -d /tmp/pnb-realos-XXXXXX)
TMP=$OUT/.tmp-$HASH-$$
mkdir -p "$OUT/debs"
cleanup() {
	for m in proc sys dev/pts dev; do
		mountpoint -q "$WORK/t/$m" 2>/dev/null && umount -l "$WORK/t/$m"
	done
	mountpoint -q "$WORK" && umount -l "$WORK"
	rmdir "$WORK" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
mount -t tmpfs -o size=4g,mode=755 pnb-realos "$WORK"
T=$WORK/t

echo "debian-tree.sh: debootstrap $SUITE ($PKGS) from $MIRROR" >&2
debootstrap --variant=minbase --include="$PKGS" --components=main \
	--cache-dir="$OUT/debs" "$SUITE" "$T" "$MIRROR" >"$WORK.log" 2>&1 || {
	tail -n 30 "$WORK.log" >&2
	rm -f "$WORK.log"
	exit 1
}
rm -f "$WORK.log"
t1=$(date +%s)

# ---------------------------------------------------------------- initramfs
# BOOT=nfs: the initramfs runs klibc ipconfig (ip=dhcp) and nfsmount
# (nfsroot=), as a netbooted Raspberry Pi OS does with its own initramfs.
cat >"$T/etc/initramfs-tools/conf.d/pinetboot-nfs.conf" <<'EOF'
# NFS root from pinetboot (tests/guest/debian-tree.sh)
BOOT=nfs
MODULES=list
EOF
cat >>"$T/etc/initramfs-tools/modules" <<'EOF'
virtio_pci
virtio_net
nfs
nfsv3
EOF
KVER=$(basename "$(ls -d "$T"/lib/modules/*)")
mount -t proc proc "$T/proc"
mount -t sysfs sys "$T/sys"
mount --bind /dev "$T/dev"
mount -t devpts devpts "$T/dev/pts"
chroot "$T" update-initramfs -u -k "$KVER" >&2
for m in dev/pts dev sys proc; do umount "$T/$m"; done

# ---------------------------------------------------------------- Pi OS layout
mkdir -p "$T/boot/firmware"
cp "$T/boot/vmlinuz-$KVER" "$T/boot/firmware/kernel8.img"
cp "$T/boot/initrd.img-$KVER" "$T/boot/firmware/initramfs8"
# What Raspberry Pi OS bookworm ships (serial console on ttyS0 here).
printf 'console=ttyS0 root=PARTUUID=%s-02 rootfstype=ext4 fsck.repair=yes rootwait\n' "$DISKID" \
	>"$T/boot/firmware/cmdline.txt"
cat >"$T/boot/firmware/config.txt" <<'EOF'
# For more options and information see
# http://rptl.io/configtxt
# Some settings may impact device functionality. See link above for details

# Automatically load initramfs files, if found
auto_initramfs=1

# Automatically load overlays for detected cameras
camera_auto_detect=1

# Automatically load overlays for detected DSI displays
display_auto_detect=1

# Enable DRM VC4 V3D driver
dtoverlay=vc4-kms-v3d
max_framebuffers=2

# Don't have the firmware create an initial video= setting in cmdline.txt.
disable_fw_kms_setup=1

# Run in 64-bit mode
arm_64bit=1

# Disable compensation for displays with overscan
disable_overscan=1

# Run as fast as firmware / board allows
arm_boost=1

[cm4]
otg_mode=1

[all]
enable_uart=1
EOF
cat >"$T/etc/fstab" <<EOF
proc            /proc           proc    defaults          0       0
PARTUUID=$DISKID-01  /boot/firmware  vfat    defaults          0       2
PARTUUID=$DISKID-02  /               ext4    defaults,noatime  0       1
EOF
echo raspberrypi >"$T/etc/hostname"
# Pi OS sets a locale; without the file pam_env logs an error per SSH login.
echo LANG=C.UTF-8 >"$T/etc/default/locale"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n127.0.1.1\traspberrypi\n' \
	>"$T/etc/hosts"
# An image's host keys and machine id are per-Pi: `pinetboot add` makes them.
rm -f "$T"/etc/ssh/ssh_host_*
: >"$T/etc/machine-id"
rm -rf "$T"/var/cache/apt/archives/*.deb "$T"/var/lib/apt/lists/*_Packages
t2=$(date +%s)

mkdir "$TMP"
cp -a "$T" "$TMP/root"
size=$(du -sm "$TMP/root" | cut -f1)
files=$(find "$TMP/root" -xdev -type f | wc -l)
t3=$(date +%s)
printf 'kernel %s\ndebootstrap_s %d\ninitramfs_layout_s %d\ncopy_s %d\ntotal_s %d\nsize_mb %s\nfiles %s\n' \
	"$KVER" $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t3 - t0)) "$size" "$files" >"$TMP/build-info"
rm -rf "$TREE"
mv "$TMP" "$TREE"
# Trees of older versions of this script are not used any more.
for old in "$OUT"/tree-*; do
	[ "$old" = "$TREE" ] || rm -rf "$old"
done
echo "debian-tree.sh: built $TREE in $((t3 - t0)) s (debootstrap $((t1 - t0)) s), $size MB, $files files" >&2
echo "$TREE/root"
