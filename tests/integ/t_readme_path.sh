#!/bin/bash
# t_readme_path.sh - the README's "Real use" walkthrough, as a new user runs
# it: the lines between <!-- walkthrough --> markers in README.md are read
# from the README itself (so the two cannot drift), `sudo` dropped and
# --data pointed at a temporary data dir, the image file replaced by a
# Raspberry Pi OS bookworm-like .img.xz built here (FAT boot partition with
# bootcode.bin, start*.elf, fixup*.dat, kernel8.img, kernel_2712.img, the
# 3B/3B+/4/5 device trees and overlays; ext4 root). Then `serve` (full DHCP
# on an isolated switch, then proxy DHCP beside a home router) and
# `pinetboot probe --data` as every Pi the walkthrough registers: Pi 3B by
# MAC, Pi 3B by serial, Pi 3B+ by the 16-digit serial, Pi 4 by serial, Pi 5
# by MAC, a Pi 4 with TFTP_PREFIX=1 and one with TFTP_PREFIX=2. Each must
# boot with every byte checked.
# shellcheck source=tests/integ/lib.sh
source "$(dirname "$0")/lib.sh"
require_root
require_cmd sfdisk mkfs.vfat mcopy mkfs.ext4 xz ssh-keygen dnsmasq python3
PNB=$(pinetboot_bin)
S=$PNB_SUBNET

# ---- the walkthrough's commands, from the README
mapfile -t CMDS < <(sed -n '/^<!-- walkthrough/,/^<!-- \/walkthrough -->/p' "$PNB_ROOT/README.md" |
	grep -E '^sudo pinetboot ' | sed -E 's/[[:space:]]+#.*$//')
check "the README has the walkthrough (init, image import, an add per Pi, serve)" \
	test "${#CMDS[@]}" -ge 9

# ---- a Raspberry Pi OS bookworm-like image
IMGDIR=$(mk_tmpdir)
BOOTSRC="$IMGDIR/bootfs"
ROOTSRC="$IMGDIR/rootfs"
make_bootset "$BOOTSRC" 0.1
for f in bcm2710-rpi-3-b-plus.dtb bcm2711-rpi-400.dtb bcm2711-rpi-cm4.dtb; do
	cp "$BOOTSRC/bcm2710-rpi-3-b.dtb" "$BOOTSRC/$f"
done
cp "$BOOTSRC/start.elf" "$BOOTSRC/start_cd.elf"
cp "$BOOTSRC/fixup.dat" "$BOOTSRC/fixup4.dat" 2>/dev/null || true
echo "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot" >"$BOOTSRC/cmdline.txt"
mkdir -p "$ROOTSRC"/{etc/ssh,sbin,usr/lib,boot/firmware,home/pi,etc/systemd/system}
echo raspberrypi >"$ROOTSRC/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n' >"$ROOTSRC/etc/hosts"
printf 'proc /proc proc defaults 0 0\nPARTUUID=4e639091-01 /boot/firmware vfat defaults 0 2\nPARTUUID=4e639091-02 / ext4 defaults,noatime 0 1\n' >"$ROOTSRC/etc/fstab"
echo "Pi OS init" >"$ROOTSRC/sbin/init"
chmod 755 "$ROOTSRC/sbin/init"
printf 'This directory is the mount point of the boot partition; the files moved to /boot/firmware\n' >"$ROOTSRC/boot/README"
IMG="$IMGDIR/2024-11-19-raspios-bookworm-arm64-lite.img"
BOOTN=$((48 * 2048)) ROOTN=$((24 * 2048)) BOOTSEC=8192
ROOTSEC=$((BOOTSEC + BOOTN))
truncate -s $(((ROOTSEC + ROOTN) * 512)) "$IMG"
printf 'label: dos\nlabel-id: 0x4e639091\nstart=%d, size=%d, type=c\nstart=%d, size=%d, type=83\n' \
	$BOOTSEC $BOOTN $ROOTSEC $ROOTN | sfdisk -q "$IMG"
