#!/bin/bash
# t_real_os.sh - a real Debian 12 system (systemd, sshd, nfs-common, the
# initramfs-tools NFS boot), laid out like Raspberry Pi OS, provisioned with
# the CLI only and booted from `pinetboot serve` alone, in QEMU (TCG):
#
#   tests/guest/debian-tree.sh (debootstrap, cached in build/realos)
#   -> pinetboot init / image import deb12 --from TREE / add MAC --name pi-a
#      (and pi-b), run on the server as an admin would
#   -> pinetboot serve --dhcp full (the only DHCP server on the bridge)
#   -> the admin puts an SSH key into each Pi's root through the server's
#      merged view of it
#   -> both Pis boot in parallel: kernel8.img + initramfs8 and the cmdline.txt
#      pinetboot serves over TFTP (${server} expanded), console=ttyS0
#   -> checks over SSH (strict host key checking against the keys `add`
#      generated): multi-user with no failed unit, host name, /boot/firmware
#      over NFS, pi-b does not see pi-a's file, pi-a reboots and keeps it
#   -> the serving process (privilege separation's unprivileged child) is
#      SIGKILLed: the root parent starts a new one and pi-a, in the same
#      boot, reads and writes its NFS root on (the kernel's hard mount)
#   -> pi-a's upper layer after one boot holds only changed files (no file
#      byte-identical to the image's copy); its size is printed.
#
#   QEMU_TIMEOUT=900   hard limit of each qemu (both boots of pi-a)
#   BOOT_WAIT=420      wait for SSH after a (re)boot
#   KEEP_TMP=1         keep consoles and server log ($PNB_TMP)
#   SERVE_ARGS=...     more flags for serve (e.g. "--log-level debug")
#   HOLD_S=N           before the power off, keep both Pis up N s (at most
#                      3600) for a look around; the ssh command is printed
# Nothing missing is skipped: a missing tool is a "not ok".
set -u
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/guest/debian-guest.sh
. "$PNB_ROOT/tests/guest/debian-guest.sh"
QEMU_TIMEOUT=${QEMU_TIMEOUT:-900}
BOOT_WAIT=${BOOT_WAIT:-420}
# Raspberry Pi Trading OUI (dc:a6:32, Pi 4), registered by MAC.
MAC_A=dc:a6:32:00:00:0a
MAC_B=dc:a6:32:00:00:0b
ID_A=dc-a6-32-00-00-0a
ID_B=dc-a6-32-00-00-0b
T_START=$(date +%s)

need "root and network namespaces" can_netns
need "the user $PNB_USER (privilege separation)" ensure_pinetboot_user
for c in qemu-system-x86_64 debootstrap ssh ssh-keygen curl nsenter cmp python3 timeout; do
	need "$c" command -v "$c"
done
BIN=$(pinetboot_bin)
need "a pinetboot binary with serve ($BIN)" pinetboot_ready "$BIN"

# ---------------------------------------------------------------- the tree
t0=$(date +%s)
if TREE=$("$PNB_ROOT/tests/guest/debian-tree.sh" 2>"$PNB_TMP/tree.log") && [ -d "$TREE/etc" ]; then
	info=$(tr '\n' ' ' <"$TREE/../build-info")
	ok "Debian bookworm tree ready in $(($(date +%s) - t0)) s: ${TREE#"$PNB_ROOT"/} ($info)"
else
	fail "Debian bookworm tree: tests/guest/debian-tree.sh failed" "$(tail -n 20 "$PNB_TMP/tree.log")"
	exit 1
fi

# ---------------------------------------------------------------- network
netns_lan srv lab || {
	fail "network namespaces"
	exit 1
}
SW=$(ns sw)
S=$PNB_SUBNET
SRV_IP=$(ip_of srv)
for t in tapa tapb; do
	if ! { ip -n "$SW" tuntap add dev $t mode tap && ip -n "$SW" link set $t master br0 &&
		ip -n "$SW" link set $t up; }; then
		fail "$t in the switch namespace"
		exit 1
	fi
done

