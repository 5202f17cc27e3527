#!/bin/bash
# t_provision.sh - issue 4 end to end on disk: init, image import from a
# directory, a debootstrap minbase tree, a synthetic Raspberry Pi OS .img
# and .img.xz; add in both layouts with every fixup checked; list/show/
# reset/remove; serve mounting overlays; bad input, disk full and Ctrl-C
# leaving no partial state. Needs root (mounts, owners, capabilities).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_cmd sfdisk mkfs.vfat mcopy mkfs.ext4 xz setcap getcap setfacl getfacl ssh-keygen setfattr getfattr
BIN=${PINETBOOT_BIN:-$(pinetboot_bin)}
D=$PNB_TMP/data
SRC=$PNB_TMP/src
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# Unmount whatever a failed run left mounted below the temp dir.
on_cleanup 'grep -o " $PNB_TMP[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done'

no_partial() { # no .tmp-*/.old-*/.rm-* left below DIR
	[ -z "$(find "$1" -maxdepth 3 \( -name '.tmp-*' -o -name '.old-*' -o -name '.rm-*' \) 2>/dev/null)" ]
}

expect_fail_rc() { # DESC RC PATTERN CMD...: exit status RC and PATTERN in the message
	local desc=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ $rc = "$want" ] && grep -q -- "$pat" <<<"$out"; then ok "$desc"; else fail "$desc" "exit $rc (want $want)" "$out"; fi
}

# ------------------------------------------------------------ init
check "init creates the data dir" "$BIN" init --data "$D"
check "handle.key is 32 bytes, mode 0600" test "$(stat -c '%s %a' "$D/handle.key")" = "32 600"
check "pinetboot.conf names the mode" grep -q '^dhcp = proxy' "$D/pinetboot.conf"
key1=$(sha256sum <"$D/handle.key")
echo "# user edit" >>"$D/pinetboot.conf"
out=$("$BIN" init --data "$D" 2>&1)
if [ "$key1" = "$(sha256sum <"$D/handle.key")" ] && grep -q "user edit" "$D/pinetboot.conf" && grep -q kept <<<"$out"; then
	ok "init is idempotent and never overwrites"
else
	fail "init is idempotent and never overwrites" "$out"
fi

# ------------------------------------------------------------ source tree
make_src() {
	local s=$1
	mkdir -p "$s"/{etc/ssh,etc/systemd/system,etc/NetworkManager,etc/rpi,usr/bin,srv,var/lib/dbus,boot/firmware,proc/x,tmp,run}
	echo src-host >"$s/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tsrc-host\n' >"$s/etc/hosts"
	printf 'proc /proc proc defaults 0 0\nPARTUUID=1234-01 /boot/firmware vfat defaults 0 2\nPARTUUID=1234-02 / ext4 defaults,noatime 0 1\n' >"$s/etc/fstab"
	printf 'hostname\nclientid\n' >"$s/etc/dhcpcd.conf"
	echo 0123456789abcdef0123456789abcdef >"$s/etc/machine-id"
	echo "IMAGE-KEY" >"$s/etc/ssh/ssh_host_ed25519_key"
	echo data >"$s/usr/bin/owned"
	chown 1234:55 "$s/usr/bin/owned"
	chmod 4750 "$s/usr/bin/owned"
	ln "$s/usr/bin/owned" "$s/usr/bin/hardlink"
	ln -s owned "$s/usr/bin/symlink"
	cp /bin/true "$s/usr/bin/ping"
	setcap cap_net_raw+ep "$s/usr/bin/ping"
	mknod "$s/srv/null" c 1 3
	mknod "$s/srv/blk" b 7 200
	mkfifo "$s/srv/fifo"
	truncate -s 64M "$s/srv/sparse"
	echo middle | dd of="$s/srv/sparse" bs=1 seek=$((32 << 20)) conv=notrunc status=none
	setfattr -n user.pinetboot -v hello "$s/srv/null" 2>/dev/null || setfattr -n user.pinetboot -v hello "$s/usr/bin/owned"
	setfattr -n user.pinetboot -v hello "$s/usr/bin/owned"
	setfacl -m u:1000:r "$s/etc/hostname"
	touch -d '2001-02-03 04:05:06' "$s/usr/bin/owned"
	echo "should not be copied" >"$s/proc/x/y"
	echo "console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot" >"$s/boot/firmware/cmdline.txt"
	printf '[all]\narm_64bit=1\n' >"$s/boot/firmware/config.txt"
	head -c 4096 /dev/urandom >"$s/boot/firmware/start4.elf"
}
make_src "$SRC"

