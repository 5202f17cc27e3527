#!/bin/bash
# initramfs.sh - build the QEMU guest's initramfs (cpio newc + gzip, no root
# needed): busybox (with its shared libraries), klibc-utils' ipconfig and
# nfsmount (the tools Raspberry Pi OS's initramfs-tools uses), the kernel
# modules for virtio-net and NFSv3 (with their dependencies, in load order),
# and an /init that mounts the root the way initramfs-tools' "nfs" script does.
#
#   tests/guest/initramfs.sh KERNELDIR OUT.cpio.gz
#
# KERNELDIR is what tests/guest/kernel.sh printed. Rebuilt only when OUT is
# older than this script, init.sh or the kernel tree.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kdir=$1
out=$2
ver=$(cat "$kdir/VERSION")
mdir=$kdir/lib/modules/$ver

if [ -s "$out" ] && [ "$out" -nt "$here/initramfs.sh" ] && [ "$out" -nt "$here/init.sh" ] &&
	[ "$out" -nt "$kdir/VERSION" ]; then
	exit 0
fi

for f in /bin/busybox /usr/lib/klibc/bin/ipconfig /usr/lib/klibc/bin/nfsmount; do
	[ -x "$f" ] || {
		echo "initramfs.sh: missing $f (busybox, klibc-utils)" >&2
		exit 1
	}
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/root
mkdir -p "$r/bin" "$r/sbin" "$r/lib" "$r/lib64" "$r/dev" "$r/proc" "$r/sys" "$r/run" \
	"$r/root" "$r/tmp" "$r/modules" "$r/etc"

# copy_with_libs BIN DEST: BIN plus every shared object ldd lists, at the
# same absolute paths (the dynamic loader path is baked into BIN).
copy_with_libs() {
	cp "$1" "$2"
	ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
		while read -r lib; do
			mkdir -p "$r$(dirname "$lib")"
			cp -L "$lib" "$r$lib"
		done
}

copy_with_libs /bin/busybox "$r/bin/busybox"
for a in sh mount umount mkdir cat echo sleep switch_root insmod poweroff sed grep \
	ls dmesg ln rm tr cut head mknod ip; do
	ln -s busybox "$r/bin/$a"
done

# klibc binaries: their interpreter is /lib/klibc-<hash>.so.
for b in ipconfig nfsmount; do
	cp /usr/lib/klibc/bin/$b "$r/bin/$b"
	interp=$(readelf -l /usr/lib/klibc/bin/$b | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
	[ -f "$r$interp" ] || cp -L "$interp" "$r$interp"
done

# Module dependencies. The package has no modules.dep (depmod runs at install
# time), so read each module's own "depends=" from its .modinfo section.
modpath() {
	find "$mdir/kernel" -name "$1.ko" -o -name "$(echo "$1" | tr _ -).ko" | head -n 1
}
moddeps() {
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout 2>/dev/null |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr , ' '
}
order=$work/order
: >"$order"
# add_mod NAME: dependencies first (depth first), each module once.
add_mod() {
	grep -qx "$1" "$order" && return 0
	p=$(modpath "$1")
	if [ -z "$p" ]; then
		# Built into the kernel: nothing to load.
		if grep -q "/$1.ko\$" "$mdir/modules.builtin" 2>/dev/null; then
			return 0
		fi
		echo "initramfs.sh: module $1 not found in $mdir" >&2
		exit 1
	fi
	for d in $(moddeps "$p"); do
		add_mod "$d"
	done
	echo "$1" >>"$order"
	cp "$(modpath "$1")" "$r/modules/$1.ko"
}
# virtio_pci: the virtio-net-pci device; nfsv3: the NFS v3 client (the
# kernel asks for "nfsv3" with request_module, which cannot work without
# modprobe, so it is loaded up front); overlay: for the overlay test.
for m in virtio_pci virtio_net nfs nfsv3 overlay; do
	add_mod "$m"
done
cp "$order" "$r/modules/order"

cp "$here/init.sh" "$r/init"
chmod 755 "$r/init"

mkdir -p "$(dirname "$out")"
# busybox's cpio (no separate cpio package needed); -R 0:0 so the archive
# is root-owned whoever builds it.
(cd "$r" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 >"$work/initrd.cpio")
gzip -6 -n <"$work/initrd.cpio" >"$out.tmp"
mv "$out.tmp" "$out"