# ---------------------------------------------------------------- provisioning
# As an admin does it on the server: every command runs in the server's
# namespace, so `add` finds the server's address itself (no --server).
DATA=$(mk_tmpdir)/data
check "pinetboot init --data DATA" ns_exec srv "$BIN" init --data "$DATA" || exit 1
t0=$(date +%s)
check "pinetboot image import deb12 --from TREE" ns_exec srv "$BIN" image import deb12 --from "$TREE" --data "$DATA" || exit 1
diag "image import took $(($(date +%s) - t0)) s"
check "pinetboot add $MAC_A --name pi-a --image deb12" ns_exec srv "$BIN" add "$MAC_A" --name pi-a --image deb12 --data "$DATA" || exit 1
check "pinetboot add $MAC_B --name pi-b --image deb12" ns_exec srv "$BIN" add "$MAC_B" --name pi-b --image deb12 --data "$DATA" || exit 1

read -r -a serve_extra <<<"${SERVE_ARGS:-}"
start_bg srv ns_exec srv "$BIN" serve --data "$DATA" --interface eth0 --dhcp full \
	--dhcp-range "10.$S.0.100,10.$S.0.150" --admin-networks "$SRV_IP/32" "${serve_extra[@]}"
SRVPID=$(bg_pid srv)
# serve mounts the overlays in its own mount namespace (ip netns exec makes
# one): the admin's view of the Pis' roots is that namespace.
in_srv_mnt() { nsenter -t "$SRVPID" -m "$@"; }
if wait_for udp_listening srv 67 30 && wait_for udp_listening srv 2049 30 &&
	wait_for in_srv_mnt mountpoint -q "$DATA/clients/$ID_B/root" 30; then
	ok "serve: full DHCP on eth0 ($SRV_IP, pool .100-.150), TFTP, NFS; both roots mounted"
else
	fail "serve did not start" "$(tail -n 20 "$PNB_TMP/srv.log")"
	exit 1
fi

# The admin's SSH key, installed into each Pi's root through the server's
# merged view (as `sudo install ... /srv/pinetboot/clients/<id>/root/root/.ssh`).
KEY=$PNB_TMP/id_admin
ssh-keygen -q -t ed25519 -N "" -C admin@pnb-test -f "$KEY" || {
	fail "ssh-keygen"
	exit 1
}
for id in "$ID_A" "$ID_B"; do
	check "admin key into $id's root via the server" in_srv_mnt sh -c \
		"install -d -m 700 '$DATA/clients/$id/root/root/.ssh' &&
		 install -m 600 '$KEY.pub' '$DATA/clients/$id/root/root/.ssh/authorized_keys'"
done
# known_hosts from the host keys `add` generated, read from the server.
KH=$PNB_TMP/known_hosts
: >"$KH"
for p in "pi-a $ID_A" "pi-b $ID_B"; do
	read -r nm id <<<"$p"
	k=$(in_srv_mnt cat "$DATA/clients/$id/root/etc/ssh/ssh_host_ed25519_key.pub" 2>/dev/null | cut -d' ' -f1,2)
	[ -n "$k" ] && echo "$nm $k" >>"$KH"
done
check "add generated an ed25519 host key per Pi, and they differ" \
	sh -c "[ \$(wc -l <'$KH') = 2 ] && [ \$(cut -d' ' -f3 '$KH' | sort -u | wc -l) = 2 ]"

# ---------------------------------------------------------------- boot files
# What the Pi's firmware would get over TFTP: the Pi's own cmdline.txt
# (${server} expanded by the TFTP server), kernel8.img and initramfs8.
BOOTF=$PNB_TMP/bootfiles
mkdir -p "$BOOTF"
for id in "$ID_A" "$ID_B"; do
	mkdir -p "$BOOTF/$id"
	for f in cmdline.txt kernel8.img initramfs8; do
		ns_exec srv timeout 60 curl -sf --tftp-blksize 8192 -o "$BOOTF/$id/$f" "tftp://$SRV_IP/$id/$f"
	done
done
CMD_A=$(cat "$BOOTF/$ID_A/cmdline.txt" 2>/dev/null)
case $CMD_A in
*"root=/dev/nfs nfsroot=$SRV_IP:/clients/$ID_A,vers=3,tcp"*"ip=dhcp"*) ok "pi-a's cmdline.txt over TFTP: $CMD_A" ;;
*) fail "pi-a's cmdline.txt over TFTP" "got: $CMD_A" ;;
esac
check "kernel8.img and initramfs8 over TFTP are the image's" \
	sh -c "cmp '$BOOTF/$ID_A/kernel8.img' '$TREE/boot/firmware/kernel8.img' &&
	       cmp '$BOOTF/$ID_B/initramfs8' '$TREE/boot/firmware/initramfs8'"

