#!/bin/sh
# rootfs.sh - build the guest's small root filesystem into DIR (which becomes
# DATA/clients/<id>/root, exported as /clients/<id>): busybox with every
# applet linked, its shared libraries, /sbin/init (tests/guest/guest-init.sh)
# and /exercise (tests/guest/exercise.sh).
#
#   tests/guest/rootfs.sh DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
r=$1
mkdir -p "$r"
cd "$r"
mkdir -p bin sbin lib lib64 usr/bin usr/sbin dev proc sys tmp run root etc
chmod 1777 tmp

cp /bin/busybox bin/busybox
ldd /bin/busybox | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
	while read -r lib; do
		mkdir -p ".$(dirname "$lib")"
		cp -L "$lib" ".$lib"
	done
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] && continue
	ln -sf busybox "bin/$a"
done

cp "$here/guest-init.sh" sbin/init
cp "$here/exercise.sh" exercise
chmod 755 sbin/init exercise
printf 'root:x:0:0:root:/root:/bin/sh\n' >etc/passwd
printf 'root:x:0:\n' >etc/group
rm -f result
