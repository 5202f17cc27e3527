#!/bin/sh
# deps.sh - install the Debian packages pinetboot builds and tests with,
# when any is missing. Needs root (or sudo) only when something is missing.
set -e
PKGS="build-essential clang pkg-config libinih-dev libsodium-dev libmicrohttpd-dev libseccomp-dev libcap-dev libcmocka-dev \
iproute2 dnsmasq-base tftpd-hpa tftp-hpa atftp curl busybox udhcpc procps \
isc-dhcp-client dhcpcd nmap \
qemu-system-x86 klibc-utils binutils dnsmasq libnfs-dev libnfs-utils nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common util-linux \
e2fsprogs dosfstools mtools fdisk debootstrap xz-utils rsync attr acl libcap2-bin openssh-client \
python3 chromium dpkg-dev debhelper lintian fakeroot bash-completion man-db"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