# ---------------------------------------------------------------- guests
# start_pi NAME ID MAC TAP: qemu in the switch namespace, console in
# $PNB_TMP/console.NAME.log. Reboots stay in the same qemu (a reset loads
# the same kernel, initrd and command line, as a Pi's firmware would).
start_pi() {
	local name=$1 id=$2 mac=$3 tap=$4
	guest_boot "$name" "$BOOTF/$id/kernel8.img" "$BOOTF/$id/initramfs8" "$BOOTF/$id/cmdline.txt" \
		"$tap" "$mac" "$PNB_TMP/console.$name.log"
}
console_tail() { console_tail_of "$PNB_TMP/console.$1.log" "${2:-30}"; }

# addr_of ID: the Pi's last address as `pinetboot list` shows it. Until the
# Pi's DHCP that is the server's own (it fetched the Pi's boot files above),
# so the caller ignores SRV_IP.
addr_of() { guest_addr_of "$BIN" "$DATA" "$1"; }
declare -A ADDR=()
# pi_at ALIAS ADDR CMD...: run CMD over SSH on ADDR, strict host key
# checking against the key add generated for ALIAS (known_hosts names Pis).
pi_at() {
	local alias=$1 addr=$2
	shift 2
	ns_exec lab timeout 60 ssh -q -i "$KEY" -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$KH" -o GlobalKnownHostsFile=/dev/null -o HostKeyAlias="$alias" \
		-o HostKeyAlgorithms=ssh-ed25519 -o ConnectTimeout=5 -o LogLevel=ERROR \
		"root@$addr" "$@"
}
# pi NAME CMD...: run CMD on the Pi NAME.
pi() {
	local name=$1
	shift
	pi_at "$name" "${ADDR[$name]}" "$@"
}
# wait_gone NAME TIMEOUT_S: the background process NAME exited (reaped).
wait_gone() {
	local i pid=${PNB_PIDS[$1]:-}
	[ -n "$pid" ] || return 0
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && return 1
	wait "$pid" 2>/dev/null
	unset "PNB_PIDS[$1]"
}
# wait_ssh NAME ID [OLD_BOOT_ID]: until the Pi answers over SSH (with a
# boot id other than OLD_BOOT_ID), at most BOOT_WAIT s; 1 when qemu is gone.
wait_ssh() {
	local name=$1 id=$2 old=${3:-} end=$(($(date +%s) + BOOT_WAIT)) b a
	while [ "$(date +%s)" -lt "$end" ]; do
		bg_alive "qemu-$name" || return 1
		a=$(addr_of "$id")
		[ -n "$a" ] && [ "$a" != "$SRV_IP" ] && ADDR[$name]=$a
		if [ -n "${ADDR[$name]:-}" ]; then
			b=$(pi "$name" cat /proc/sys/kernel/random/boot_id 2>/dev/null)
			[ -n "$b" ] && [ "$b" != "$old" ] && return 0
		fi
		sleep 3
	done
	return 1
}
# boot_failed NAME WHAT: a not ok with the console and server log tails.
boot_failed() {
	fail "$1: $2" "console tail:" "$(console_tail "$1" 40)" "server log tail:" "$(tail -n 15 "$PNB_TMP/srv.log")"
}

start_pi pi-a "$ID_A" "$MAC_A" tapa
start_pi pi-b "$ID_B" "$MAC_B" tapb
tb=$(date +%s)
if wait_ssh pi-a "$ID_A"; then
	ok "pi-a booted and answers SSH at ${ADDR[pi-a]} with add's host key ($(($(date +%s) - tb)) s after power on)"
else
	boot_failed pi-a "no SSH within $BOOT_WAIT s (address: ${ADDR[pi-a]:-none leased})"
	exit 1
fi