check "image import from a directory" "$BIN" image import base --from "$SRC" --data "$D"
I=$D/images/base/root
check "owner and setuid mode survive" test "$(stat -c '%u:%g %a' "$I/usr/bin/owned")" = "1234:55 4750"
check "hard link survives" test "$(stat -c %i "$I/usr/bin/owned")" = "$(stat -c %i "$I/usr/bin/hardlink")"
check "symlink survives" test "$(readlink "$I/usr/bin/symlink")" = owned
check "char device survives" test "$(stat -c '%F %t:%T' "$I/srv/null")" = "character special file 1:3"
check "block device survives" test "$(stat -c '%F %t:%T' "$I/srv/blk")" = "block special file 7:c8"
check "fifo survives" test -p "$I/srv/fifo"
check "file capability survives" bash -c "getcap '$I/usr/bin/ping' | grep -q cap_net_raw=ep"
check "ACL survives" bash -c "getfacl -n '$I/etc/hostname' 2>/dev/null | grep -q '^user:1000:r--'"
check "user xattr survives" bash -c "getfattr --only-values -n user.pinetboot '$I/usr/bin/owned' | grep -q hello"
check "mtime survives" test "$(stat -c %Y "$I/usr/bin/owned")" = "$(stat -c %Y "$SRC/usr/bin/owned")"
check "sparse file stays sparse" test "$(du -k "$I/srv/sparse" | cut -f1)" -lt 1024
check "sparse file content" cmp "$SRC/srv/sparse" "$I/srv/sparse"
check "boot files from /boot/firmware" cmp "$SRC/boot/firmware/start4.elf" "$D/images/base/boot/start4.elf"
check "image list shows it" bash -c "'$BIN' image list --data '$D' | grep -q '^base '"
# The first image fills the empty shared boot/ (so 'answer = all' and
# unregistered Pi 3B ROMs get bootcode.bin), with a stamp naming it.
check "first image fills the shared boot/" bash -c "cmp '$SRC/boot/firmware/start4.elf' '$D/boot/start4.elf' && test \"\$(cat '$D/boot/.pinetboot-image')\" = base"
check "image list marks it the default" bash -c "'$BIN' image list --data '$D' | grep -qE '^base +yes '"
check "clients/ and images/ are 0700" test "$(stat -c %a "$D/clients") $(stat -c %a "$D/images")" = "700 700"
# image default: switch the shared boot/ to another image, in place
S2=$PNB_TMP/src2
mkdir -p "$S2/etc" "$S2/boot/firmware/overlays"
head -c 3000 /dev/urandom >"$S2/boot/firmware/start4.elf"
head -c 3000 /dev/urandom >"$S2/boot/firmware/bootcode.bin"
echo ov >"$S2/boot/firmware/overlays/x.dtbo"
check "import a second image" "$BIN" image import base2 --from "$S2" --data "$D"
bino=$(stat -c %i "$D/boot")
check "image default switches the shared boot/" bash -c "'$BIN' image default base2 --data '$D' && cmp '$S2/boot/firmware/start4.elf' '$D/boot/start4.elf' && cmp '$S2/boot/firmware/bootcode.bin' '$D/boot/bootcode.bin' && test -f '$D/boot/overlays/x.dtbo' && test ! -e '$D/boot/config.txt' && test \"\$(cat '$D/boot/.pinetboot-image')\" = base2"
check "image default keeps boot/ the same directory (a running serve holds it open)" test "$(stat -c %i "$D/boot")" = "$bino"
check "image list marks the new default" bash -c "'$BIN' image list --data '$D' | grep -qE '^base2 +yes ' && '$BIN' image list --data '$D' | grep -qE '^base +- '"
check "image default back to the first" bash -c "'$BIN' image default base --data '$D' && cmp '$SRC/boot/firmware/config.txt' '$D/boot/config.txt' && test ! -e '$D/boot/bootcode.bin' && test ! -e '$D/boot/overlays' && test -z \"\$(ls -A '$D' | grep '^\.boot-')\""
"$BIN" image rm base2 --data "$D" >/dev/null
# a boot/ filled by hand is never overwritten without --force
DH=$PNB_TMP/hand
"$BIN" init --data "$DH" >/dev/null
echo "my own" >"$DH/boot/start4.elf"
out=$("$BIN" image import base --from "$SRC" --data "$DH" 2>&1)
if grep -q "holds your own files: kept" <<<"$out" && grep -q "my own" "$DH/boot/start4.elf"; then ok "import leaves a hand-filled boot/ alone and says so"; else fail "import leaves a hand-filled boot/ alone and says so" "$out"; fi
expect_fail_rc "image default over a hand-filled boot/: refused (exit 1)" 1 "holds files pinetboot did not put there" "$BIN" image default base --data "$DH"
check "image default --force replaces it, keeping the hand-made files aside" bash -c "'$BIN' image default base --force --data '$DH' && cmp '$SRC/boot/firmware/start4.elf' '$DH/boot/start4.elf' && grep -q 'my own' '$DH'/boot.old-*/start4.elf"
expect_fail_rc "image list takes no name: usage error (exit 2)" 2 "unexpected argument 'base'" "$BIN" image list base --data "$D"
expect_fail_rc "image rm with two names: usage error (exit 2)" 2 "unexpected argument 'b'" "$BIN" image rm a b --data "$D"

