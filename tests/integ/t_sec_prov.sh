#!/bin/bash
# t_sec_prov.sh - issue 9 items 2 and 9, as an attacker would try them:
# a Pi (root in its own export) plants a setuid-root binary and a 0666
# device node in its root; a local user of the server ('nobody') must not
# get euid 0 from the one nor open the other (clients/ and images/ are
# 0700, the overlay roots are mounted nosuid,nodev,noexec). And an image
# source whose boot/firmware (or /boot) is a symlink to a server directory
# must not carry that directory into the image; an .img.xz cannot
# decompress past its limit. Needs root.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_cmd setpriv xz mkfs.ext4 ssh-keygen
BIN=${PINETBOOT_BIN:-$(pinetboot_bin)}
D=$PNB_TMP/data
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
on_cleanup 'grep -o " $PNB_TMP[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done'

# As a local user would: a shell running as nobody resolves the path and
# execs it (setpriv's own exec of its argument is not what a user has).
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- sh -c '"$0" "$@"' "$@"; }

expect_rc() { # DESC RC PATTERN CMD...
	local desc=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && grep -q -- "$pat" <<<"$out"; then ok "$desc"; else fail "$desc" "exit $rc (want $want)" "$out"; fi
}

# ------------------------------------------------------------ a server with two Pis
SRC=$PNB_TMP/src
mkdir -p "$SRC"/{etc/ssh,etc/systemd/system,usr/bin,boot/firmware}
echo src >"$SRC/etc/hostname"
head -c 2048 /dev/urandom >"$SRC/boot/firmware/start4.elf"
echo "console=tty1 root=PARTUUID=1-02 rootwait" >"$SRC/boot/firmware/cmdline.txt"
"$BIN" init --data "$D" >/dev/null
check "image import" "$BIN" image import base --from "$SRC" --data "$D"
check "add an overlay Pi" "$BIN" add 1234abcd --image base --data "$D"
check "add a copy-layout Pi" "$BIN" add 5678abcd --image base --layout copy --data "$D"
check "clients/ and images/ are 0700, root's" test "$(stat -c '%a %u' "$D/clients") $(stat -c '%a %u' "$D/images")" = "700 0 700 0"

if ! pinetboot_ready "$BIN"; then
	skip_test "Pi-made setuid binary and device node" "no serve --data in $BIN"
	exit 0
fi
start_bg serve "$BIN" serve --data "$D" --dhcp off --nfs off --http-listen off --tftp-port $((21000 + PNB_SUBNET)) --interface lo
R1=$D/clients/1234abcd/root
R2=$D/clients/5678abcd/root
if ! wait_for mountpoint -q "$R1" 10; then
	fail "serve mounts the overlay Pi" "$(cat "$PNB_TMP/serve.log")"
	exit 1
fi
opts=$(awk -v m="$R1" '$5 == m { print $6 }' /proc/self/mountinfo)
if [[ ",$opts," == *,nosuid,* && ",$opts," == *,nodev,* && ",$opts," == *,noexec,* ]]; then ok "overlay root mounted nosuid,nodev,noexec ($opts)"; else fail "overlay root mounted nosuid,nodev,noexec" "$opts"; fi
bopts=$(awk -v m="$D/clients/1234abcd/boot" '$5 == m { print $6 }' /proc/self/mountinfo)
if [[ ",$bopts," == *,nosuid,*nodev,*noexec,* || (",$bopts," == *,nosuid,* && ",$bopts," == *,nodev,* && ",$bopts," == *,noexec,*) ]]; then ok "overlay boot mounted nosuid,nodev,noexec"; else fail "overlay boot mounted nosuid,nodev,noexec" "$bopts"; fi

# What a Pi writing as root over NFS produces in its root (the NFS server
# creates it as the Pi's uid 0 with exactly the mode asked for).
for r in "$R1" "$R2"; do
	cp /usr/bin/id "$r/pi-suid-id" && chown 0:0 "$r/pi-suid-id" && chmod 4755 "$r/pi-suid-id"
	mknod -m 666 "$r/pi-kmsg" c 1 11
	mknod -m 666 "$r/pi-null" c 1 3
