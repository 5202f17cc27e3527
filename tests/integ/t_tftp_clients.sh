#!/bin/bash
# t_tftp_clients.sh - real Debian TFTP clients (tftp-hpa, atftp, curl) and
# raw packets against the TFTP server in a namespace LAN (server + client).
# Every download is compared by sha256 with its source; path escapes, writes
# and missing files must fail. SERVER=pinetboot (default) | tftpd-hpa |
# dnsmasq picks the server, so the test itself can be checked on the peers.
set -u -o pipefail
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

SERVER=${SERVER:-pinetboot}
require_root
require_cmd tftp atftp curl python3 ss timeout

netns_lan server client
SRV=$(ip_of server)
DATA="$PNB_TMP/data"
BOOT="$DATA/boot"
OUTSIDE=$(mk_tmpdir)
OUT="$PNB_TMP/out"
mkdir -p "$OUT"

# ---------------------------------------------------------------- fixtures

make_bootset "$BOOT" || { fail "make_bootset"; exit 1; }
# Edge sizes: empty, exact multiples of 512 and 1468 (the transfer ends with
# an empty DATA block), one byte past a block.
: >"$BOOT/empty.bin"
head -c 1024 "$BOOT/kernel8.img" >"$BOOT/exact512x2.bin"
head -c $((1468 * 3)) "$BOOT/kernel8.img" >"$BOOT/exact1468x3.bin"
head -c 513 "$BOOT/kernel8.img" >"$BOOT/513.bin"
# More than 65535 blocks of 512 bytes: the block number must wrap to 0. The
# content differs per block so a replayed block cannot go unnoticed.
python3 -c '
import random, sys
r = random.Random("pinetboot-big")
with open(sys.argv[1], "wb") as f:
    for _ in range(70):
        f.write(r.randbytes(1 << 20))
' "$BOOT/big70m.bin"
# Text with LF, a CR LF pair, a bare CR and no final newline.
printf 'line one\nline two\r\nbare\rcr\nlast' >"$BOOT/netascii.txt"
# na_expect SRC DST: the RFC 764 encoding of SRC, computed independently.
na_expect() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
out = bytearray()
for b in d:
    out += b"\r\n" if b == 10 else (b"\r\0" if b == 13 else bytes([b]))
open(sys.argv[2], "wb").write(out)
' "$1" "$2"
}
# Netascii edge cases, converted block by block by the server: a CR as the
# last byte of block 1 (its NUL opens block 2), a LF there (CR | LF split),
# a converted size of exactly two blocks (an empty third block ends it),
# and 3 MiB of mixed line ends (many chunks, windowed below).
python3 - "$BOOT" <<'EOF'
import random, sys
d = sys.argv[1]
open(d + "/na_cr511.txt", "wb").write(b"a" * 511 + b"\r" + b"tail\r\n")
open(d + "/na_lf511.txt", "wb").write(b"b" * 511 + b"\n" + b"c" * 600 + b"\n")
open(d + "/na_exact1024.txt", "wb").write(b"x" * 1020 + b"\n\n")
r = random.Random("pinetboot-netascii")
with open(d + "/na_big.txt", "wb") as f:
    for _ in range(3 << 20 >> 6):
        f.write(bytes(r.choice(b"abc \t\r\n\n\r\n") for _ in range(64)))
EOF
for f in netascii na_cr511 na_lf511 na_exact1024 na_big; do
	na_expect "$BOOT/$f.txt" "$OUT/$f.expected"
done

# Things that must never be served: a file beside boot/, a file outside the
# data dir, and symlinks in boot/ that point out of it.
echo "secret in data dir, outside boot" >"$DATA/secret.txt"
echo "secret outside the data dir" >"$OUTSIDE/outside.txt"
ln -s "$OUTSIDE/outside.txt" "$BOOT/link_abs"
ln -s "../../../$(basename "$OUTSIDE")/outside.txt" "$BOOT/link_rel"
ln -s ../secret.txt "$BOOT/link_parent"
ln -s "$OUTSIDE" "$BOOT/link_dir"
ln -s /etc "$BOOT/link_etc"
chmod -R go+rX "$DATA" "$OUTSIDE"