# From another filesystem type (tmpfs): copy_file_range gives EXDEV and the
# read/write path copies, sparse extents included.
TS=$PNB_TMP/tmpfs
mkdir -p "$TS"
if mount -t tmpfs -o size=200M tmpfs "$TS"; then
	mkdir -p "$TS/etc" && head -c 300000 /dev/urandom >"$TS/etc/rand" && truncate -s 50M "$TS/etc/sparse" &&
		echo tail | dd of="$TS/etc/sparse" bs=1 seek=$((40 << 20)) conv=notrunc status=none
	# a mounted root: system dirs and other mounts are kept empty
	mkdir -p "$TS/proc/1" "$TS/tmp" "$TS/run/lock" "$TS/dev" "$TS/sys/x" "$TS/mnt/sub" && echo a >"$TS/tmp/f" && mknod "$TS/dev/null" c 1 3
	mount -t tmpfs tmpfs "$TS/mnt/sub" && echo other-fs >"$TS/mnt/sub/f"
	out=$("$BIN" image import tmpfs --from "$TS" --data "$D" 2>&1)
	if [ $? = 0 ]; then ok "import from tmpfs (read/write fallback)"; else fail "import from tmpfs (read/write fallback)" "$out"; fi
	if grep -q "warning: image tmpfs has no boot files (no start\*.elf, bootcode.bin or kernel\*" <<<"$out" && grep -q "must bring a kernel that can mount its root over NFS and an initramfs" <<<"$out"; then
		ok "import warns about missing boot files and the NFS-capable kernel + initramfs"
	else
		fail "import warns about missing boot files and the NFS-capable kernel + initramfs" "$out"
	fi
	check "a second image leaves the shared boot/ alone" test "$(cat "$D/boot/.pinetboot-image")" = base
	check "mounted root: proc, sys, dev, run, tmp copied empty" bash -c "cd '$D/images/tmpfs/root' && for d in proc sys dev run tmp; do test -d \$d && test -z \"\$(ls -A \$d)\" || exit 1; done"
	check "mounted root: other mounts copied as empty mount points" bash -c "test -d '$D/images/tmpfs/root/mnt/sub' && test -z \"\$(ls -A '$D/images/tmpfs/root/mnt/sub')\""
	umount "$TS/mnt/sub"
	check "tmpfs import: content and sparseness" bash -c "cmp '$TS/etc/rand' '$D/images/tmpfs/root/etc/rand' && cmp '$TS/etc/sparse' '$D/images/tmpfs/root/etc/sparse' && test \$(du -k '$D/images/tmpfs/root/etc/sparse' | cut -f1) -lt 1024"
	umount "$TS"
	"$BIN" image rm tmpfs --data "$D" >/dev/null
else
	skip_test "import from tmpfs" "cannot mount tmpfs"
fi

# ------------------------------------------------------------ add
check "add overlay client (serial)" "$BIN" add 1234ABCD --name node1 --image base --server 10.9.8.7 --data "$D"
check "add second overlay client" "$BIN" add 5678abcd --name node2 --image base --data "$D"
check "add copy client (MAC)" "$BIN" add DC:A6:32:01:02:03 --mac dc:a6:32:01:02:03 --layout copy --image base --name node3 --data "$D"
C1=$D/clients/1234abcd
U1=$C1/upper/root
C3=$D/clients/dc-a6-32-01-02-03
check "client.conf records image and layout" bash -c "grep -q '^image = base' '$C1/client.conf' && grep -q '^layout = overlay' '$C1/client.conf' && grep -q '^layout = copy' '$C3/client.conf' && grep -q '^mac = dc:a6:32:01:02:03' '$C3/client.conf'"
for r in "$U1" "$C3/root"; do
	case $r in *upper*) l=overlay; h=node1 ;; *) l=copy; h=node3 ;; esac
	check "$l: hostname" test "$(cat "$r/etc/hostname")" = "$h"
	check "$l: hosts names the Pi, no server address" bash -c "grep -q '^127.0.1.1[[:space:]]$h\$' '$r/etc/hosts' && ! grep -q src-host '$r/etc/hosts' && ! grep -q 'pinetboot-server' '$r/etc/hosts' && ! grep -qE '^10\.|^192\.168' '$r/etc/hosts'"
	check "$l: machine-id is new" bash -c "grep -qE '^[0-9a-f]{32}\$' '$r/etc/machine-id' && ! grep -q 0123456789abcdef0123 '$r/etc/machine-id'"
	check "$l: fstab has no SD entries and no NFS line, keeps proc" bash -c "! grep -q '^PARTUUID' '$r/etc/fstab' && grep -q '^proc' '$r/etc/fstab' && ! grep -qE '^[^#].* nfs ' '$r/etc/fstab'"
	check "$l: boot-files generator installed (0755)" test "$(stat -c %a "$r/etc/systemd/system-generators/pinetboot-boot-firmware")" = 755
	check "$l: resize and swap units masked" bash -c "for u in resize2fs_once rpi-resizerootfs systemd-growfs-root dphys-swapfile; do test \"\$(readlink '$r/etc/systemd/system/'\$u.service)\" = /dev/null || exit 1; done"
	check "$l: rpi-swap disabled" grep -q 'Mechanism=none' "$r/etc/rpi/swap.conf.d/90-pinetboot.conf"
	check "$l: dhcpcd leaves eth0 alone" grep -q '^denyinterfaces eth0' "$r/etc/dhcpcd.conf"
	check "$l: NetworkManager leaves eth0 alone" grep -q 'unmanaged-devices=interface-name:eth0' "$r/etc/NetworkManager/conf.d/90-pinetboot-nfsroot.conf"
	check "$l: ssh host keys generated" bash -c "for t in ed25519 ecdsa rsa; do ssh-keygen -l -f '$r/etc/ssh/ssh_host_'\$t'_key.pub' >/dev/null || exit 1; done; test \$(stat -c %a '$r/etc/ssh/ssh_host_ed25519_key') = 600"