mkfs.vfat -C -n bootfs "$IMGDIR/boot.fat" $((BOOTN / 2)) >/dev/null
(cd "$BOOTSRC" && mcopy -s -i "$IMGDIR/boot.fat" ./* ::/)
mkfs.ext4 -q -F -L rootfs -d "$ROOTSRC" "$IMGDIR/root.ext4" $((ROOTN / 2))k
dd if="$IMGDIR/boot.fat" of="$IMG" bs=512 seek=$BOOTSEC conv=notrunc status=none
dd if="$IMGDIR/root.ext4" of="$IMG" bs=512 seek=$ROOTSEC conv=notrunc status=none
xz -T0 -1 "$IMG"
check "a Raspberry Pi OS-like .img.xz to import" test -s "$IMG.xz"

# ---- run the walkthrough
DATA=$(mk_tmpdir)/srv-pinetboot
SERVE=""
for c in "${CMDS[@]}"; do
	c=${c#sudo }
	c=${c#pinetboot }
	if [ "$c" = serve ] || [[ $c == serve\ * ]]; then
		SERVE=$c
		continue
	fi
	# shellcheck disable=SC2206 # the README's words, split as a shell would
	words=($c)
	for i in "${!words[@]}"; do
		[[ ${words[$i]} == *.img.xz ]] && words[$i]="$IMG.xz"
	done
	check "README: pinetboot ${words[*]}" "$PNB" "${words[@]}" --data "$DATA"
done
check "the walkthrough ends with pinetboot serve" test -n "$SERVE"
check "image import filled the shared boot/ (bootcode.bin for Pi 3B ROMs)" test -s "$DATA/boot/bootcode.bin"

# Each Pi the walkthrough registered, as the probe simulates it.
PIS=(
	"Pi 3B by its MAC|--model 3b --mac b8:27:eb:12:34:56 --serial 0a123456"
	"Pi 3B by its serial|--model 3b --serial 0b123457"
	"Pi 3B+ by its 16-digit serial|--model 3b+ --serial a1b2c3d4"
	"Pi 4 by its serial|--model 4 --serial 4444abcd --mac dc:a6:32:44:ab:cd"
	"Pi 5 by its MAC|--model 5 --mac 2c:cf:67:00:00:05 --serial 55550005"
	"Pi 4 with TFTP_PREFIX=1|--model 4 --serial 4444beef --mac dc:a6:32:44:be:ef --tftp-prefix rack1-node7"
	"Pi 4 with TFTP_PREFIX=2|--model 4 --serial 4444cafe --mac dc:a6:32:44:ca:fe --tftp-prefix mac"
)

boot_all() { # mode server-bg-name
	local p name args
	# The Pis' overlays are mounted in serve's own mount namespace (ip
	# netns exec gives it one): probe --data reads them from there.
	local mnt="/proc/$(bg_pid "$2")/ns/mnt"
	for p in "${PIS[@]}"; do
		name=${p%%|*}
		args=${p#*|}
		# shellcheck disable=SC2086
		check "$1: $name boots, every byte as the data dir says" \
			nsenter --mount="$mnt" --net="/run/netns/$(ns pi)" "$PNB" probe --interface eth0 --timeout 90 --data "$DATA" $args
	done
}

# ---- 1. full DHCP on an isolated switch (README "Full DHCP mode")
netns_lan server pi
cat >>"$DATA/pinetboot.conf" <<CONF
interface = eth0
dhcp = full
dhcp-range = 10.$S.0.100,10.$S.0.199
http-listen = off
CONF
# shellcheck disable=SC2086
start_bg srv ns_exec server "$PNB" $SERVE --data "$DATA"
if wait_for udp_listening server 67 15 && wait_for udp_listening server 69 5; then
	ok "full DHCP: pinetboot serve runs"
else
	fail "full DHCP: pinetboot serve runs" "$(tail -20 "$PNB_TMP/srv.log")"
fi
ip -n "$(ns pi)" addr flush dev eth0 # a Pi has no address of its own
boot_all "full DHCP" srv
check "full DHCP: the Pi 3B registered by MAC learned its serial" grep -q '^serial = 0a123456' "$DATA/clients/b8-27-eb-12-34-56/client.conf"
check "full DHCP: the Pi 5 registered by MAC learned its serial" grep -q '^serial = 55550005' "$DATA/clients/2c-cf-67-00-00-05/client.conf"
check "full DHCP: the Pi 4 registered by serial learned its MAC" grep -q '^mac = dc:a6:32:44:ab:cd' "$DATA/clients/4444abcd/client.conf"
check "full DHCP: no warnings or errors in the server log" bash -c "! grep -E '^(warn|error) ' '$PNB_TMP/srv.log'"
stop_bg srv
check "full DHCP: serve exits cleanly" test $? = 0

# ---- 2. proxy DHCP beside a home router
sed -i '/^dhcp = full/d; /^dhcp-range/d' "$DATA/pinetboot.conf"
netns_lan router
router_dhcp router eth0 "10.$S.0.200" "10.$S.0.250" || fail "router DHCP server started"
# shellcheck disable=SC2086
start_bg srv2 ns_exec server "$PNB" $SERVE --data "$DATA"
if wait_for udp_listening server 67 15 && wait_for udp_listening server 69 5; then
	ok "proxy DHCP: pinetboot serve runs"
else
	fail "proxy DHCP: pinetboot serve runs" "$(tail -20 "$PNB_TMP/srv2.log")"
fi
boot_all "proxy DHCP" srv2
stop_bg srv2
check "proxy DHCP: serve exits cleanly" test $? = 0
