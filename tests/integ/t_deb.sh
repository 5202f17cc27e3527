#!/bin/bash
# t_deb.sh - pinetboot as a Debian citizen (issue 11): `make deb` in a fresh
# clone builds the package; lintian reports no error or warning; it installs
# with apt into a Debian bookworm chroot (the cached tree of
# tests/guest/debian-tree.sh, under an overlay so the cache stays clean):
# /usr/sbin/pinetboot, the unit, man pages, bash completion, docs, the
# example config, the _pinetboot user, the service neither enabled nor
# started; `systemd-analyze verify` accepts the unit inside that system;
# the man pages name every subcommand and every pinetboot.conf key that
# `--help` lists; the unit's `systemd-analyze security` exposure is printed.
# shellcheck source=tests/integ/lib.sh
source "$(dirname "$0")/lib.sh"
require_root
require_cmd git dpkg-buildpackage lintian systemd-analyze man
W=$(mk_tmpdir)

# ---- make deb in a fresh clone of what is committed
check "a fresh clone of the repository" git clone -q "$PNB_ROOT" "$W/clone"
if (cd "$W/clone" && make deb) >"$PNB_TMP/deb.log" 2>&1; then
	ok "make deb in the fresh clone"
else
	fail "make deb in the fresh clone" "$(tail -n 20 "$PNB_TMP/deb.log")"
fi
DEB=$(ls "$W"/clone/build/deb/pinetboot_*_*.deb 2>/dev/null | head -1)
check "it produced pinetboot_VERSION_ARCH.deb" test -s "$DEB"
lintian --info "$DEB" >"$PNB_TMP/lintian.log" 2>&1
diag "lintian: $(grep -cE '^[EWI]: ' "$PNB_TMP/lintian.log") tags"
sed -n 's/^\([EWI]: .*\)/# lintian \1/p' "$PNB_TMP/lintian.log"
check "lintian: no errors" bash -c "! grep -q '^E: ' '$PNB_TMP/lintian.log'"
check "lintian: no warnings" bash -c "! grep -q '^W: ' '$PNB_TMP/lintian.log'"

# ---- the man pages cover every subcommand and every key
# (what the package build made, in make deb's copy of the sources)
MAN8="$W/clone/build/deb/src/build/man/pinetboot.8"
MAN5="$W/clone/build/deb/src/build/man/pinetboot.conf.5"
BIN="$W/clone/build/deb/src/pinetboot"
CMDS=$("$BIN" --help | sed -n 's/^  \([a-z-]*\) .*/\1/p')
KEYS=$("$BIN" serve --help | sed -n 's/^  --\([a-z0-9-]*\) .*/\1/p')
check "the built binary lists its subcommands and keys ($(wc -w <<<"$CMDS") and $(wc -w <<<"$KEYS"))" \
	test "$(wc -w <<<"$CMDS")" -ge 10 -a "$(wc -w <<<"$KEYS")" -ge 20
missing=""
for c in $CMDS; do
	grep -q "^\.SS $(sed 's/-/\\\\-/g' <<<"$c")\$" "$MAN8" || missing="$missing $c"
done
check "pinetboot(8) has a section for every subcommand --help lists${missing:+ (missing:$missing)}" test -z "$missing"
missing=""
for k in $KEYS; do
	kk=$(sed 's/-/\\\\-/g' <<<"$k")
	grep -q "^\.B $kk\$" "$MAN5" || missing="$missing 5:$k"
	grep -q "^\.B $kk\$" "$MAN8" || missing="$missing 8:$k"
done
check "every key serve --help lists is in pinetboot.conf(5) and pinetboot(8)${missing:+ (missing:$missing)}" test -z "$missing"
check "man renders both pages without warnings" bash -c \
	"man --warnings -l '$MAN8' 2>&1 >/dev/null | grep . && exit 1; man --warnings -l '$MAN5' 2>&1 >/dev/null | grep . && exit 1; exit 0"

# ---- install into a Debian chroot
if TREE=$("$PNB_ROOT/tests/guest/debian-tree.sh" 2>"$PNB_TMP/tree.log") && [ -d "$TREE/etc" ]; then
	ok "Debian bookworm tree (tests/guest/debian-tree.sh)"
else
	fail "Debian bookworm tree (tests/guest/debian-tree.sh)" "$(tail -n 20 "$PNB_TMP/tree.log")"
	exit 1
fi
C="$W/chroot"
mkdir -p "$C" "$W/upper" "$W/work"
mount -t overlay overlay -o "lowerdir=$TREE,upperdir=$W/upper,workdir=$W/work" "$C"
on_cleanup "umount -R -l '$C' 2>/dev/null"
mount -t proc proc "$C/proc"
mount --bind /dev "$C/dev"
cp /etc/resolv.conf "$C/etc/resolv.conf" 2>/dev/null || true
cp "$DEB" "$C/tmp/pinetboot.deb"
if chroot "$C" sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q --no-install-recommends /tmp/pinetboot.deb' >"$PNB_TMP/apt.log" 2>&1; then
	ok "apt-get install ./pinetboot_*.deb in a Debian bookworm chroot (dependencies resolved)"
else
	fail "apt-get install ./pinetboot_*.deb in a Debian bookworm chroot" "$(tail -n 20 "$PNB_TMP/apt.log")"
fi
check "postinst says how to start it" grep -q "sudo systemctl enable --now pinetboot" "$PNB_TMP/apt.log"
for f in /usr/sbin/pinetboot /lib/systemd/system/pinetboot.service /usr/share/man/man8/pinetboot.8.gz \
	/usr/share/man/man5/pinetboot.conf.5.gz /usr/share/bash-completion/completions/pinetboot \
	/usr/share/doc/pinetboot/copyright /usr/share/doc/pinetboot/examples/pinetboot.conf.example; do
	check "installed: $f" test -e "$C$f"
done
check "the package runs there: pinetboot --version" bash -c "chroot '$C' pinetboot --version | grep -q '^pinetboot '"
check "postinst made the _pinetboot system user" bash -c "chroot '$C' getent passwd _pinetboot | grep -q ':/nonexistent:'"
check "the service is not enabled before a data dir exists" bash -c \
	"test \"\$(chroot '$C' systemctl is-enabled pinetboot.service 2>&1)\" = disabled"
check "systemd-analyze verify accepts the unit (in the installed system)" \
	chroot "$C" systemd-analyze verify --man=no /lib/systemd/system/pinetboot.service
sec=$(systemd-analyze security --offline=yes "$C/lib/systemd/system/pinetboot.service" 2>&1 | tail -n 1)
diag "systemd-analyze security: $sec"
check "systemd-analyze security rates the unit (exposure printed above)" grep -q "Overall exposure level" <<<"$sec"
umount -R -l "$C"