done
# The generator takes the server from the Pi's kernel command line at boot,
# so a server with a new address needs no reset.
GO=$PNB_TMP/genout
mkdir -p "$GO"
echo "console=tty1 root=/dev/nfs nfsroot=10.9.8.7:/clients/1234abcd,vers=3,tcp rw ip=dhcp" >"$PNB_TMP/cmdline"
check "overlay: the generator writes the boot mount from nfsroot=" bash -c "PINETBOOT_CMDLINE='$PNB_TMP/cmdline' sh '$U1/etc/systemd/system-generators/pinetboot-boot-firmware' '$GO' '$GO' '$GO' && grep -qx 'What=10.9.8.7:/boot/1234abcd' '$GO/boot-firmware.mount' && grep -qx 'Where=/boot/firmware' '$GO/boot-firmware.mount' && test -L '$GO/remote-fs.target.wants/boot-firmware.mount'"
echo "console=tty1 root=/dev/nfs nfsroot=192.168.50.2:/clients/1234abcd,vers=3,tcp rw ip=dhcp" >"$PNB_TMP/cmdline"
check "overlay: a new server address is followed without reset" bash -c "PINETBOOT_CMDLINE='$PNB_TMP/cmdline' sh '$U1/etc/systemd/system-generators/pinetboot-boot-firmware' '$GO' && grep -qx 'What=192.168.50.2:/boot/1234abcd' '$GO/boot-firmware.mount'"
check "copy: a private copy keeps owners and capabilities" bash -c "test \"\$(stat -c '%u:%g %a' '$C3/root/usr/bin/owned')\" = '1234:55 4750' && getcap '$C3/root/usr/bin/ping' | grep -q cap_net_raw"
want="console=serial0,115200 console=tty1 quiet root=/dev/nfs nfsroot=\${server}:/clients/1234abcd,vers=3,tcp,rsize=1048576,wsize=1048576 rw ip=dhcp rootwait"
check "overlay: cmdline.txt rewritten in the client's boot upper" test "$(cat "$C1/upper/boot/cmdline.txt")" = "$want"
check "copy: cmdline.txt rewritten" grep -q 'nfsroot=${server}:/clients/dc-a6-32-01-02-03,vers=3,tcp' "$C3/boot/cmdline.txt"
k1=$(cat "$U1/etc/ssh/ssh_host_ed25519_key.pub")
k2=$(cat "$D/clients/5678abcd/upper/root/etc/ssh/ssh_host_ed25519_key.pub")
k3=$(cat "$C3/root/etc/ssh/ssh_host_ed25519_key.pub")
if [ -n "$k1" ] && [ "$k1" != "$k2" ] && [ "$k1" != "$k3" ] && [ "$k2" != "$k3" ]; then ok "SSH host keys differ between clients"; else fail "SSH host keys differ between clients"; fi
check "the image is untouched" bash -c "test \"\$(cat '$I/etc/hostname')\" = src-host && grep -q IMAGE-KEY '$I/etc/ssh/ssh_host_ed25519_key' && grep -q PARTUUID '$I/etc/fstab' && grep -q PARTUUID '$D/images/base/boot/cmdline.txt'"
check "overlay: the upper layer holds only the changes" test "$(du -sk "$C1/upper" | cut -f1)" -lt 200
# The merged view, as serve mounts it (in a private mount namespace, so a
# namespace another test creates meanwhile cannot keep a copy of it)
M=$PNB_TMP/merged
mkdir -p "$M"
check "overlay: merged root shows the fixups over the image" unshare -m --propagation private bash -c "mount -t overlay overlay -o 'lowerdir=$I,upperdir=$U1,workdir=$C1/upper/work,index=on,nfs_export=on' '$M' && test \"\$(cat '$M/etc/hostname')\" = node1 && ! grep -q IMAGE-KEY '$M/etc/ssh/ssh_host_ed25519_key' && test -x '$M/usr/bin/ping'"

