#!/bin/bash
# record.sh [OUT] - record the NFSv3 calls of one real Debian 12 (systemd)
# boot from `pinetboot serve`, as bench/traces/debian12-boot.tsv.gz.
#
# The same guest as tests/integ/t_real_os.sh (tests/guest/debian-tree.sh,
# provisioned with init / image import / add, booted in QEMU TCG with the
# kernel, initrd and cmdline.txt the Pi would get), one Pi only. dumpcap
# captures the Pi's TCP traffic on the server's eth0 from power on until the
# serial console shows the login prompt (plus SETTLE_S seconds), then
# bench/nfs-storm/pcap2trace.py turns the capture into the trace (format in
# bench/README.md, "NFS boot storm").
#
#   OUT=bench/traces/debian12-boot.tsv.gz   where the trace goes
#   QEMU_TIMEOUT=600  SETTLE_S=10  the capture stays in build/nfs-storm/boot.pcap
# Root needed (namespaces). Needs tshark (Debian package) and python3.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integ/lib.sh
. "$HERE/../../tests/integ/lib.sh"
OUT=${1:-$PNB_ROOT/bench/traces/debian12-boot.tsv.gz}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-600}
SETTLE_S=${SETTLE_S:-10}
MAC=dc:a6:32:00:00:0a
ID=dc-a6-32-00-00-0a
die() { echo "record.sh: $*" >&2; exit 1; }
for c in qemu-system-x86_64 dumpcap tshark python3 curl; do
	command -v "$c" >/dev/null || die "missing $c (apt-get install tshark qemu-system-x86)"
done
BIN=${PINETBOOT:-$PNB_ROOT/pinetboot}
[ -x "$BIN" ] || die "no $BIN (make pinetboot)"
TREE=$("$PNB_ROOT/tests/guest/debian-tree.sh") || die "debian-tree.sh failed"

netns_lan srv || die "namespaces"
SW=$(ns sw)
S=$PNB_SUBNET
SRV_IP=$(ip_of srv)
if ! { ip -n "$SW" tuntap add dev tapa mode tap && ip -n "$SW" link set tapa master br0 &&
	ip -n "$SW" link set tapa up; }; then
	die "tap"
fi
DATA=$(mk_tmpdir)/data
ns_exec srv "$BIN" init --data "$DATA" >/dev/null || die "init"
ns_exec srv "$BIN" image import deb12 --from "$TREE" --data "$DATA" >/dev/null || die "import"
ns_exec srv "$BIN" add "$MAC" --name pi-a --image deb12 --data "$DATA" >/dev/null || die "add"
start_bg srv ns_exec srv "$BIN" serve --data "$DATA" --interface eth0 --dhcp full \
	--dhcp-range "10.$S.0.100,10.$S.0.150" --admin-networks "$SRV_IP/32"
wait_for udp_listening srv 2049 30 || die "serve did not start: $(tail -n 5 "$PNB_TMP/srv.log")"
BF=$PNB_TMP/boot
mkdir -p "$BF"
for f in cmdline.txt kernel8.img initramfs8; do
	ns_exec srv timeout 60 curl -sf --tftp-blksize 8192 -o "$BF/$f" "tftp://$SRV_IP/$ID/$f" || die "tftp $f"
done
PCAP=$PNB_ROOT/build/nfs-storm/boot.pcap
mkdir -p "${PCAP%/*}"
rm -f "$PCAP"
start_bg cap ns_exec srv dumpcap -q -i eth0 -P -f tcp -w "$PCAP"
wait_for test -s "$PCAP" 10
sleep 1
append=$(tr -d '\n' <"$BF/cmdline.txt")
case " $append " in *" console=ttyS0"*) ;; *) append="console=ttyS0 $append" ;; esac
CON=$PNB_TMP/console.log
: >"$CON"
t0=$(date +%s)
start_bg qemu ns_exec sw timeout --kill-after=10 "$QEMU_TIMEOUT" \
	qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nodefaults -display none \
	-serial "file:$CON" -monitor none -kernel "$BF/kernel8.img" -initrd "$BF/initramfs8" \
	-append "$append" -netdev "tap,id=n0,ifname=tapa,script=no,downscript=no" \
	-device "virtio-net-pci,netdev=n0,mac=$MAC"
while ! grep -q 'login:' "$CON"; do
	bg_alive qemu || die "qemu ended before the login prompt: $(tail -n 20 "$CON")"
	[ $(($(date +%s) - t0)) -lt "$QEMU_TIMEOUT" ] || die "no login prompt"
	sleep 1
done
echo "record.sh: login prompt after $(($(date +%s) - t0)) s; settling ${SETTLE_S} s" >&2
sleep "$SETTLE_S"
stop_bg qemu
sleep 1
stop_bg cap
ls -l "$PCAP" >&2
if ! python3 "$HERE/pcap2trace.py" "$PCAP" | gzip -9n >"$OUT.tmp"; then
	die "pcap2trace failed"
fi
mv "$OUT.tmp" "$OUT"
echo "record.sh: wrote $OUT ($(stat -c %s "$OUT") bytes)" >&2