sha() { sha256sum "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------- server

case $SERVER in
pinetboot)
	BIN=$(pinetboot_bin)
	pinetboot_ready "$BIN" || _pnb_unmet "pinetboot serve is not built ($BIN); make pinetboot build/asan/pinetboot"
	start_bg server ns_exec server "$BIN" serve --data "$DATA" --dhcp off \
		--answer all --log-level debug
	;;
tftpd-hpa)
	# -s chroots into boot/, like pinetboot's root; -L stays in the foreground.
	start_bg server ns_exec server /usr/sbin/in.tftpd -L -s "$BOOT" -a "$SRV:69"
	;;
dnsmasq)
	start_bg server ns_exec server dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
		--enable-tftp --tftp-root="$BOOT" --listen-address="$SRV" \
		--bind-interfaces --log-facility=-
	;;
*)
	fail "unknown SERVER=$SERVER"
	exit 1
	;;
esac
diag "server: $SERVER, data: $DATA, address $SRV"
if wait_for udp_listening server 69 10; then
	ok "$SERVER listens on UDP 69"
else
	fail "$SERVER listens on UDP 69" "$(tail -n 20 "$PNB_TMP/server.log")"
	exit 1
fi

# got DESC FILE EXPECTED_FILE: the download equals its source.
got() {
	if [ -f "$2" ] && [ "$(sha "$2")" = "$(sha "$3")" ]; then
		ok "$1"
	else
		fail "$1" "expected $(sha "$3") ($(stat -c %s "$3") bytes)" \
			"got $( [ -f "$2" ] && echo "$(sha "$2") ($(stat -c %s "$2") bytes)" || echo "no file")"
	fi
}

# c CMD...: run CMD in the client namespace, from $OUT, bounded.
c() {
	(cd "$OUT" && ns_exec client timeout "${T:-30}" "$@")
}

# ---------------------------------------------------------------- tftp-hpa
# tftp-hpa 5.2's client speaks plain RFC 1350: 512-byte blocks, no options
# (it has no blksize setting at all), so it also covers servers' no-OACK path.

for f in config.txt start4.elf overlays/vc4-kms-v3d-pi4.dtbo empty.bin exact512x2.bin 513.bin; do
	o="$OUT/hpa_${f//\//_}"
	c tftp -m octet "$SRV" -c get "$f" "$o" >/dev/null 2>&1
	got "tftp-hpa octet get $f" "$o" "$BOOT/$f"
done
o="$OUT/hpa_v_fixup4"
log=$(c tftp -v -m octet "$SRV" -c get fixup4.dat "$o" 2>&1)
got "tftp-hpa -v octet get fixup4.dat" "$o" "$BOOT/fixup4.dat"
grep -q Received <<<"$log" || diag "tftp -v said: $log"

# netascii: the client turns CR LF back into LF and CR NUL into CR, so the
# round trip gives the original; the raw bytes must be RFC 764 encoded.
c tftp -m netascii "$SRV" -c get netascii.txt "$OUT/hpa_netascii.txt" >/dev/null 2>&1
got "tftp-hpa netascii get round-trips" "$OUT/hpa_netascii.txt" "$BOOT/netascii.txt"
r=$(tftp_raw client "$SRV" 69 '\x00\x01netascii.txt\x00netascii\x00' "$OUT/raw_netascii")
got "netascii on the wire is CR LF / CR NUL encoded ($r)" "$OUT/raw_netascii" "$OUT/netascii.expected"
for f in na_cr511 na_lf511 na_exact1024; do
	c tftp -m netascii "$SRV" -c get "$f.txt" "$OUT/hpa_$f.txt" >/dev/null 2>&1
	got "tftp-hpa netascii get $f.txt round-trips" "$OUT/hpa_$f.txt" "$BOOT/$f.txt"
	r=$(tftp_raw client "$SRV" 69 "\\x00\\x01$f.txt\\x00netascii\\x00" "$OUT/raw_$f")
	got "netascii $f.txt on the wire, byte for byte ($r)" "$OUT/raw_$f" "$OUT/$f.expected"