# ------------------------------------------------------------ list / show / reset
out=$("$BIN" list --data "$D")
if grep -q '^1234abcd .*node1 .*base .*overlay' <<<"$out" && grep -q '^dc-a6-32-01-02-03 .*dc:a6:32:01:02:03 .*copy' <<<"$out"; then ok "list shows registered clients"; else fail "list shows registered clients" "$out"; fi
printf '# id\tmac\tserial\tboard_rev\tmodel\tfirst_seen\tlast_seen\naaaa0001\tdc:a6:32:00:00:01\taaaa0001\ta03111\tPi 4 Model B\t1700000000\t1700000100\n' >"$D/discovered.tsv"
out=$("$BIN" list --json --data "$D")
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); ids={x["id"]:x for x in d}; assert ids["aaaa0001"]["stage"]=="discovered" and ids["aaaa0001"]["model"]=="Pi 4 Model B" and ids["1234abcd"]["registered"]' "$out"; then ok "list --json includes discovered Pis"; else fail "list --json includes discovered Pis" "$out"; fi
mkdir -p "$D/state"
echo '[{"id":"1234abcd","address":"10.1.2.3","stage":"nfs-root","last_seen":1700000000000},{"id":"ffff0000","address":"10.9.9.9"}]' >"$D/state/clients.json"
out=$("$BIN" list --data "$D")
if grep -q '^1234abcd .*10.1.2.3 .*nfs-root' <<<"$out" && ! grep -q ffff0000 <<<"$out"; then ok "list takes last address and stage from the fleet state"; else fail "list takes last address and stage from the fleet state" "$out"; fi
rm -rf "$D/state"
check "show prints the cmdline" bash -c "'$BIN' show 1234abcd --data '$D' | grep -q 'nfsroot=\${server}:/clients/1234abcd'"
echo junk >"$U1/root-junk"
out=$("$BIN" reset 1234abcd --data "$D" 2>&1 </dev/null)
rc=$?
if [ $rc = 1 ] && grep -q "stdin is not a terminal to confirm on: add --yes" <<<"$out" && [ -f "$U1/root-junk" ]; then ok "reset without a terminal or --yes: refused (exit 1), nothing lost"; else fail "reset without a terminal or --yes: refused (exit 1), nothing lost" "exit $rc" "$out"; fi
out=$(echo 5678abcd | script -qec "'$BIN' reset 1234abcd --data '$D'" /dev/null 2>&1)
if grep -q "type the id (1234abcd) to confirm" <<<"$out" && grep -q "not confirmed" <<<"$out" && [ -f "$U1/root-junk" ]; then ok "reset on a terminal: the wrong id typed back changes nothing"; else fail "reset on a terminal: the wrong id typed back changes nothing" "$out"; fi
check "reset --yes" "$BIN" reset 1234abcd --yes --data "$D"
if [ ! -e "$U1/root-junk" ] && [ "$(cat "$U1/etc/hostname")" = node1 ] && [ "$(cat "$U1/etc/ssh/ssh_host_ed25519_key.pub")" != "$k1" ] && [ -f "$C1/upper/boot/cmdline.txt" ]; then
	ok "reset drops the changes and re-applies the fixups"
else
	fail "reset drops the changes and re-applies the fixups"
fi
expect_fail_rc "reset refuses a copy client" 1 "has the copy layout" "$BIN" reset dc:a6:32:01:02:03 --yes --data "$D"

# ------------------------------------------------------------ serve mounts overlays
if pinetboot_ready "$BIN"; then
	start_bg serve "$BIN" serve --data "$D" --dhcp off --nfs off --http-listen off --tftp-port $((20000 + PNB_SUBNET)) --interface lo
	if wait_for mountpoint -q "$C1/root" 10 && mountpoint -q "$C1/boot" && mountpoint -q "$D/clients/5678abcd/root"; then
		check "serve: client boot dir serves the merged files" bash -c "cmp '$D/images/base/boot/start4.elf' '$C1/boot/start4.elf' && grep -q nfsroot '$C1/boot/cmdline.txt'"
		ok "serve mounts every overlay client at start"
	else
		fail "serve mounts every overlay client at start" "$(grep -E "error|warn" "$PNB_TMP/serve.log")" "$(grep " $D" /proc/self/mounts)"
	fi
	stop_bg serve
	if ! mountpoint -q "$C1/root" && ! mountpoint -q "$C1/boot"; then ok "serve unmounts them at exit"; else fail "serve unmounts them at exit"; fi
else
	skip_test "serve mounts overlays" "no serve --data in $BIN"
fi

# ------------------------------------------------------------ bad input
expect_fail() { # DESC PATTERN CMD...: non-zero exit and PATTERN in the message
	local desc=$1 pat=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && grep -qi -- "$pat" <<<"$out"; then ok "$desc"; else fail "$desc" "exit $rc" "$out"; fi
}
expect_fail "malformed id (7 digits)" "bad id" "$BIN" add 1234abc --data "$D"
expect_fail "malformed id (path)" "bad id" "$BIN" add ../../etc --data "$D"
expect_fail "malformed id (bad MAC)" "bad id" "$BIN" add dc:a6:32:01:02 --data "$D"
expect_fail "malformed --mac" "bad MAC" "$BIN" add 11112222 --mac zz:a6:32:01:02:03 --data "$D"
expect_fail "--mac contradicting a MAC id" "contradicts" "$BIN" add dc:a6:32:01:02:04 --mac dc:a6:32:01:02:05 --data "$D"
expect_fail "bad host name" "bad host name" "$BIN" add 11112222 --name 'a;b' --data "$D"
expect_fail "unknown image" "no image 'nosuch'" "$BIN" add 11112222 --image nosuch --data "$D"
expect_fail "existing client refused" "already exists" "$BIN" add 1234abcd --image base --data "$D"
echo "written by the Pi" >"$U1/pi-file"
k1b=$(cat "$U1/etc/ssh/ssh_host_ed25519_key.pub")
check "existing client re-registered with --force" "$BIN" add 1234abcd --image base --name node1b --force --data "$D"
check "--force re-applied the fixups" test "$(cat "$U1/etc/hostname")" = node1b
check "--force kept what the Pi wrote and its host keys" bash -c "test -f '$U1/pi-file' && test \"\$(cat '$U1/etc/ssh/ssh_host_ed25519_key.pub')\" = '$k1b'"
check "add --force --wipe starts again from the image" bash -c "'$BIN' add 1234abcd --image base --name node1b --force --wipe --data '$D' && test ! -e '$U1/pi-file' && test \"\$(cat '$U1/etc/hostname')\" = node1b"
expect_fail_rc "--wipe without --force: usage error" 2 "only goes with --force" "$BIN" add 1234abcd --wipe --data "$D"
expect_fail_rc "--layout other than the kept files' refused" 1 "would drop them" "$BIN" add 1234abcd --layout copy --force --data "$D"
# One Pi, two names: a serial or MAC of another client is refused.
cp "$C3/client.conf" "$PNB_TMP/c3.conf"
echo "serial = 0badf00d" >>"$C3/client.conf" # as serve records it once a boot shows both
expect_fail_rc "a serial used by another client: refused (exit 1)" 1 "serial 0badf00d is already client dc-a6-32-01-02-03's" "$BIN" add 0badf00d --data "$D"
cp "$PNB_TMP/c3.conf" "$C3/client.conf"
expect_fail_rc "a MAC used by another client: refused (exit 1)" 1 "MAC dc:a6:32:01:02:03 is already client dc-a6-32-01-02-03's" "$BIN" add 99998888 --mac DC-A6-32-01-02-03 --data "$D"
expect_fail_rc "the same MAC as the id: refused too" 1 "already client dc-a6-32-01-02-03's" "$BIN" add 99998888 --mac dc:a6:32:01:02:03 --force --data "$D"
out=$("$BIN" add 100000003b0200aa --mac b8:27:eb:02:00:aa --image base --data "$D" 2>&1)
if [ $? = 0 ] && grep -q "using its low 32 bits, 3b0200aa" <<<"$out" && grep -q "low 24 bits of this Pi's serial are 0200aa" <<<"$out" && grep -q '^mac = b8:27:eb:02:00:aa' "$D/clients/3b0200aa/client.conf"; then
	ok "add with the 16-digit /proc/cpuinfo serial and a Pi 3 MAC: clients/3b0200aa, notes printed"
