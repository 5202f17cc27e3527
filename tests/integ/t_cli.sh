#!/bin/bash
# t_cli.sh - the command line and configuration as a user meets them:
# make install with DESTDIR/PREFIX, help output listing every config key,
# unknown flags and bad config values rejected with file:line, exit codes.
# Needs no root.
# shellcheck source=tests/integ/lib.sh
source "$(dirname "$0")/lib.sh"
PNB=$(pinetboot_bin)
cd "$PNB_ROOT" || exit 1

DEST=$(mk_tmpdir)
check "make install honours DESTDIR and PREFIX" make -s install DESTDIR="$DEST" PREFIX=/opt/pnb
check "installed binary is executable" test -x "$DEST/opt/pnb/sbin/pinetboot"

help=$("$PNB" serve --help 2>&1)
missing=""
for key in interface answer dhcp dhcp-range dhcp-port tftp-port nfs admin-networks log-level; do
	grep -q -- "--$key " <<<"$help" || missing="$missing $key"
done
if [ -z "$missing" ]; then ok "serve --help lists every documented key"; else fail "serve --help lists every documented key" "missing:$missing"; fi

out=$("$PNB" serve --data "$PNB_TMP/d" --no-such-flag 1 2>&1)
rc=$?
if [ $rc = 2 ] && grep -q "unknown flag '--no-such-flag'" <<<"$out"; then ok "unknown flag: exit 2 and a clear message"; else fail "unknown flag: exit 2 and a clear message" "rc=$rc $out"; fi

mkdir -p "$PNB_TMP/d"
printf 'answer = all\n# comment\ntftp-port = 99999\n' >"$PNB_TMP/d/pinetboot.conf"
out=$("$PNB" serve --data "$PNB_TMP/d" 2>&1)
rc=$?
if [ $rc = 2 ] && grep -q "pinetboot.conf:3: tftp-port" <<<"$out"; then ok "bad config value: exit 2 naming file:line"; else fail "bad config value: exit 2 naming file:line" "rc=$rc $out"; fi

printf 'answer = all\nmystery = 1\n' >"$PNB_TMP/d/pinetboot.conf"
out=$("$PNB" serve --data "$PNB_TMP/d" 2>&1)
rc=$?
if [ $rc = 2 ] && grep -q "pinetboot.conf:2: unknown key 'mystery'" <<<"$out"; then ok "unknown config key: exit 2 naming file:line"; else fail "unknown config key: exit 2 naming file:line" "rc=$rc $out"; fi

out=$("$PNB" frobnicate 2>&1)
rc=$?
if [ $rc = 2 ] && grep -q "unknown command" <<<"$out"; then ok "unknown subcommand: exit 2"; else fail "unknown subcommand: exit 2" "rc=$rc"; fi
out=$("$PNB" probe --model 7 --server 127.0.0.1 2>&1)
rc=$?
if [ $rc = 2 ]; then ok "probe with a bad model: usage error (exit 2)"; else fail "probe with a bad model: usage error (exit 2)" "rc=$rc $out"; fi

# ---- version and stray arguments (issue 13 item 7) ----
cli_rc() { # DESC RC PATTERN CMD...: exit status RC and PATTERN in the output
	local desc=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && grep -q -- "$pat" <<<"$out"; then ok "$desc"; else fail "$desc" "exit $rc (want $want)" "$out"; fi
}
want_ver=$({ test -e .git && git describe --always --dirty 2>/dev/null; } || cat VERSION)
cli_rc "--version prints 'pinetboot VERSION'" 0 "^pinetboot [0-9a-zA-Z]" "$PNB" --version
v1=$("$PNB" --version)
v2=$("$PNB" version)
if [ "$v1" = "$v2" ] && [ -n "$want_ver" ] && grep -q -- "${want_ver%-dirty}" <<<"$v1"; then ok "version and --version agree with git describe / VERSION ($v1)"; else fail "version and --version agree with git describe / VERSION" "$v1 / $v2 / want $want_ver"; fi
check "VERSION file for tarballs" grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$' VERSION
cli_rc "version with a stray argument: exit 2" 2 "unexpected argument 'x'" "$PNB" version x
cli_rc "list with a stray argument: exit 2" 2 "unexpected argument 'extra'" "$PNB" list extra --data "$PNB_TMP/d"
cli_rc "init with a stray argument: exit 2" 2 "unexpected argument 'extra'" "$PNB" init extra --data "$PNB_TMP/never"
check "init with a stray argument created nothing" test ! -e "$PNB_TMP/never"
cli_rc "add with two ids: exit 2" 2 "unexpected argument '5678abcd'" "$PNB" add 1234abcd 5678abcd --data "$PNB_TMP/d"
cli_rc "remove with two ids: exit 2" 2 "unexpected argument" "$PNB" remove 1234abcd 5678abcd --data "$PNB_TMP/d"
cli_rc "reset with two ids: exit 2" 2 "unexpected argument" "$PNB" reset 1234abcd x --data "$PNB_TMP/d"
cli_rc "show with two ids: exit 2" 2 "unexpected argument" "$PNB" show 1234abcd x --data "$PNB_TMP/d"
cli_rc "image list with a name: exit 2" 2 "unexpected argument 'x'" "$PNB" image list x --data "$PNB_TMP/d"
cli_rc "prepare-sd with two dirs: exit 2" 2 "usage" "$PNB" prepare-sd "$PNB_TMP" "$PNB_TMP"
cli_rc "eeprom-config with two files: exit 2" 2 "unexpected argument" "$PNB" eeprom-config a b
cli_rc "check-otp with two files: exit 2" 2 "usage" "$PNB" check-otp a b
cli_rc "add with a 15-digit serial: exit 2" 2 "bad id '100000003b0200a'" "$PNB" add 100000003b0200a --data "$PNB_TMP/d"

