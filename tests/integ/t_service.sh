#!/bin/bash
# t_service.sh - pinetboot as a Debian service, used the way an admin uses it
# (issue 11, "A real service test"), inside a real Debian 12 system
# (systemd as PID 1) booted in QEMU (TCG) from a host-side pinetboot:
#
#   tests/guest/debian-tree.sh (cached; holds the .deb's runtime dependencies)
#   -> host: pinetboot init / image import deb12 / add GUEST_MAC, then
#      pinetboot serve --dhcp full in the server namespace (as t_real_os.sh)
#   -> the guest boots, answers SSH (the admin key put in through the
#      server's merged view, strict host key checking)
#   -> in the guest, as a user: scp the .deb `make deb` built, apt-get install
#      it with no network (neither enabled nor active after install),
#      pinetboot init, a tiny image dir with a Pi 4 boot set, image import,
#      systemctl enable --now (active, READY with "serving 0 registered Pis"),
#      add 4444abcd --layout copy, systemctl reload ("reloaded: 1 registered
#      clients" in the journal), man pinetboot
#   -> on the host, in a namespace on the same bridge: pinetboot probe
#      --model 4 --serial 4444abcd: the host's full DHCP gives the address,
#      the guest's proxy DHCP the boot answer, TFTP from the guest's address,
#      every byte checked against a copy of the guest's boot files
#   -> the guest's journal: the boot answer line for 4444abcd, lines with
#      journald priorities (PRIORITY=6); the service still active.
#
#   DEB=FILE          the package to install (default build/deb/pinetboot_*.deb,
#                     rebuilt with `make deb` when missing or older than src/,
#                     debian/ or the Makefile)
#   QEMU_TIMEOUT=600  hard limit of the qemu
#   BOOT_WAIT=420     wait for SSH after power on
#   KEEP_TMP=1        keep the console, the server and probe logs ($PNB_TMP)
#   HOLD_S=N          before the power off, keep the guest up N s (<= 3600)
# Nothing missing is skipped: a missing tool is a "not ok".
set -u
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/guest/debian-guest.sh
. "$PNB_ROOT/tests/guest/debian-guest.sh"
QEMU_TIMEOUT=${QEMU_TIMEOUT:-600}
BOOT_WAIT=${BOOT_WAIT:-420}
GMAC=dc:a6:32:00:00:5e # the guest (a Pi 4 OUI), registered on the host
GID=dc-a6-32-00-00-5e
PSERIAL=4444abcd # the simulated Pi 4, registered in the guest only
PMAC=dc:a6:32:44:ab:cd
T_START=$(date +%s)

need "root and network namespaces" can_netns
need "the user $PNB_USER (privilege separation)" ensure_pinetboot_user
for c in qemu-system-x86_64 debootstrap ssh scp ssh-keygen curl nsenter python3 timeout tar capsh; do
	need "$c" command -v "$c"
done
BIN=$(pinetboot_bin)
need "a pinetboot binary with serve ($BIN)" pinetboot_ready "$BIN"

# ---------------------------------------------------------------- the .deb
deb_stale() {
	[ -z "$1" ] || [ -n "$(cd "$PNB_ROOT" && find src debian Makefile -newer "$1" -print -quit)" ]
}
if [ -z "${DEB:-}" ]; then
	DEB=$(ls "$PNB_ROOT"/build/deb/pinetboot_*_*.deb 2>/dev/null | head -n 1)
	if deb_stale "$DEB"; then
		t0=$(date +%s)
		if (cd "$PNB_ROOT" && make deb) >"$PNB_TMP/deb.log" 2>&1; then
			DEB=$(ls "$PNB_ROOT"/build/deb/pinetboot_*_*.deb 2>/dev/null | head -n 1)
			diag "make deb took $(($(date +%s) - t0)) s"
		else
			fail "make deb" "$(tail -n 20 "$PNB_TMP/deb.log")"
			exit 1
		fi
	fi
fi
if [ -s "$DEB" ]; then
	ok "the package: ${DEB#"$PNB_ROOT"/}"
else
	fail "the package: no build/deb/pinetboot_*.deb (DEB=${DEB:-})"
	exit 1
fi

# ---------------------------------------------------------------- the tree
t0=$(date +%s)
if TREE=$("$PNB_ROOT/tests/guest/debian-tree.sh" 2>"$PNB_TMP/tree.log") && [ -d "$TREE/etc" ]; then
	ok "Debian bookworm tree ready in $(($(date +%s) - t0)) s: ${TREE#"$PNB_ROOT"/}"