done
T=120 c tftp -m netascii "$SRV" -c get na_big.txt "$OUT/hpa_na_big.txt" >/dev/null 2>&1
got "tftp-hpa netascii get of 3 MiB round-trips" "$OUT/hpa_na_big.txt" "$BOOT/na_big.txt"
r=$(tftp_raw client "$SRV" 69 '\x00\x01na_big.txt\x00netascii\x00blksize\x001468\x00windowsize\x008\x00' "$OUT/raw_na_big")
got "netascii 3 MiB at blksize 1468 windowsize 8 on the wire ($r)" "$OUT/raw_na_big" "$OUT/na_big.expected"
if [ "$SERVER" = pinetboot ]; then
	# RFC 2349's tsize is the file's size; the netascii stream is longer
	# and only known once converted: not acknowledged (tftp-hpa does the same).
	r=$(TFTP_RAW_ABORT=1 tftp_raw client "$SRV" 69 '\x00\x01na_big.txt\x00netascii\x00tsize\x000\x00blksize\x001468\x00')
	if [ "$r" = "OACK blksize=1468" ]; then
		ok "netascii: tsize is not acknowledged ($r)"
	else
		fail "netascii: tsize is not acknowledged" "got: $r"
	fi
fi

log=$(c tftp -m octet "$SRV" -c get no-such-file.bin "$OUT/hpa_missing" 2>&1)
if grep -q "Error code 1" <<<"$log"; then
	ok "tftp-hpa: missing file -> ERROR 1"
else
	fail "tftp-hpa: missing file -> ERROR 1" "$log"
fi

# A write must be refused, and nothing may appear in boot/.
echo "uploaded" >"$OUT/upload.txt"
log=$(c tftp -m octet "$SRV" -c put upload.txt upload.txt 2>&1)
if grep -q "Error code" <<<"$log" && [ ! -e "$BOOT/upload.txt" ]; then
	ok "tftp-hpa put is refused"
else
	fail "tftp-hpa put is refused" "$log" "$(ls -la "$BOOT/upload.txt" 2>&1)"
fi
r=$(tftp_raw client "$SRV" 69 '\x00\x02upload2.txt\x00octet\x00')
if [[ $r == ERROR* ]] && [ ! -e "$BOOT/upload2.txt" ]; then
	ok "raw WRQ gets an ERROR ($r)"
else
	fail "raw WRQ gets an ERROR" "got: $r"
fi

# 70 MiB at 512 bytes = 143360 blocks: the block number wraps twice.
o="$OUT/hpa_big"
start=$(date +%s)
T=240 c tftp -m octet "$SRV" -c get big70m.bin "$o" >/dev/null 2>&1
got "tftp-hpa 70 MiB at blksize 512 (block number wraps) in $(($(date +%s) - start)) s" "$o" "$BOOT/big70m.bin"
rm -f "$o"

# ---------------------------------------------------------------- atftp

atftp_get() {
	local desc=$1 f=$2 o
	shift 2
	o="$OUT/atftp_${RANDOM}"
	if c atftp "$@" -g -r "$f" -l "$o" "$SRV" >"$o.log" 2>&1; then
		got "atftp $desc get $f" "$o" "$BOOT/$f"
	else
		fail "atftp $desc get $f" "$(cat "$o.log")"
	fi
}
atftp_get "(no options)" start4.elf
atftp_get "blksize 1468" kernel8.img --option "blksize 1468"
atftp_get "tsize 0" bcm2711-rpi-4-b.dtb --option "tsize 0"
atftp_get "windowsize 16" kernel8.img --option "blksize 1468" --option "windowsize 16"
atftp_get "timeout 2" fixup4.dat --option "timeout 2"
atftp_get "blksize 1468 (exact multiple)" exact1468x3.bin --option "blksize 1468"
atftp_get "blksize 8" config.txt --option "blksize 8"
if c atftp -g -r no-such-file -l "$OUT/atftp_missing" "$SRV" >"$OUT/atftp_missing.log" 2>&1; then
	fail "atftp: missing file fails" "$(cat "$OUT/atftp_missing.log")"
else
	ok "atftp: missing file fails"
fi
if c atftp -p -r upload3.txt -l "$OUT/upload.txt" "$SRV" >"$OUT/atftp_put.log" 2>&1 ||
	[ -e "$BOOT/upload3.txt" ]; then
	fail "atftp put is refused" "$(cat "$OUT/atftp_put.log")"
else
	ok "atftp put is refused"
fi

# ---------------------------------------------------------------- curl