# check_system NAME: multi-user reached, no failed unit, host name.
check_system() {
	local name=$1 st failed
	st=$(pi "$name" timeout 120 systemctl is-system-running --wait 2>&1)
	failed=$(pi "$name" systemctl list-units --failed --plain --no-legend 2>&1)
	if [ "$st" = running ] && [ -z "$failed" ]; then
		ok "$name: systemctl is-system-running = running, no failed units"
	else
		fail "$name: system state '$st'" "failed units:" "$failed" \
			"$(pi "$name" 'systemctl status --no-pager --failed --all; journalctl -b -p err --no-pager' 2>&1 | tail -n 40)"
	fi
	check "$name: multi-user.target active" pi "$name" systemctl is-active multi-user.target
	check "$name: host name is $name" test "$(pi "$name" hostname 2>&1)" = "$name"
}
check_system pi-a
mnt=$(pi pi-a findmnt -n -o SOURCE,FSTYPE /boot/firmware 2>&1)
# The server's address comes from nfsroot= on the Pi's own command line
# (add's systemd generator), never from a file written at add time.
check "pi-a: /boot/firmware is $SRV_IP:/boot/$ID_A over NFS, from the generator ($mnt)" \
	test "$mnt" = "$SRV_IP:/boot/$ID_A nfs"
check "pi-a: no server address baked into its files (/etc/hosts, /etc/fstab)" \
	pi pi-a "! grep -q '$SRV_IP' /etc/hosts /etc/fstab"
check "pi-a: the mount unit came from pinetboot's generator" \
	pi pi-a "systemctl show -p FragmentPath boot-firmware.mount | grep -q '^FragmentPath=/run/systemd/generator'"
rmnt=$(pi pi-a findmnt -n -o SOURCE,FSTYPE / 2>&1)
check "pi-a: / is $SRV_IP:/clients/$ID_A over NFS ($rmnt)" \
	sh -c "echo '$rmnt' | grep -Eq '^$SRV_IP:/clients/$ID_A +nfs\$'"
# Over NFS the file is as stored (with ${server}); TFTP expands it.
nfs_cmd=$(pi pi-a cat /boot/firmware/cmdline.txt 2>&1 | tr -d '\n')
check "pi-a: /boot/firmware/cmdline.txt is the file TFTP serves" \
	test "${nfs_cmd//\$\{server\}/$SRV_IP}" = "$(tr -d '\n' <"$BOOTF/$ID_A/cmdline.txt")"
BOOT1=$(pi pi-a cat /proc/sys/kernel/random/boot_id)
check "pi-a: writes /root/persist-test" pi pi-a "echo 'written by pi-a in boot $BOOT1' >/root/persist-test && sync"

# ---------------------------------------------------------------- crash
# The serving process dies (privilege separation: the root parent starts a
# new one); the Pi's kernel keeps its hard NFS mount and carries on.
SRVPID=$(bg_pid srv)
CHILD=$(pgrep -P "$SRVPID" -x pinetboot | head -n1)
if [ -n "$CHILD" ] && kill -KILL "$CHILD"; then
	restarted() { local n; n=$(pgrep -P "$SRVPID" -x pinetboot | head -n1); [ -n "$n" ] && [ "$n" != "$CHILD" ]; }
	check "SIGKILL to the serving process ($CHILD): the root process ($SRVPID) starts a new one" wait_for restarted 30
	check "pi-a: its NFS root works on across the restart (reads, writes)" \
		pi pi-a "cat /etc/hostname >/dev/null && echo after-restart >/root/after-restart && sync && grep -q after-restart /root/after-restart"
	check "pi-a: still the same boot" test "$(pi pi-a cat /proc/sys/kernel/random/boot_id 2>&1)" = "$BOOT1"
else
	fail "the server runs a serving child process (privilege separation)" "parent $SRVPID, child '$CHILD'"
fi

# ---------------------------------------------------------------- upper layer
# After one boot, pi-a's upper layer must hold only what changed: what add
# wrote (host name, keys, fstab, ...), the admin's key, what the running
# system wrote. A file byte-identical to the image's copy was copied up by
# a read (an open for writing where reading was asked).
UP=$DATA/clients/$ID_A/upper/root
LOW=$DATA/images/deb12/root
python3 - "$UP" "$LOW" >"$PNB_TMP/upper.txt" <<'PY'
import filecmp, os, sys
up, low = sys.argv[1], sys.argv[2]
files = size = same = same_size = 0
ident = []
for d, dirs, names in os.walk(up):
    for n in names:
        p = os.path.join(d, n)
        rel = os.path.relpath(p, up)
        st = os.lstat(p)
        if not os.path.isfile(p) or os.path.islink(p):
            continue
        files += 1; size += st.st_size
        q = os.path.join(low, rel)
        if os.path.isfile(q) and not os.path.islink(q) and filecmp.cmp(p, q, shallow=False):
            same += 1; same_size += st.st_size; ident.append(rel)