else
	fail "Debian bookworm tree: tests/guest/debian-tree.sh failed" "$(tail -n 20 "$PNB_TMP/tree.log")"
	exit 1
fi
# The guest has no network beyond the test LAN: apt finds nothing it lacks.
missing=""
for p in libinih1 libsodium23 libmicrohttpd12 libseccomp2 libcap2 mtools xz-utils adduser openssh-client; do
	grep -q "^Package: $p\$" "$TREE/var/lib/dpkg/status" || missing="$missing $p"
done
check "the tree holds the package's runtime dependencies${missing:+ (missing:$missing)}" test -z "$missing" || exit 1

# ---------------------------------------------------------------- network
# srv: the host-side pinetboot (full DHCP); lab: the admin's ssh; pi: the
# simulated Pi 4 (probe makes its own macvlan of pi's eth0).
netns_lan srv lab pi || {
	fail "network namespaces"
	exit 1
}
SW=$(ns sw)
S=$PNB_SUBNET
SRV_IP=$(ip_of srv)
if ! { ip -n "$SW" tuntap add dev tapg mode tap && ip -n "$SW" link set tapg master br0 &&
	ip -n "$SW" link set tapg up; }; then
	fail "tapg in the switch namespace"
	exit 1
fi

# ---------------------------------------------------------------- host server
DATA=$(mk_tmpdir)/data
check "host: pinetboot init" ns_exec srv "$BIN" init --data "$DATA" || exit 1
t0=$(date +%s)
check "host: pinetboot image import deb12 --from TREE" ns_exec srv "$BIN" image import deb12 --from "$TREE" --data "$DATA" || exit 1
diag "image import took $(($(date +%s) - t0)) s"
check "host: pinetboot add $GMAC --name svc --image deb12" ns_exec srv "$BIN" add "$GMAC" --name svc --image deb12 --data "$DATA" || exit 1
start_bg srv ns_exec srv "$BIN" serve --data "$DATA" --interface eth0 --dhcp full \
	--dhcp-range "10.$S.0.100,10.$S.0.150" --admin-networks "$SRV_IP/32"
SRVPID=$(bg_pid srv)
in_srv_mnt() { nsenter -t "$SRVPID" -m "$@"; }
if wait_for udp_listening srv 67 30 && wait_for udp_listening srv 2049 30 &&
	wait_for in_srv_mnt mountpoint -q "$DATA/clients/$GID/root" 30; then
	ok "host: serve --dhcp full on eth0 ($SRV_IP, pool .100-.150), the guest's root mounted"
else
	fail "host: serve did not start" "$(tail -n 20 "$PNB_TMP/srv.log")"
	exit 1
fi
KEY=$PNB_TMP/id_admin
KH=$PNB_TMP/known_hosts
ssh-keygen -q -t ed25519 -N "" -C admin@pnb-test -f "$KEY" || {
	fail "ssh-keygen"
	exit 1
}
check "host: admin key into the guest's root" in_srv_mnt sh -c \
	"install -d -m 700 '$DATA/clients/$GID/root/root/.ssh' &&
	 install -m 600 '$KEY.pub' '$DATA/clients/$GID/root/root/.ssh/authorized_keys'"
hk=$(in_srv_mnt cat "$DATA/clients/$GID/root/etc/ssh/ssh_host_ed25519_key.pub" 2>/dev/null | cut -d' ' -f1,2)
echo "svc $hk" >"$KH"
check "host: the guest's ed25519 host key (from add)" test -n "$hk"

# ---------------------------------------------------------------- the guest
BOOTF=$PNB_TMP/bootfiles
mkdir -p "$BOOTF"
for f in cmdline.txt kernel8.img initramfs8; do
	ns_exec srv timeout 60 curl -sf --tftp-blksize 8192 -o "$BOOTF/$f" "tftp://$SRV_IP/$GID/$f"
done
check "host: the guest's cmdline.txt, kernel8.img, initramfs8 over TFTP" \
	test -s "$BOOTF/cmdline.txt" -a -s "$BOOTF/kernel8.img" -a -s "$BOOTF/initramfs8" || exit 1
CONSOLE=$PNB_TMP/console.log
guest_boot guest "$BOOTF/kernel8.img" "$BOOTF/initramfs8" "$BOOTF/cmdline.txt" tapg "$GMAC" "$CONSOLE"
console_tail() { console_tail_of "$CONSOLE" "${1:-30}"; }