curl_get() {
	local desc=$1 f=$2 o
	shift 2
	o="$OUT/curl_${RANDOM}"
	if c curl -sS "$@" "tftp://$SRV/$f" -o "$o" 2>"$o.log"; then
		got "curl $desc $f" "$o" "$BOOT/$f"
	else
		fail "curl $desc $f" "$(cat "$o.log")"
	fi
}
curl_get "(default options)" start4.elf
curl_get "--tftp-blksize 1468" kernel8.img --tftp-blksize 1468
curl_get "--tftp-no-options" bcm2711-rpi-4-b.dtb --tftp-no-options
curl_get "--tftp-blksize 1468" exact1468x3.bin --tftp-blksize 1468
curl_get "subdir" overlays/overlay_map.dtb
if c curl -sS "tftp://$SRV/no-such-file" -o "$OUT/curl_missing" 2>/dev/null; then
	fail "curl: missing file fails"
else
	ok "curl: missing file fails"
fi

# Ten clients at once on the same file, from different ports.
pids=()
for i in $(seq 1 10); do
	c curl -sS --tftp-blksize 1468 "tftp://$SRV/start4.elf" -o "$OUT/par_$i" 2>/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
bad=0
for i in $(seq 1 10); do
	[ -f "$OUT/par_$i" ] && [ "$(sha "$OUT/par_$i")" = "$(sha "$BOOT/start4.elf")" ] || bad=$((bad + 1))
done
if [ "$bad" -eq 0 ]; then ok "10 parallel curl downloads of start4.elf"; else fail "10 parallel curl downloads of start4.elf" "$bad bad"; fi

# ---------------------------------------------------------------- raw: Pi style

# Pi 4: RRQ tsize 0 blksize 1024 -> OACK -> ERROR 0 "Early terminate" (probe),
# then the same file again from a new port.
r=$(TFTP_RAW_ABORT=1 tftp_raw client "$SRV" 69 '\x00\x01kernel8.img\x00octet\x00tsize\x000\x00blksize\x001024\x00')
if [ "$r" = "OACK blksize=1024,tsize=$(stat -c %s "$BOOT/kernel8.img")" ]; then
	ok "Pi probe: OACK carries blksize and the real tsize ($r)"
else
	fail "Pi probe: OACK carries blksize and the real tsize" "got: $r"
fi
r=$(tftp_raw client "$SRV" 69 '\x00\x01kernel8.img\x00octet\x00tsize\x000\x00blksize\x001468\x00' "$OUT/raw_kernel")
got "Pi download after the probe, blksize 1468 ($r)" "$OUT/raw_kernel" "$BOOT/kernel8.img"
r=$(tftp_raw client "$SRV" 69 '\x00\x01start4.elf\x00OCTET\x00BLKSIZE\x001468\x00TSIZE\x000\x00' "$OUT/raw_upper")
got "option and mode names are case-insensitive ($r)" "$OUT/raw_upper" "$BOOT/start4.elf"
r=$(tftp_raw client "$SRV" 69 '\x00\x01d9780558/start4.elf\x00octet\x00tsize\x000\x00blksize\x001024\x00')
if [[ $r == "ERROR 1 "* ]]; then
	ok "serial-prefixed probe of a missing dir -> ERROR 1 ($r)"
else
	fail "serial-prefixed probe of a missing dir -> ERROR 1" "got: $r"
fi
# A Pi cannot reassemble IP fragments in its bootloader; servers that know
# the interface MTU (pinetboot, dnsmasq) must not grant more than fits one
# 1500-byte frame: 1500 - 20 (IP) - 8 (UDP) - 4 (TFTP) = 1468.
if [ "$SERVER" != tftpd-hpa ]; then
	r=$(TFTP_RAW_ABORT=1 tftp_raw client "$SRV" 69 '\x00\x01kernel8.img\x00octet\x00blksize\x0065464\x00')
	b=$(sed -n 's/.*blksize=\([0-9]*\).*/\1/p' <<<"$r")
	if [ -n "$b" ] && [ "$b" -le 1468 ]; then
		ok "blksize 65464 is clamped to the MTU ($r)"
	else
		fail "blksize 65464 is clamped to the MTU" "got: $r"
	fi