print("files %d bytes %d identical %d identical_bytes %d" % (files, size, same, same_size))
for r in sorted(ident):
    print("same /" + r)
PY
read -r _ up_files _ up_bytes _ up_same _ up_same_bytes <"$PNB_TMP/upper.txt"
diag "pi-a upper layer after one boot: $up_files regular files, $up_bytes bytes;" \
	"$up_same files ($up_same_bytes bytes) byte-identical to the image"
diag "changed files: $(find "$UP" -type f -printf '/%P\n' | sort | grep -vxFf <(sed -n 's/^same //p' "$PNB_TMP/upper.txt") | tr '\n' ' ')"
if [ "${up_files:-0}" -gt 0 ] && [ "${up_same:-1}" = 0 ]; then
	ok "pi-a's upper layer holds only changed files ($up_files files, $up_bytes bytes)"
else
	fail "pi-a's upper layer holds $up_same files ($up_same_bytes bytes) byte-identical to the image (copied up by reads)" \
		"$(sed -n 's/^same //p' "$PNB_TMP/upper.txt" | head -n 25)" "..."
fi

# ---------------------------------------------------------------- pi-b
if wait_ssh pi-b "$ID_B"; then
	ok "pi-b booted and answers SSH at ${ADDR[pi-b]} with add's host key"
	check_system pi-b
	check "pi-b does not see pi-a's /root/persist-test" pi pi-b 'test ! -e /root/persist-test'
	# Strict host key checking is on: pi-b does not pass as pi-a.
	if pi_at pi-a "${ADDR[pi-b]}" true 2>/dev/null; then
		fail "strict host key checking: pi-b's host key was accepted as pi-a's"
	else
		ok "strict host key checking: pi-b's host key is refused as pi-a's"
	fi
else
	boot_failed pi-b "no SSH within $BOOT_WAIT s (address: ${ADDR[pi-b]:-none leased})"
fi

# ---------------------------------------------------------------- reboot
pi pi-a systemctl reboot >/dev/null 2>&1
tb=$(date +%s)
if wait_ssh pi-a "$ID_A" "$BOOT1"; then
	ok "pi-a rebooted and answers SSH again ($(($(date +%s) - tb)) s)"
	check "pi-a: /root/persist-test survived the reboot" \
		test "$(pi pi-a cat /root/persist-test 2>&1)" = "written by pi-a in boot $BOOT1"
	check_system pi-a
else
	boot_failed pi-a "no SSH within $BOOT_WAIT s after the reboot"
fi

# ---------------------------------------------------------------- power off
if [ "${HOLD_S:-0}" -gt 0 ]; then
	diag "holding $HOLD_S s: ip netns exec $(ns lab) ssh -i $KEY -o UserKnownHostsFile=$KH" \
		"-o HostKeyAlias=pi-a root@${ADDR[pi-a]:-?}  (pi-b: ${ADDR[pi-b]:-?})"
	sleep "$((HOLD_S > 3600 ? 3600 : HOLD_S))"
fi
for name in pi-a pi-b; do
	pi "$name" systemctl poweroff >/dev/null 2>&1
done
for name in pi-a pi-b; do
	if wait_gone "qemu-$name" 120; then
		ok "$name powered off"
	else
		fail "$name did not power off within 120 s" "$(console_tail "$name" 15)"
	fi
done
if bg_alive srv; then
	ok "serve still running after both boots"
else
	fail "serve died" "$(tail -n 30 "$PNB_TMP/srv.log")"
fi
# (but the one line about the serving process this test killed)
errs=$(grep -E '^error ' "$PNB_TMP/srv.log" | grep -v "serving process ${CHILD:-none} was killed by signal 9" | head -n 10)
if [ -z "$errs" ]; then ok "server logged no errors but the expected crash"; else fail "server logged errors" "$errs"; fi
diag "t_real_os.sh took $(($(date +%s) - T_START)) s"