done
for r in "$R1" "$R2"; do
	case $r in */1234abcd/*) l=overlay ;; *) l=copy ;; esac
	out=$(as_nobody "$r/pi-suid-id" -u 2>&1)
	if [ "$out" != 0 ] && ! grep -q "euid=0" <<<"$out"; then ok "$l: nobody cannot run the Pi's setuid-root binary as root ($out)"; else fail "$l: nobody cannot run the Pi's setuid-root binary as root" "$out"; fi
	if ! as_nobody sh -c "echo pwned >'$r/pi-kmsg'" 2>/dev/null; then ok "$l: nobody cannot write the Pi's 0666 /dev/kmsg node"; else fail "$l: nobody cannot write the Pi's 0666 /dev/kmsg node"; fi
	if ! as_nobody sh -c "cat '$r/pi-null'" 2>/dev/null; then ok "$l: nobody cannot open the Pi's 0666 /dev/null node"; else fail "$l: nobody cannot open the Pi's 0666 /dev/null node"; fi
done

# Defence in depth: even if an admin opens clients/ up, the overlay mount
# options still hold (the copy layout relies on the 0700 alone).
chmod 755 "$D/clients"
out=$(as_nobody "$R1/pi-suid-id" -u 2>&1)
if [ "$out" != 0 ]; then ok "overlay, clients/ opened up: still no euid 0 (noexec/nosuid: $out)"; else fail "overlay, clients/ opened up: still no euid 0" "$out"; fi
if ! as_nobody sh -c "echo x >'$R1/pi-null'" 2>/dev/null; then ok "overlay, clients/ opened up: device node still refused (nodev)"; else fail "overlay, clients/ opened up: device node still refused (nodev)"; fi
check "add puts clients/ back to 0700" bash -c "'$BIN' add 9abc0001 --image base --layout copy --data '$D' >/dev/null && test \$(stat -c %a '$D/clients') = 700"
chmod 755 "$D/clients" "$D/images"
check "init puts clients/ and images/ back to 0700" bash -c "'$BIN' init --data '$D' >/dev/null && test \"\$(stat -c %a '$D/clients') \$(stat -c %a '$D/images')\" = '700 700'"
stop_bg serve

# ------------------------------------------------------------ symlinked boot files
SECRET=$PNB_TMP/server-secret
mkdir -p "$SECRET"
echo "TOPSECRET-$$" >"$SECRET/shadow-copy"
echo "# TOPSECRET-$$" >"$SECRET/config.txt" # looks like boot files to a naive importer
chmod 600 "$SECRET/shadow-copy" "$SECRET/config.txt"
S3=$PNB_TMP/evil-fw
mkdir -p "$S3/etc" "$S3/boot"
ln -s "$SECRET" "$S3/boot/firmware"
expect_rc "a symlinked boot/firmware is refused (exit 1)" 1 "boot/firmware is a symbolic link (to $SECRET)" "$BIN" image import evil --from "$S3" --data "$D"
S4=$PNB_TMP/evil-boot
mkdir -p "$S4/etc"
ln -s "$SECRET" "$S4/boot"
expect_rc "a symlinked /boot is refused (exit 1)" 1 "/boot is a symbolic link" "$BIN" image import evil2 --from "$S4" --data "$D"
S5=$PNB_TMP/evil-rel
mkdir -p "$S5/etc" "$S5/boot"
ln -s ../../server-secret "$S5/boot/firmware"
expect_rc "a relative symlink out of the tree is refused too" 1 "is a symbolic link" "$BIN" image import evil3 --from "$S5" --data "$D"
if ! grep -rqs "TOPSECRET-$$" "$D/images" "$D/boot"; then ok "the server's secret never appears under images/ or boot/"; else fail "the server's secret never appears under images/ or boot/"; fi
check "no image and no temp dir left by the refusals" bash -c "test ! -e '$D/images/evil' && test ! -e '$D/images/evil2' && test -z \"\$(ls -A '$D/images' | grep -v '^base\$')\""

# ------------------------------------------------------------ .img.xz size limit
SMALL=$PNB_TMP/small
mkdir -p "$SMALL"
truncate -s 24M "$PNB_TMP/small.fs" && mkfs.ext4 -q -F "$PNB_TMP/small.fs" && mount -o loop "$PNB_TMP/small.fs" "$SMALL"
truncate -s 256M "$PNB_TMP/bomb.img"
xz -T0 -1 -k "$PNB_TMP/bomb.img"
"$BIN" init --data "$SMALL/d" >/dev/null
expect_rc ".img.xz larger than half the free space: aborted cleanly (exit 1)" 1 "decompresses to more than .* MiB, the limit (half the free space" "$BIN" image import bomb --from "$PNB_TMP/bomb.img.xz" --data "$SMALL/d"
check ".img.xz abort: nothing kept" bash -c "test -z \"\$(ls -A '$SMALL/d/images')\" && test \$(df --output=used -k '$SMALL' | tail -1) -lt 4096"
umount "$SMALL"