# ---- eeprom-config (issue 13 item 8) ----
E=$PNB_TMP/ee
mkdir -p "$E"
printf 'BOOT_ORDER=0xf21\nPXE_OPTION43="Raspberry Pi Boot"\nDHCP_TIMEOUT=45000\nTFTP_FILE_TIMEOUT=30000\nTFTP_IP=192.168.1.10\n' >"$E/quoted.conf"
cli_rc "eeprom-config accepts PXE_OPTION43 in quotes" 0 "0 errors" "$PNB" eeprom-config "$E/quoted.conf"
printf 'BOOT_ORDER=0xf21\nPXE_OPTION43=Raspberry Pi Boot\n' >"$E/unquoted.conf"
cli_rc "eeprom-config accepts PXE_OPTION43 unquoted" 0 "0 errors" "$PNB" eeprom-config "$E/unquoted.conf"
printf 'BOOT_ORDER=0xf21\nDHCP_TIMEOUT=1000\n' >"$E/min.conf"
cli_rc "eeprom-config: DHCP_TIMEOUT below 5000 ms: exit 1" 1 "DHCP_TIMEOUT=1000 is below the bootloader's minimum of 5000 ms" "$PNB" eeprom-config "$E/min.conf"
printf 'BOOT_ORDER=0xf21\nTFTP_FILE_TIMEOUT=2000\n' >"$E/tftp.conf"
cli_rc "eeprom-config: TFTP_FILE_TIMEOUT below 5000 ms: exit 1" 1 "TFTP_FILE_TIMEOUT=2000 is below" "$PNB" eeprom-config "$E/tftp.conf"
printf 'BOOT_ORDER=0xf21\nTFTP_IP=10.0.0\n' >"$E/ip.conf"
cli_rc "eeprom-config: a bad TFTP_IP: exit 1" 1 "TFTP_IP '10.0.0' is not an IPv4 address" "$PNB" eeprom-config "$E/ip.conf"
printf '[all]\nBOOT_ORDER=0xf21\n[pi5]\nBOOT_ORDER=0xf461\n' >"$E/pi5.conf"
cli_rc "eeprom-config --model 4: [pi5] does not apply" 0 "Pi 4: network boot enabled" "$PNB" eeprom-config "$E/pi5.conf" --model 4
cli_rc "eeprom-config --model 5: [pi5]'s BOOT_ORDER has no network: exit 1" 1 "Pi 5: error: BOOT_ORDER=0xf461 (line 4) has no 2" "$PNB" eeprom-config "$E/pi5.conf" --model 5
cli_rc "eeprom-config: both models checked by default" 1 "Pi 5: error" "$PNB" eeprom-config "$E/pi5.conf"
cli_rc "eeprom-config --model 3: usage error" 2 "usage" "$PNB" eeprom-config "$E/pi5.conf" --model 3

# ---- prepare-sd refusals (issue 13 item 8) ----
STUB=$PNB_TMP/stub
mkdir -p "$STUB/firmware"
printf 'DO NOT EDIT THIS FILE\n\nThe file you are looking for has moved to /boot/firmware/config.txt\n' >"$STUB/config.txt"
cli_rc "prepare-sd refuses Bookworm's /boot stub: exit 1" 1 "is Bookworm's /boot stub" "$PNB" prepare-sd "$STUB"
check "the stub is untouched" bash -c "! grep -q program_usb_boot_mode '$STUB/config.txt'"
rm "$STUB/config.txt"
cli_rc "prepare-sd refuses a /boot with only firmware/ in it: exit 1" 1 "run pinetboot prepare-sd $STUB/firmware" "$PNB" prepare-sd "$STUB"
EMPTY=$PNB_TMP/nocfg
mkdir -p "$EMPTY"
cli_rc "prepare-sd refuses a directory without config.txt: exit 1" 1 "has no config.txt" "$PNB" prepare-sd "$EMPTY"
check "prepare-sd --force creates config.txt there" bash -c "'$PNB' prepare-sd '$EMPTY' --force && grep -q '^program_usb_boot_mode=1' '$EMPTY/config.txt'"
