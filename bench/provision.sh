#!/bin/bash
# provision.sh - issue 4 benchmark: disk cost of N overlay clients vs N
# copies (du), time of `add` for an overlay client (target < 1 s), and
# `image import` vs `rsync -xa` of the same tree in the same run (target
# <= 1.0x). Writes build/bench/provision.md. Needs root.
#   sudo bench/provision.sh            N=50, tree = debootstrap minbase (cached)
#   N=10 TREE=/some/dir bench/provision.sh
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${PINETBOOT_BIN:-$ROOT/pinetboot}
N=${N:-50}
OUT=$ROOT/build/bench/provision.md
CACHE=$ROOT/build/cache/debootstrap-bookworm-minbase
[ "$(id -u)" = 0 ] || { echo "provision.sh: needs root" >&2; exit 1; }
[ -x "$BIN" ] || { echo "provision.sh: build $BIN first (make pinetboot)" >&2; exit 1; }
mkdir -p "$ROOT/build/bench"
W=$(mktemp -d /var/tmp/pnb-bench-XXXXXX)
cleanup() {
	grep -o " $W[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$W"
}
trap cleanup EXIT

TREE=${TREE:-}
if [ -z "$TREE" ]; then
	if [ ! -x "$CACHE/bin/sh" ]; then
		echo "building the debootstrap minbase tree (once, cached in $CACHE)"
		mkdir -p "$(dirname "$CACHE")"
		timeout 600 debootstrap --variant=minbase bookworm "$CACHE.tmp" http://deb.debian.org/debian >"$W/debootstrap.log" 2>&1 &&
			mv "$CACHE.tmp" "$CACHE"
	fi
	TREE=$CACHE
	# A file with a capability and an sshd-like /etc/ssh so add does its full work.
fi
[ -d "$TREE" ] || { echo "provision.sh: no tree $TREE" >&2; exit 1; }
SRC=$W/src
cp -a "$TREE" "$SRC"
mkdir -p "$SRC/etc/ssh" "$SRC/boot/firmware"
echo "console=serial0,115200 console=tty1 root=PARTUUID=0-02 rootfstype=ext4 rootwait" >"$SRC/boot/firmware/cmdline.txt"
sync

now() { date +%s.%N; }
secs() { python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
files=$(find "$SRC" | wc -l)
tree_kb=$(du -sk "$SRC" | cut -f1)

# --- import vs rsync -xa (3 rounds, alternating, warm cache; median) ---
: >"$W/imp"; : >"$W/rs"; : >"$W/rsf"
for i in 1 2 3; do
	t0=$(now); rsync -xa "$SRC/" "$W/rsync$i/"; t1=$(now); secs "$t0" "$t1" >>"$W/rs"
	t0=$(now); rsync -xaHAXS "$SRC/" "$W/rsyncf$i/"; t1=$(now); secs "$t0" "$t1" >>"$W/rsf"
	t0=$(now); "$BIN" image import "img$i" --from "$SRC" --data "$W/data" >/dev/null; t1=$(now); secs "$t0" "$t1" >>"$W/imp"
	rm -rf "$W/rsync$i" "$W/rsyncf$i"
	[ "$i" -gt 1 ] && "$BIN" image rm "img$i" --data "$W/data" >/dev/null
done
imp=$(median <"$W/imp"); rs=$(median <"$W/rs"); rsf=$(median <"$W/rsf")
ratio=$(python3 -c "print('%.2f' % ($imp / $rs))")
ratiof=$(python3 -c "print('%.2f' % ($imp / $rsf))")

# --- N overlay clients ---
: >"$W/add"
for ((i = 1; i <= N; i++)); do
	id=$(printf 'a%07x' "$i")
	t0=$(now); "$BIN" add "$id" --image img1 --data "$W/data" >/dev/null || exit 1; t1=$(now)
	secs "$t0" "$t1" >>"$W/add"
done
add_med=$(median <"$W/add")
add_max=$(sort -n "$W/add" | tail -1)
img_kb=$(du -sk "$W/data/images/img1" | cut -f1)
ov_kb=$(du -sk "$W/data/clients" | cut -f1)
per_ov=$(python3 -c "print('%.1f' % ($ov_kb / $N))")
per_ov_pct=$(python3 -c "print('%.2f' % (100.0 * $ov_kb / $N / $img_kb))")
for ((i = 1; i <= N; i++)); do "$BIN" remove "$(printf 'a%07x' "$i")" --yes --data "$W/data" >/dev/null; done

# --- N copy clients ---
: >"$W/addc"
for ((i = 1; i <= N; i++)); do
	id=$(printf 'c%07x' "$i")
	t0=$(now); "$BIN" add "$id" --image img1 --layout copy --data "$W/data" >/dev/null || exit 1; t1=$(now)
	secs "$t0" "$t1" >>"$W/addc"
done
addc_med=$(median <"$W/addc")
cp_kb=$(du -sk "$W/data/clients" | cut -f1)
fs=$(findmnt -no FSTYPE -T "$W" 2>/dev/null || stat -f -c %T "$W")

cat >"$OUT" <<MD
# Provisioning benchmark (bench/provision.sh)

$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), work dir on $fs.
Tree: $([ "$TREE" = "$CACHE" ] && echo "debootstrap --variant=minbase bookworm" || echo "$TREE"),
$files entries, $((tree_kb / 1024)) MiB.

## image import vs rsync (same tree, same run, warm cache, median of 3)

| copy | seconds | import / this |
|---|---|---|
| \`pinetboot image import\` (owners, modes, times, hard links, sparse, ACLs, xattrs) | $imp | 1.00 |
| \`rsync -xa\` | $rs | **$ratio** (target <= 1.0) |
| \`rsync -xaHAXS\` (the same feature set as import) | $rsf | $ratiof |

## $N clients

| | disk (du) | per client | per client / image | add (median) | add (slowest) |
|---|---|---|---|---|---|
| image | $((img_kb / 1024)) MiB | | | | |
| $N overlay clients | $ov_kb KiB | $per_ov KiB | **$per_ov_pct %** (target < 1 %) | **${add_med} s** (target < 1 s) | ${add_max} s |
| $N copy clients | $((cp_kb / 1024)) MiB | $((cp_kb / N / 1024)) MiB | $(python3 -c "print('%.0f' % (100.0 * $cp_kb / $N / $img_kb))") % | ${addc_med} s | |

An overlay client's disk cost is its upper layer: the fixups (hostname,
hosts, machine-id, fstab, masked units, network manager config, three SSH
host keys, cmdline.txt) plus overlayfs' index entries. \`add\` time is
dominated by ssh-keygen (RSA 3072, generated in parallel with the other
two key types).
MD
cat "$OUT"