else
	fail "add with the 16-digit /proc/cpuinfo serial and a Pi 3 MAC" "$out"
fi
out=$("$BIN" add 2C-CF-67-00-00-05 --image base --data "$D" 2>&1)
if [ $? = 0 ] && [ -f "$D/clients/2c-cf-67-00-00-05/client.conf" ] && ! grep -q "Pi 3" <<<"$out"; then ok "add by MAC with '-' and upper case: clients/2c-cf-67-00-00-05"; else fail "add by MAC with '-'" "$out"; fi
expect_fail_rc "--mac contradicting a MAC id: usage error (exit 2)" 2 "contradicts" "$BIN" add 2c:cf:67:00:00:05 --mac 2c:cf:67:00:00:06 --data "$D"
"$BIN" remove 3b0200aa --yes --data "$D" >/dev/null
"$BIN" remove 2c-cf-67-00-00-05 --yes --data "$D" >/dev/null
expect_fail "image rm refused while used" "used by client" "$BIN" image rm base --data "$D"
expect_fail "image import over an existing name" "already exists" "$BIN" image import base --from "$SRC" --data "$D"
expect_fail "image import from nowhere" "No such file" "$BIN" image import x --from "$PNB_TMP/nope" --data "$D"
expect_fail "bad image name" "bad image name" "$BIN" image import ../x --from "$SRC" --data "$D"
U2=$D/clients/5678abcd/upper/root
echo "the Pi's work" >"$U2/pi-work"
k2b=$(cat "$U2/etc/ssh/ssh_host_ed25519_key.pub")
check "remove --keep-root keeps files" bash -c "'$BIN' remove 5678abcd --keep-root --data '$D' && test ! -e '$D/clients/5678abcd/client.conf' && test -d '$D/clients/5678abcd/upper/root/etc'"
expect_fail_rc "add over kept files without --force: refused (exit 1)" 1 "holds the files of a removed Pi" "$BIN" add 5678abcd --image base --data "$D"
check "remove --keep-root then add --force keeps the Pi's layer" bash -c "'$BIN' add 5678abcd --image base --name node2 --force --data '$D' && test -f '$D/clients/5678abcd/client.conf' && grep -q 'the Pi' '$U2/pi-work' && test \"\$(cat '$U2/etc/ssh/ssh_host_ed25519_key.pub')\" = '$k2b'"
expect_fail_rc "remove without a terminal or --yes: refused (exit 1)" 1 "add --yes" "$BIN" remove 1234abcd --data "$D"
check "remove refused: nothing lost" test -f "$C1/client.conf"
check "remove --yes" "$BIN" remove 1234abcd --yes --data "$D"
check "removed client is gone" test ! -e "$C1"
"$BIN" remove dc:a6:32:01:02:03 --yes --data "$D" >/dev/null
"$BIN" remove 5678abcd --yes --data "$D" >/dev/null
check "image rm once unused" "$BIN" image rm base --data "$D"
check "no partial state after all of this" no_partial "$D"

# ------------------------------------------------------------ disk full
SMALL=$PNB_TMP/small
mkdir -p "$SMALL"
truncate -s 20M "$PNB_TMP/small.fs" && mkfs.ext4 -q -F "$PNB_TMP/small.fs" && mount -o loop "$PNB_TMP/small.fs" "$SMALL"
mkdir -p "$PNB_TMP/big/etc"
head -c $((30 << 20)) /dev/urandom >"$PNB_TMP/big/etc/blob"
expect_fail "disk full during import: clear message" "disk full" "$BIN" image import full --from "$PNB_TMP/big" --data "$SMALL/data"
check "disk full: no image and no temp dir left" bash -c "test -z \"\$(ls -A '$SMALL/data/images')\""
umount "$SMALL"

