#!/bin/bash
# t_nfs_layers.sh - reading never copies up (issue 13 item 3). An overlay
# client made with the CLI (init, image import, add), served by
# `pinetboot serve`; a libnfs client from the Pi's address reads every
# file, directory and symlink of its root twice (READDIRPLUS, LOOKUP,
# GETATTR, ACCESS, READ, READLINK) and writes one existing file. The Pi's
# upper layer must then hold exactly what `add` put there plus the written
# file and the directories on its path: overlayfs copies a file up on any
# open for writing, so a server that opens files O_RDWR to read them
# fills every Pi's layer with copies of the image.
set -u -o pipefail
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ss timeout find
PT="$PNB_ROOT/build/tests/nfs_proto_test"
[ -x "$PT" ] || _pnb_unmet "build/tests/nfs_proto_test is not built (make build/tests/nfs_proto_test)"
BIN=${PINETBOOT_BIN:-$(pinetboot_bin)}
pinetboot_ready "$BIN" || _pnb_unmet "pinetboot is not built"
require_overlay

netns_lan server pi
SRV=$(ip_of server)
D=$PNB_TMP/data
SRC=$PNB_TMP/src
ID=1234abcd
on_cleanup 'grep -o " $PNB_TMP[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done'

# An image with the usual kinds of objects: binaries, libraries, a secret
# only root reads, a read-only file, symlinks, nested directories.
mkdir -p "$SRC"/{etc/ssh,usr/bin,usr/lib/x,var/lib/data,boot/firmware,srv/app}
echo src-host >"$SRC/etc/hostname"
printf '127.0.0.1\tlocalhost\n' >"$SRC/etc/hosts"
printf 'proc /proc proc defaults 0 0\n' >"$SRC/etc/fstab"
echo 'root:*:19000:0:99999:7:::' >"$SRC/etc/shadow"
chmod 0640 "$SRC/etc/shadow"
cp /bin/true "$SRC/usr/bin/prog"
chmod 0755 "$SRC/usr/bin/prog"
for i in $(seq 1 40); do head -c $((i * 997)) /dev/urandom >"$SRC/usr/lib/x/lib$i.so"; done
echo readonly >"$SRC/var/lib/data/ro.txt"
chmod 0444 "$SRC/var/lib/data/ro.txt"
echo original >"$SRC/srv/app/config.txt"
ln -s ../usr/bin/prog "$SRC/srv/prog-link"
ln -s /etc/hostname "$SRC/srv/abs-link"
echo "console=tty1 root=/dev/mmcblk0p2 rootwait" >"$SRC/boot/firmware/cmdline.txt"
printf '[all]\n' >"$SRC/boot/firmware/config.txt"

check "init" "$BIN" init --data "$D" || exit 1
check "image import base --from DIR" "$BIN" image import base --from "$SRC" --data "$D" || exit 1
check "add $ID --image base (overlay layout)" "$BIN" add "$ID" --image base --layout overlay --data "$D" || exit 1
printf 'address = %s\n' "$(ip_of pi)" >>"$D/clients/$ID/client.conf"
U=$D/clients/$ID/upper/root
# What add put into the Pi's layer (hostname, hosts, fstab, keys...).
(cd "$U" && find . -mindepth 1 | sort) >"$PNB_TMP/upper.before"
diag "upper layer after add: $(wc -l <"$PNB_TMP/upper.before") entries"

start_bg server ns_exec server "$BIN" serve --data "$D" --dhcp off --nfs on --http-listen off \
	--tftp-port $((20000 + PNB_SUBNET)) --log-level debug
# Both ports: libnfs asks the portmapper (111) first, which is bound just
# after 2049.
listening() { wait_for ns_exec server ss -Hltn "sport = :2049" 10 && wait_for ns_exec server ss -Hltn "sport = :111" 10; }
check "server listens on 2049 and 111" listening || exit 1

run_pt() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok * - }" ;;
		"not ok "*) fail "${line#not ok * - }" ;;
		*) diag "$line" ;;
		esac
	done < <(ns_exec pi timeout 300 "$PT" "$@" 2>&1)
}
run_pt readall "$SRV" "/clients/$ID" /srv/app/config.txt

check "the write reached the Pi's layer" test "$(cat "$U/srv/app/config.txt" 2>&1)" = changed
check "the image is unchanged" test "$(cat "$D/images/base/root/srv/app/config.txt" 2>&1)" = original
(cd "$U" && find . -mindepth 1 | sort) >"$PNB_TMP/upper.after"
# Allowed: the written file and the directories on its path.
printf './srv\n./srv/app\n./srv/app/config.txt\n' | sort -m - "$PNB_TMP/upper.before" | sort -u >"$PNB_TMP/upper.want"
extra=$(comm -13 "$PNB_TMP/upper.want" "$PNB_TMP/upper.after")
missing=$(comm -23 "$PNB_TMP/upper.want" "$PNB_TMP/upper.after")
if [ -z "$extra" ] && [ -z "$missing" ]; then
	ok "upper layer holds only what add wrote plus the one written file"
else
	fail "upper layer holds only what add wrote plus the one written file" \
		"copied up although only read ($(printf '%s\n' "$extra" | grep -c .)):" "$(printf '%s\n' "$extra" | head -n 20)" \
		"missing: $missing"
fi
for f in usr/lib/x/lib7.so usr/bin/prog etc/shadow var/lib/data/ro.txt; do
	check "read-only file $f stays in the image only" test ! -e "$U/$f"
done
check "server still running" bg_alive server
