#!/bin/sh
# kernel.sh - fetch (not install) Debian's amd64 kernel package for the QEMU
# guest and unpack it under build/guest/. Cached: a second run with the
# package already unpacked does nothing. Prints the unpacked tree's path.
#
#   tests/guest/kernel.sh [OUTDIR]        (default: build/guest)
#
# Result: OUTDIR/kernel/boot/vmlinuz-<ver>, OUTDIR/kernel/boot/config-<ver>,
# OUTDIR/kernel/lib/modules/<ver>/..., and OUTDIR/kernel/VERSION (<ver>).
# Needs only apt-get (download works as any user with a readable apt cache;
# run "apt-get update" first on a fresh machine) and dpkg-deb.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/guest}
kdir=$out/kernel
mkdir -p "$out"

if [ -s "$kdir/VERSION" ]; then
	ver=$(cat "$kdir/VERSION")
	if [ -f "$kdir/boot/vmlinuz-$ver" ] && [ -d "$kdir/lib/modules/$ver" ]; then
		echo "$kdir"
		exit 0
	fi
fi

# linux-image-amd64 is a metapackage: its Depends names the real image,
# e.g. linux-image-6.1.0-56-amd64. Resolve it rather than hard-coding it.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
	echo "kernel.sh: cannot resolve linux-image-amd64 (run apt-get update?)" >&2
	exit 1
fi
ver=${pkg#linux-image-}

dl=$out/deb
mkdir -p "$dl"
if ! ls "$dl/${pkg}"_*.deb >/dev/null 2>&1; then
	# apt-get download writes into the current directory; as root it may
	# warn that _apt cannot write there, which is harmless.
	(cd "$dl" && apt-get download -q "$pkg" >&2) || true
fi
deb=$(find "$dl" -name "${pkg}_*.deb" | head -n 1)
if [ -z "$deb" ]; then
	echo "kernel.sh: apt-get download $pkg failed" >&2
	exit 1
fi

rm -rf "$kdir.tmp"
mkdir -p "$kdir.tmp"
dpkg-deb -x "$deb" "$kdir.tmp"
echo "$ver" >"$kdir.tmp/VERSION"
rm -rf "$kdir"
mv "$kdir.tmp" "$kdir"
echo "$kdir"