# ------------------------------------------------------------ Ctrl-C
mkdir -p "$PNB_TMP/slow/etc"
fallocate -l 2G "$PNB_TMP/slow/etc/large" 2>/dev/null || head -c $((1 << 30)) /dev/zero >"$PNB_TMP/slow/etc/large"
"$BIN" image import slow --from "$PNB_TMP/slow" --data "$D" >"$PNB_TMP/int.log" 2>&1 &
pid=$!
wait_for bash -c "ls -d '$D'/images/.tmp-slow-* " 10
kill -STOP $pid
kill -INT $pid
kill -CONT $pid
wait $pid
rc=$?
if [ $rc -ne 0 ] && grep -q interrupted "$PNB_TMP/int.log"; then ok "Ctrl-C: non-zero exit ($rc) and a clear message"; else fail "Ctrl-C: non-zero exit and a clear message" "exit $rc" "$(cat "$PNB_TMP/int.log")"; fi
check "Ctrl-C: no image and no temp dir left" bash -c "test ! -e '$D/images/slow' && no=\$(ls -A '$D/images'); test -z \"\$no\""
# Ctrl-C in the middle of `add --layout copy`: no client, no temp dir.
if "$BIN" image import slow --from "$PNB_TMP/slow" --data "$D" >/dev/null 2>&1; then
	"$BIN" add 0badc0de --image slow --layout copy --data "$D" >"$PNB_TMP/int2.log" 2>&1 &
	pid=$!
	wait_for bash -c "ls -d '$D'/clients/.tmp-0badc0de-* " 10
	kill -STOP $pid
	kill -INT $pid
	kill -CONT $pid
	wait $pid
	rc=$?
	if [ $rc -ne 0 ] && grep -q interrupted "$PNB_TMP/int2.log" && [ ! -e "$D/clients/0badc0de" ] && no_partial "$D"; then
		ok "Ctrl-C during add: exit $rc, no client and no temp dir left"
	else
		fail "Ctrl-C during add: no client and no temp dir left" "exit $rc" "$(cat "$PNB_TMP/int2.log")"
	fi
	"$BIN" image rm slow --data "$D" >/dev/null
else
	fail "import of the large tree for the add Ctrl-C test"
fi
rm -rf "$PNB_TMP/slow"

# ------------------------------------------------------------ the data dir inside the source
S3=$PNB_TMP/s3
mkdir -p "$S3/etc"
echo x >"$S3/etc/x"
check "import skips the data dir itself" bash -c "'$BIN' image import self --from '$S3' --data '$S3/data' && test -f '$S3/data/images/self/root/etc/x' && test ! -e '$S3/data/images/self/root/data'"

# A rootfs has far more directories than fds: each copied directory's fd
# must be closed (300 directories under a limit of 64 fds).
S4=$PNB_TMP/s4
for i in $(seq 1 300); do mkdir -p "$S4/d$i" && echo x >"$S4/d$i/f"; done
check "import of more directories than the fd limit" bash -c "ulimit -n 64 && '$BIN' image import manydirs --from '$S4' --data '$S4.data' >/dev/null && test -f '$S4.data/images/manydirs/root/d300/f'"
rm -rf "$S4" "$S4.data"

# ------------------------------------------------------------ preparing the Pis
SD=$PNB_TMP/sd
mkdir -p "$SD"
printf 'arm_64bit=1\n' >"$SD/config.txt"
check "prepare-sd adds program_usb_boot_mode=1" bash -c "'$BIN' prepare-sd '$SD' && '$BIN' prepare-sd '$SD' | grep -q already && test \$(grep -c '^program_usb_boot_mode=1' '$SD/config.txt') = 1 && grep -q '^arm_64bit=1' '$SD/config.txt'"
mkdir -p "$SD/bc"
head -c 52476 /dev/urandom >"$PNB_TMP/bootcode.bin"
check "prepare-sd --bootcode-only" bash -c "'$BIN' prepare-sd '$SD/bc' --bootcode-only --bootcode '$PNB_TMP/bootcode.bin' && cmp '$PNB_TMP/bootcode.bin' '$SD/bc/bootcode.bin' && test -f '$SD/bc/timeout'"
check "check-otp: enabled board exits 0" bash -c "printf '17:3020000a\n28:0000abcd\n30:00a02082\n' | '$BIN' check-otp - | grep -q ENABLED"
check "check-otp: unprogrammed board exits 1 and says what to do" bash -c "printf '17:1020000a\n' >'$PNB_TMP/otp'; '$BIN' check-otp '$PNB_TMP/otp' | grep -q program_usb_boot_mode; test \${PIPESTATUS[0]} = 1"
expect_fail "check-otp: garbage" "otp_dump" "$BIN" check-otp /etc/hostname
check "eeprom-config prints BOOT_ORDER" bash -c "'$BIN' eeprom-config | grep -q '^BOOT_ORDER=0xf21'"
check "eeprom-config validates its own output" bash -c "'$BIN' eeprom-config >'$PNB_TMP/ee.conf' && '$BIN' eeprom-config '$PNB_TMP/ee.conf'"
printf 'BOOT_ORDER=0xf9\nTYPO=1\n' >"$PNB_TMP/bad.conf"
expect_fail "eeprom-config rejects a bad file" "unknown key 'TYPO'" "$BIN" eeprom-config "$PNB_TMP/bad.conf"