fi
r=$(tftp_raw client "$SRV" 69 '\x00\x01overlays\x00octet\x00')
if [[ $r == ERROR* ]]; then ok "a directory is not served ($r)"; else fail "a directory is not served" "got: $r"; fi

# ---------------------------------------------------------------- escapes
# None of these may return data: each must get an ERROR (or, for malformed
# packets, no answer). The symlinks point out of boot/ and out of the data dir.

escape() {
	local desc=$1 req=$2 r
	r=$(tftp_raw client "$SRV" 69 "$req")
	case $r in
	ERROR*) ok "escape refused: $desc ($r)" ;;
	TIMEOUT) if [ "${3:-}" = silent-ok ]; then ok "escape refused: $desc (no answer)"; else fail "escape refused: $desc" "no answer"; fi ;;
	*) fail "escape refused: $desc" "got: $r" ;;
	esac
}
escape "../secret.txt" '\x00\x01../secret.txt\x00octet\x00'
escape "../etc/passwd" '\x00\x01../etc/passwd\x00octet\x00'
escape "../../../../../../etc/passwd" '\x00\x01../../../../../../etc/passwd\x00octet\x00'
escape "/etc/passwd" '\x00\x01/etc/passwd\x00octet\x00'
escape "absolute path of secret.txt" "\\x00\\x01$DATA/secret.txt\\x00octet\\x00"
escape "boot/../../x" '\x00\x01boot/../../x\x00octet\x00'
escape "overlays/../../secret.txt" '\x00\x01overlays/../../secret.txt\x00octet\x00'
escape "....//....//secret.txt" '\x00\x01....//....//secret.txt\x00octet\x00'
escape "..\\secret.txt (backslash)" '\x00\x01..\\secret.txt\x00octet\x00'
escape "..\\..\\etc\\passwd (backslashes)" '\x00\x01..\\..\\etc\\passwd\x00octet\x00'
escape "symlink to a file outside the data dir (absolute)" '\x00\x01link_abs\x00octet\x00'
escape "symlink to a file outside the data dir (relative)" '\x00\x01link_rel\x00octet\x00'
escape "symlink to data/secret.txt (outside boot)" '\x00\x01link_parent\x00octet\x00'
escape "through a symlinked dir outside" '\x00\x01link_dir/outside.txt\x00octet\x00'
escape "through a symlink to /etc" '\x00\x01link_etc/passwd\x00octet\x00'
escape "NUL inside the name then a path" '\x00\x01config.txt\x00/../../secret.txt\x00octet\x00' silent-ok
escape "NUL-prefixed name" '\x00\x01\x00../secret.txt\x00octet\x00' silent-ok
escape "name without terminator" '\x00\x01../secret.txt' silent-ok
escape "%2e%2e/secret.txt" '\x00\x01%2e%2e/secret.txt\x00octet\x00'
# The same with a real client.
if c atftp -g -r ../secret.txt -l "$OUT/atftp_escape" "$SRV" >/dev/null 2>&1 ||
	grep -qs secret "$OUT/atftp_escape"; then
	fail "atftp ../secret.txt is refused"
else
	ok "atftp ../secret.txt is refused"
fi
if c curl -sS "tftp://$SRV/link_abs" -o "$OUT/curl_escape" 2>/dev/null ||
	grep -qs secret "$OUT/curl_escape"; then
	fail "curl of a symlink out of boot/ is refused"
else
	ok "curl of a symlink out of boot/ is refused"
fi

# ---------------------------------------------------------------- after

# Still serving after all of that?
o="$OUT/final_config"
c curl -sS "tftp://$SRV/config.txt" -o "$o" 2>/dev/null
got "server still serves after the abuse" "$o" "$BOOT/config.txt"

if [ "$SERVER" = pinetboot ]; then
	stop_bg server 10
	rc=$?
	if [ "$rc" -eq 0 ]; then ok "pinetboot exits 0 on SIGTERM"; else fail "pinetboot exits 0 on SIGTERM" "exit status $rc" "$(tail -n 20 "$PNB_TMP/server.log")"; fi
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$PNB_TMP/server.log"; then
		fail "no sanitizer report in the server log" "$(grep -E -A 20 'Sanitizer|runtime error' "$PNB_TMP/server.log" | head -40)"
	else
		ok "no sanitizer report in the server log"
	fi
fi
