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