# ------------------------------------------------------------ Raspberry Pi OS-like .img / .img.xz
IMG=$PNB_TMP/raspios.img
BOOTSEC=2048 BOOTN=65536 ROOTSEC=67584 ROOTN=98304
truncate -s $(((ROOTSEC + ROOTN) * 512)) "$IMG"
printf 'label: dos\nstart=%d, size=%d, type=c\nstart=%d, size=%d, type=83\n' $BOOTSEC $BOOTN $ROOTSEC $ROOTN | sfdisk -q "$IMG"
rm -f "$PNB_TMP/boot.fat"
mkfs.vfat -C -n BOOTFS "$PNB_TMP/boot.fat" $((BOOTN / 2)) >/dev/null
mcopy -i "$PNB_TMP/boot.fat" "$SRC/boot/firmware/config.txt" "$SRC/boot/firmware/cmdline.txt" "$SRC/boot/firmware/start4.elf" ::/
ROOTSRC=$PNB_TMP/imgroot
make_src "$ROOTSRC"
rm -rf "$ROOTSRC"/boot/firmware/* "$ROOTSRC/srv/fifo" "$ROOTSRC/srv/blk"
truncate -s $((ROOTN * 512)) "$PNB_TMP/root.ext4"
mkfs.ext4 -q -F -L rootfs -d "$ROOTSRC" "$PNB_TMP/root.ext4"
dd if="$PNB_TMP/boot.fat" of="$IMG" bs=512 seek=$BOOTSEC conv=notrunc,sparse status=none
dd if="$PNB_TMP/root.ext4" of="$IMG" bs=512 seek=$ROOTSEC conv=notrunc,sparse status=none
xz -T0 -1 -k "$IMG"
check "image import from .img" "$BIN" image import pios --from "$IMG" --data "$D"
check "image import from .img.xz" "$BIN" image import piosxz --from "$IMG.xz" --data "$D"
for n in pios piosxz; do
	check "$n: boot partition files" bash -c "cmp '$SRC/boot/firmware/start4.elf' '$D/images/$n/boot/start4.elf' && grep -q firstboot '$D/images/$n/boot/cmdline.txt' && test \$(stat -c %a '$D/images/$n/boot/config.txt') = 644"
	check "$n: root partition files with owners and modes" bash -c "test \"\$(stat -c '%u:%g %a' '$D/images/$n/root/usr/bin/owned')\" = '1234:55 4750' && test \"\$(cat '$D/images/$n/root/etc/hostname')\" = src-host && test -c '$D/images/$n/root/srv/null'"
done
# (the kernel clears an autoclear loop device from a work queue: allow it a moment)
check "no loop device or mount left behind" wait_for bash -c "! losetup -a | grep -q '$PNB_TMP' && ! grep -q '$D/images' /proc/self/mounts" 5
check "add a client of the .img image" "$BIN" add abcd0001 --image pios --data "$D"
check "its cmdline.txt is the image's, rewritten" test "$(cat "$D/clients/abcd0001/upper/boot/cmdline.txt")" = "${want//1234abcd/abcd0001}"
head -c 1024 /dev/zero >"$PNB_TMP/nombr.img"
expect_fail "a file without an MBR" "no MBR" "$BIN" image import bad --from "$PNB_TMP/nombr.img" --data "$D"
head -c $((ROOTSEC * 512)) "$IMG" >"$PNB_TMP/trunc.img"
expect_fail "a truncated image" "past the end" "$BIN" image import bad --from "$PNB_TMP/trunc.img" --data "$D"
check "no partial state after the bad images" no_partial "$D"

# ------------------------------------------------------------ debootstrap minbase
CACHE=$PNB_ROOT/build/cache/debootstrap-bookworm-minbase
if [ ! -x "$CACHE/bin/sh" ] && command -v debootstrap >/dev/null; then
	rm -rf "$CACHE.tmp"
	mkdir -p "$(dirname "$CACHE")"
	if timeout 300 debootstrap --variant=minbase bookworm "$CACHE.tmp" http://deb.debian.org/debian >"$PNB_TMP/debootstrap.log" 2>&1; then
		mv "$CACHE.tmp" "$CACHE"
	else
		rm -rf "$CACHE.tmp"
	fi
fi
if [ -x "$CACHE/bin/sh" ]; then
	check "image import from a debootstrap minbase tree" "$BIN" image import deb --from "$CACHE" --data "$D"
	check "debootstrap: tree complete" bash -c "diff <(cd '$CACHE' && find . | sort) <(cd '$D/images/deb/root' && find . | sort)"
	check "debootstrap: owners and modes identical" bash -c "diff <(cd '$CACHE' && find . -printf '%p %u %g %m %y\n' | sort) <(cd '$D/images/deb/root' && find . -printf '%p %u %g %m %y\n' | sort)"
	check "add a client of the debootstrap image" "$BIN" add abcd0002 --image deb --layout copy --data "$D"
	check "debootstrap client: fixups" bash -c "grep -q pi-abcd0002 '$D/clients/abcd0002/root/etc/hostname' && grep -q \"unit='boot.mount'\" '$D/clients/abcd0002/root/etc/systemd/system-generators/pinetboot-boot-firmware'"
else
	skip_test "debootstrap minbase import" "debootstrap failed (no Debian mirror?): see $PNB_TMP/debootstrap.log"
fi
check "no partial state at the end" no_partial "$D"