# The guest's address as the host's `pinetboot list` shows it (the server's
# own address until the guest's DHCP: curl fetched its files from there).
addr_of() { guest_addr_of "$BIN" "$DATA" "$1"; }
GA=""
SSH_OPTS=(-i "$KEY" -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KH"
	-o GlobalKnownHostsFile=/dev/null -o HostKeyAlias=svc -o HostKeyAlgorithms=ssh-ed25519
	-o ConnectTimeout=5 -o LogLevel=ERROR)
# g CMD...: run CMD in the guest as root over SSH (at most 120 s).
g() { ns_exec lab timeout 120 ssh -q "${SSH_OPTS[@]}" "root@$GA" "$@"; }
wait_ssh() {
	local end=$(($(date +%s) + BOOT_WAIT)) a
	while [ "$(date +%s)" -lt "$end" ]; do
		bg_alive qemu-guest || return 1
		a=$(addr_of "$GID")
		[ -n "$a" ] && [ "$a" != "$SRV_IP" ] && GA=$a
		[ -n "$GA" ] && g true 2>/dev/null && return 0
		sleep 3
	done
	return 1
}
# guest_failed WHAT [CMD]: a not ok with CMD's output in the guest (the
# service's status and journal by default), the console and server tails.
guest_failed() {
	local cmd=${2:-systemctl status --no-pager pinetboot; journalctl -b -u pinetboot --no-pager | tail -n 40}
	fail "$1" "in the guest: $cmd" "$(g "$cmd" 2>&1 | tail -n 50)" \
		"console tail:" "$(console_tail 15)" "host server log tail:" "$(tail -n 10 "$PNB_TMP/srv.log")"
}

tb=$(date +%s)
if wait_ssh; then
	ok "the guest booted and answers SSH at $GA with add's host key ($(($(date +%s) - tb)) s after power on)"
else
	fail "the guest: no SSH within $BOOT_WAIT s (address: ${GA:-none leased})" "console tail:" "$(console_tail 40)" \
		"host server log tail:" "$(tail -n 15 "$PNB_TMP/srv.log")"
	exit 1
fi
st=$(g timeout 150 systemctl is-system-running --wait 2>&1)
if [ "$st" = running ]; then
	ok "guest: systemctl is-system-running = running ($(($(date +%s) - tb)) s after power on)"
else
	guest_failed "guest: system state '$st'" "systemctl list-units --failed --plain --no-legend; journalctl -b -p err --no-pager"
fi

# ---------------------------------------------------------------- install
t0=$(date +%s)
check "scp the package into the guest" ns_exec lab timeout 120 scp -q "${SSH_OPTS[@]}" "$DEB" "root@$GA:/root/" || exit 1
GDEB=/root/$(basename "$DEB")
g "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $GDEB" >"$PNB_TMP/apt.log" 2>&1
rc=$?
if [ "$rc" = 0 ]; then
	ok "guest: apt-get install ./$(basename "$DEB") with no network ($(($(date +%s) - t0)) s)"
else
	fail "guest: apt-get install ./$(basename "$DEB") (exit $rc)" "$(tail -n 20 "$PNB_TMP/apt.log")"
	exit 1
fi
check "guest: the postinst says how to start it" grep -q "systemctl enable --now pinetboot" "$PNB_TMP/apt.log"
check "guest: pinetboot --version runs (the package's binary, its libraries resolved)" g /usr/sbin/pinetboot --version
en=$(g systemctl is-enabled pinetboot 2>&1)
act=$(g systemctl is-active pinetboot 2>&1)
check "guest: installed neither enabled nor active ($en, $act)" test "$en" = disabled -a "$act" = inactive
if g "command -v man" >/dev/null 2>&1; then
	check "guest: man pinetboot renders (serve, add, probe)" \
		g "MANPAGER=cat MANWIDTH=80 man pinetboot 2>&1 | grep -q 'serve' && MANPAGER=cat man pinetboot | grep -q 'probe' && MANPAGER=cat man 5 pinetboot.conf | grep -q 'dhcp-range'"
else
	fail "guest: man is not installed (tests/guest/debian-tree.sh lists man-db)"
fi

# ---------------------------------------------------------------- init, image
check "guest: pinetboot init" g pinetboot init || exit 1
# A tiny root with the Pi 4 boot set in /boot/firmware, as image import
# --from DIR expects (small random files stand in for the firmware).
check "guest: a tiny image dir with a Pi 4 boot set" g 'set -e
	d=/root/tiny; rm -rf $d; mkdir -p $d/boot/firmware $d/etc
	cd $d/boot/firmware
	for f in start4.elf:65536 fixup4.dat:5456 kernel8.img:262144 bcm2711-rpi-4-b.dtb:52593; do
		head -c ${f#*:} /dev/urandom >${f%%:*}
	done
	printf "[all]\narm_64bit=1\nkernel=kernel8.img\nenable_uart=1\n" >config.txt
	echo "console=serial0,115200 root=PARTUUID=0badc0de-02 rootfstype=ext4 rootwait" >cmdline.txt
	echo tiny >$d/etc/hostname'
check "guest: pinetboot image import tiny --from /root/tiny" g pinetboot image import tiny --from /root/tiny || exit 1

# ---------------------------------------------------------------- the service
# First a start that must fail: an unknown key in pinetboot.conf. systemctl
# start returns an error (no READY), the unit is not active, and the
# journal names the file and line. Then the admin stops the restarts
# (Restart=on-failure retries a bad config every RestartSec) and fixes it.
g "cp /srv/pinetboot/pinetboot.conf /root/pinetboot.conf.good && echo 'no-such-key = 1' >>/srv/pinetboot/pinetboot.conf"
t0=$(date +%s)
g timeout 60 systemctl start pinetboot >/dev/null 2>&1
rc=$?
act=$(g systemctl is-active pinetboot 2>&1)
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$act" != active ]; then
	ok "guest: with a bad pinetboot.conf, systemctl start fails (exit $rc, is-active '$act', $(($(date +%s) - t0)) s)"
else
	guest_failed "guest: with a bad pinetboot.conf: systemctl start exit $rc, is-active '$act'"
fi
check "guest: the journal names the bad line (pinetboot.conf:N, no-such-key)" \
	g "journalctl -b -u pinetboot --no-pager -o cat | grep -E 'pinetboot.conf:[0-9]+' | grep -q no-such-key"
sleep 5
diag "bad config, 5 s later: is-active '$(g systemctl is-active pinetboot 2>&1)'," \
	"$(g systemctl show -p NRestarts pinetboot 2>&1) (Restart=on-failure, RestartSec=2s);" \
	"'unknown key' lines under journalctl -p err: $(g "journalctl -b -u pinetboot -p err -o cat --no-pager | grep -c no-such-key" 2>&1)" \
	"of $(g "journalctl -b -u pinetboot -o cat --no-pager | grep -c no-such-key" 2>&1)"
check "guest: systemctl stop ends the restarts; config restored" \
	g "systemctl stop pinetboot; systemctl reset-failed pinetboot 2>/dev/null;
	   cp /root/pinetboot.conf.good /srv/pinetboot/pinetboot.conf && ! systemctl is-active -q pinetboot"

t0=$(date +%s)
g systemctl enable --now pinetboot >"$PNB_TMP/enable.log" 2>&1
rc=$?
act=$(g systemctl is-active pinetboot 2>&1)
if [ "$rc" = 0 ] && [ "$act" = active ]; then
	ok "guest: systemctl enable --now pinetboot: active ($(($(date +%s) - t0)) s)"
else
	guest_failed "guest: systemctl enable --now pinetboot (exit $rc, is-active '$act')"
	exit 1
fi
stxt=$(g systemctl show -p StatusText --value pinetboot 2>&1)
check "guest: READY reached, StatusText '$stxt'" test "$stxt" = "serving 0 registered Pis"
check "guest: enabled for multi-user.target" test "$(g systemctl is-enabled pinetboot 2>&1)" = enabled
# Privilege separation under systemd: the main process is the root parent;
# its one child serves as _pinetboot with the README's capability set.
MAIN0=$(g systemctl show -p MainPID --value pinetboot 2>/dev/null)
CHILD=$(g cat "/proc/$MAIN0/task/$MAIN0/children" 2>/dev/null | awk '{print $1}')
cuid=$(g awk "'/^Uid:/ {print \$2, \$3, \$4}'" "/proc/$CHILD/status" 2>/dev/null)
puid=$(g id -u _pinetboot 2>/dev/null)
check "guest: the serving process ($CHILD, child of $MAIN0) runs as _pinetboot (uid $puid): $cuid" \
	test -n "$CHILD" -a -n "$puid" -a "$cuid" = "$puid $puid $puid"
ceff=$(g awk "'/^CapEff:/ {print \$2}'" "/proc/$CHILD/status" 2>/dev/null)
cset=$(capsh --decode="$ceff" 2>/dev/null | sed 's/.*=//')
want=$(sed -n '/^### Privileges/,/^## /p' "$PNB_ROOT/README.md" | grep -o '^- `cap_[a-z_]*`' | tr -d '` -' | sort | paste -sd, -)
diag "guest: the serving process's capabilities: CapEff $ceff = $cset"
check "guest: its effective capabilities are the documented set" \
	test "$(echo "$cset" | tr ',' '\n' | sort | paste -sd, -)" = "$want"
check "guest: its seccomp filter is on (Seccomp: 2)" \
	test "$(g awk "'/^Seccomp:/ {print \$2}'" "/proc/$CHILD/status" 2>/dev/null)" = 2
MAINPID=$(g systemctl show -p MainPID --value pinetboot 2>/dev/null)

check "guest: pinetboot add $PSERIAL --image tiny --layout copy" g pinetboot add "$PSERIAL" --image tiny --layout copy || exit 1
check "guest: systemctl reload pinetboot" g systemctl reload pinetboot
# journal_has PATTERN TIMEOUT_S: grep -E in this boot's pinetboot journal.
journal_has() {
	local end=$(($(date +%s) + $2))
	while [ "$(date +%s)" -le "$end" ]; do
		g "journalctl -b -u pinetboot --no-pager -o cat | grep -Eq '$1'" 2>/dev/null && return 0
		sleep 1
	done
	return 1
}
if journal_has 'reloaded: 1 registered clients' 30; then
	ok "guest: the journal shows 'reloaded: 1 registered clients'"
else
	guest_failed "guest: no 'reloaded: 1 registered clients' in the journal within 30 s"
fi
check "guest: the same process after the reload (pid $MAINPID), still active" \
	test "$(g systemctl show -p MainPID --value pinetboot 2>&1)" = "$MAINPID" -a "$(g systemctl is-active pinetboot 2>&1)" = active
stxt=$(g systemctl show -p StatusText --value pinetboot 2>&1)
if [ "$stxt" = "serving 1 registered Pis" ]; then
	ok "guest: StatusText after the reload: '$stxt'"
else
	fail "guest: StatusText after the reload is '$stxt', not 'serving 1 registered Pis'" \
		"(does serve's reload send STATUS= with its READY=1?)"
fi

# ---------------------------------------------------------------- probe
# What the guest should serve under 4444abcd/: the Pi's boot dir (copy
# layout: a real directory), ${server} etc. expanded in *.txt as TFTP does.
VER=$PNB_TMP/verify
mkdir -p "$VER/$PSERIAL"
g "tar -C /srv/pinetboot/clients/$PSERIAL/boot -cf - ." 2>"$PNB_TMP/tar.err" | tar -C "$VER/$PSERIAL" -xf -
check "a copy of the guest's boot files for $PSERIAL ($(ls "$VER/$PSERIAL" 2>/dev/null | tr '\n' ' '))" \
	test -s "$VER/$PSERIAL/start4.elf" -a -s "$VER/$PSERIAL/cmdline.txt"
for f in "$VER/$PSERIAL"/*.txt; do
	sed -i -e "s/\${server}/$GA/g" -e "s/\${id}/$PSERIAL/g" -e "s/\${serial}/$PSERIAL/g" \
		-e "s/\${mac}/$PMAC/g" -e "s/\${name}/$PSERIAL/g" "$f"
done
diag "the guest's cmdline.txt for $PSERIAL: $(cat "$VER/$PSERIAL/cmdline.txt")"
ns_exec pi timeout 120 "$BIN" probe --model 4 --serial "$PSERIAL" --mac "$PMAC" --interface eth0 \
	--verify-dir "$VER" >"$PNB_TMP/probe.log" 2>&1
rc=$?
pass=$(grep -E '^PASS' "$PNB_TMP/probe.log")
if [ "$rc" = 0 ] && [ -n "$pass" ]; then
	ok "probe (host side) of Pi 4 $PSERIAL: $pass"
else
	fail "probe of Pi 4 $PSERIAL (exit $rc)" "$(tail -n 30 "$PNB_TMP/probe.log")" \
		"guest journal:" "$(g journalctl -b -u pinetboot --no-pager -n 15 2>&1)"
fi
G_RE=${GA//./\\.}
check "probe: the boot answer came from the guest, with TFTP at the guest ($GA)" \
	grep -qE "dhcp boot offer from $G_RE \\(menu 'Raspberry Pi Boot'\\).*, tftp $G_RE\$" "$PNB_TMP/probe.log"
check "probe: the host's offer had no boot menu, only the address (host: $SRV_IP)" \
	grep -qE "dhcp offer from ${SRV_IP//./\\.} without the Raspberry Pi menu" "$PNB_TMP/probe.log"
check "probe: TFTP from the address the host's full DHCP gave (pool 10.$S.0.100-150)" \
	grep -qE "^PASS .* from 10\\.$S\\.0\\.1[0-5][0-9]\$" "$PNB_TMP/probe.log"
check "host: the unregistered Pi got an address but no boot answer from the host" \
	sh -c "grep -q 'new unregistered Pi $PSERIAL .*not answered' '$PNB_TMP/srv.log' &&
	       grep -q '$PMAC $PSERIAL: ACK 10\\.$S\\.0\\.1[0-5][0-9] on eth0' '$PNB_TMP/srv.log'"
# The byte comparison can fail: one flipped byte in the reference copy of
# kernel8.img must make probe say FAIL.
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0xff; open(p,"wb").write(b)' \
	"$VER/$PSERIAL/kernel8.img"
ns_exec pi timeout 120 "$BIN" probe --model 4 --serial "$PSERIAL" --mac "$PMAC" --interface eth0 \
	--verify-dir "$VER" >"$PNB_TMP/probe-bad.log" 2>&1
rc=$?
if [ "$rc" != 0 ] && grep -q '^FAIL' "$PNB_TMP/probe-bad.log" && ! grep -q '^PASS' "$PNB_TMP/probe-bad.log"; then
	ok "probe against a reference with one byte changed in kernel8.img: FAIL (exit $rc)"
else
	fail "probe against a wrong reference did not fail (exit $rc)" "$(tail -n 5 "$PNB_TMP/probe-bad.log")"
fi

# ---------------------------------------------------------------- journal
if journal_has "$PSERIAL.*boot answer, TFTP $GA" 10; then
	ok "guest: journalctl -u pinetboot shows the boot answer for $PSERIAL (TFTP $GA)"
	diag "$(g "journalctl -b -u pinetboot --no-pager -o cat | grep -E '$PSERIAL.*boot answer' | head -n 1" 2>&1)"
else
	guest_failed "guest: no boot answer line for $PSERIAL in journalctl -u pinetboot"
fi
check "guest: its lines carry journald priorities (journalctl -p info -o verbose: PRIORITY=6)" \
	g "journalctl -b -u pinetboot -p info -o verbose --no-pager | grep -q '^ *PRIORITY=6\$'"
check "guest: no '<6>' prefix left in the messages (journald parsed them)" \
	g "! journalctl -b -u pinetboot -o cat --no-pager | grep -q '^<[0-7]>'"
check "guest: the service is still active after the probe" test "$(g systemctl is-active pinetboot 2>&1)" = active
errs=$(g journalctl -b -u pinetboot "_PID=$MAINPID" -p err --no-pager -o cat 2>&1 | grep -v '^-- No entries --$')
if [ -z "$errs" ]; then ok "guest: the service (pid $MAINPID) logged no errors"; else fail "guest: the service (pid $MAINPID) logged errors" "$errs"; fi

# ---------------------------------------------------------------- power off
if [ "${HOLD_S:-0}" -gt 0 ]; then
	diag "holding $HOLD_S s: ip netns exec $(ns lab) ssh -i $KEY -o UserKnownHostsFile=$KH -o HostKeyAlias=svc root@$GA"
	sleep "$((HOLD_S > 3600 ? 3600 : HOLD_S))"
fi
g systemctl poweroff >/dev/null 2>&1
pid=${PNB_PIDS[qemu-guest]:-}
for ((i = 0; i < 1200; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	fail "the guest did not power off within 120 s" "$(console_tail 15)"
else
	wait "$pid" 2>/dev/null
	unset "PNB_PIDS[qemu-guest]"
	ok "the guest powered off (the service stopped with it)"
fi
if bg_alive srv; then ok "host: serve still running"; else fail "host: serve died" "$(tail -n 30 "$PNB_TMP/srv.log")"; fi
errs=$(grep -E '^error ' "$PNB_TMP/srv.log" | head -n 10)
if [ -z "$errs" ]; then ok "host: server logged no errors"; else fail "host: server logged errors" "$errs"; fi
diag "t_service.sh took $(($(date +%s) - T_START)) s"
