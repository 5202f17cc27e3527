#!/bin/bash
# t_privsep.sh - privilege separation (issue 11), as the kernel sees it.
# `pinetboot serve` as root with a registered overlay Pi: the processes
# that hold UDP 67/69 and TCP 2049/111 run as _pinetboot, with exactly the
# capabilities the README documents, no_new_privs and a seccomp filter;
# the root parent holds no network socket. Files a Pi's root makes over
# NFS belong to root. A system call outside the filter, a crash and a
# SIGKILL each stop only the child, which the parent restarts (it serves
# again). The control socket is root's only; a malformed request is
# refused. `reset` and `add` while serving go through it: the server lets
# go of the Pi's files, the overlay (mounted in the server's own mount
# namespace, which the CLI cannot see) is unmounted, reset and mounted
# again. SIGTERM stops both processes and removes the socket.
set -u -o pipefail
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ss timeout capsh nfs-cp nfs-cat nfs-ls curl python3 runuser setpriv
BIN=$(pinetboot_bin)
pinetboot_ready "$BIN" || _pnb_unmet "pinetboot is not built"
require_overlay

netns_lan server pi
SRV=$(ip_of server)
D=$PNB_TMP/data
SRC=$PNB_TMP/src
ID=1234abcd
ID2=5678abcd
on_cleanup 'grep -o " $PNB_TMP[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done'

mkdir -p "$SRC"/{etc,usr/bin,boot/firmware}
echo src-host >"$SRC/etc/hostname"
printf '127.0.0.1\tlocalhost\n' >"$SRC/etc/hosts"
printf 'proc /proc proc defaults 0 0\n' >"$SRC/etc/fstab"
echo "image file" >"$SRC/etc/motd"
echo "console=tty1 root=/dev/mmcblk0p2 rootwait" >"$SRC/boot/firmware/cmdline.txt"
printf '[all]\n' >"$SRC/boot/firmware/config.txt"
head -c 300000 /dev/urandom >"$SRC/boot/firmware/start4.elf"

check "init" "$BIN" init --data "$D" || exit 1
check "image import base --from DIR" "$BIN" image import base --from "$SRC" --data "$D" || exit 1
check "add $ID --image base" "$BIN" add "$ID" --image base --data "$D" || exit 1
printf 'address = %s\n' "$(ip_of pi)" >>"$D/clients/$ID/client.conf"
sed -i "s/^interface *=.*/interface = eth0/" "$D/pinetboot.conf"

start_bg srv env PINETBOOT_TEST_SYSCALL_ON_USR2=1 ip netns exec "$(ns server)" "$BIN" serve --data "$D" \
	--dhcp proxy --http-listen off --log-level debug
PARENT=$(bg_pid srv)
listening() { ns_exec server ss -Hltn "sport = :111" | grep -q . && ns_exec server ss -Hlun "sport = :69" | grep -q .; }
check "server listens on 67, 69, 111, 2049" wait_for listening 20 || { diag "$(tail -20 "$PNB_TMP/srv.log")"; exit 1; }

# The serving child: the one process (other than the parent) in its tree.
child_of() { pgrep -P "$1" -x pinetboot | head -n1; }
CHILD=$(child_of "$PARENT")
status_of() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
uids_of() { awk '$1 == "Uid:" {print $2, $3, $4}' "/proc/$1/status"; }
diag "root process $PARENT, serving process $CHILD"

# Every process holding the boot ports runs as a non-root user.
holders() { ns_exec server ss -Hlunpt "( sport = :$1 )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u; }
for port in 67 69 2049 111; do
	pids=$(holders "$port" | tr '\n' ' ')
	bad=""
	for p in $pids; do
		uid=$(uids_of "$p")
		case " $uid " in *" 0 "*) bad="$bad $p($uid)" ;; esac
	done
	check "port $port is held only by non-root processes ($pids)" test -n "$pids" -a -z "$bad"
done
# (ss must see the child's sockets, or an empty listing would pass)
no_sockets() {
	local l
	l=$(ns_exec server ss -Hanptu) || return 1
	grep -q "pid=$CHILD," <<<"$l" && ! grep -q "pid=$PARENT," <<<"$l"
}
check "the root parent holds no network socket" no_sockets
check "the serving process runs as _pinetboot" test "$(ps -o user= -p "$CHILD")" = _pinetboot

# Exactly the documented capabilities: the README's list, decoded by capsh.
want=$(sed -n '/^### Privileges/,/^## /p' "$PNB_ROOT/README.md" | grep -o '^- `cap_[a-z_]*`' | tr -d '` -' | sort | paste -sd, -)
have_eff=$(capsh --decode="$(status_of "$CHILD" CapEff)" | sed 's/.*=//' | tr ',' '\n' | sort | paste -sd, -)
have_bnd=$(capsh --decode="$(status_of "$CHILD" CapBnd)" | sed 's/.*=//' | tr ',' '\n' | sort | paste -sd, -)
diag "documented: $want"
check "the serving process's effective capabilities are exactly the documented set ($have_eff)" test -n "$want" -a "$have_eff" = "$want"
check "... and so is its bounding set" test "$have_bnd" = "$want"
check "... with no_new_privs and a seccomp filter" test "$(status_of "$CHILD" NoNewPrivs)" = "1" -a "$(status_of "$CHILD" Seccomp)" = "2"
check "the log names the user and the capabilities" grep -q "serving as _pinetboot (uid .*cap_chown.*system-call filter on" "$PNB_TMP/srv.log"

# It serves: TFTP from the child, NFS as a Pi's root (files owned by root).
tftp_ok() { ns_exec pi curl -sf --max-time 10 -o "$PNB_TMP/got" "tftp://$SRV/$ID/start4.elf" && cmp -s "$PNB_TMP/got" "$SRC/boot/firmware/start4.elf"; }
check "TFTP: the Pi gets its start4.elf" tftp_ok
echo "written by the pi" >"$PNB_TMP/w.txt"
check "NFS: the Pi's root writes a file" ns_exec pi timeout 30 nfs-cp "$PNB_TMP/w.txt" "nfs://$SRV/clients/$ID/pi-wrote.txt"
check "... it is in the Pi's layer, owned by root" test "$(stat -c %u:%g "$D/clients/$ID/upper/root/pi-wrote.txt" 2>&1)" = "0:0"
check "NFS: the Pi reads an image file" sh -c "ip netns exec $(ns pi) timeout 30 nfs-cat nfs://$SRV/clients/$ID/etc/motd | grep -q 'image file'"

# The control socket: root only, and only well-formed requests.
SOCK=$D/pinetboot.sock
check "control socket is a root-owned 0600 socket" test "$(stat -c %F:%a:%u "$SOCK" 2>&1)" = "socket:600:0"
cat >"$PNB_TMP/ctl.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1])
s.send(bytes.fromhex(sys.argv[2]))
r = s.recv(300)
print(r[4:8].hex(), r[8:].decode(errors="replace"))
PY
# A non-root user: the file system stops it (PermissionError, not any
# failure), and one that can reach the socket anyway (CAP_DAC_OVERRIDE) is
# refused by the server itself (SO_PEERCRED: EPERM, 1).
out=$(runuser -u nobody -- python3 -c "$(cat "$PNB_TMP/ctl.py")" "$SOCK" 01050000 2>&1)
check "a non-root user cannot connect (permission denied)" grep -q PermissionError <<<"$out"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+dac_override --ambient-caps=+dac_override \
	python3 -c "$(cat "$PNB_TMP/ctl.py")" "$SOCK" 01050000 2>&1)
diag "$out"
check "a non-root user that reaches the socket is refused by the server" test "${out%% *}" = 00000001
for bad in 02050000 0105000178 0102000a2e2e2f2e2e2f657463 01040008313233346162636401 ff; do
	out=$(python3 "$PNB_TMP/ctl.py" "$SOCK" "$bad" 2>&1)
	check "malformed control request $bad is refused ($out)" test "${out%% *}" = 00000016
done
check "... and logged" grep -q "malformed control request" "$PNB_TMP/srv.log"
check "a ping is answered with both pids" sh -c "python3 $PNB_TMP/ctl.py $SOCK 01050000 | grep -q 'root process $PARENT, serving process $CHILD'"

# A system call outside the filter stops the child only; it comes back.
restarted_from() { local n; n=$(child_of "$PARENT"); [ -n "$n" ] && [ "$n" != "$1" ] && [ "$(ps -o user= -p "$n")" = _pinetboot ] && listening; }
kill -USR2 "$CHILD"
check "a system call outside the filter: the serving process is restarted" wait_for restarted_from "$CHILD" 30
check "... the child said which call" grep -q "made system call [0-9]*, which its seccomp filter does not allow" "$PNB_TMP/srv.log"
check "... the parent logged SIGSYS" grep -q "serving process $CHILD was killed by signal 31" "$PNB_TMP/srv.log"
check "... the parent is still the same process" kill -0 "$PARENT"
CHILD=$(child_of "$PARENT")
check "... and the new serving process serves TFTP" wait_for tftp_ok 20
# (ABRT rather than SEGV: AddressSanitizer builds report a SEGV as an error.)
for sig in ABRT KILL; do
	kill -"$sig" "$CHILD"
	check "SIG$sig to the serving process: restarted" wait_for restarted_from "$CHILD" 40
	CHILD=$(child_of "$PARENT")
done
check "NFS after the restarts: the Pi still reads its file" sh -c "ip netns exec $(ns pi) timeout 30 nfs-cat nfs://$SRV/clients/$ID/pi-wrote.txt | grep -q 'written by the pi'"

# reset while serving: the CLI (root mount namespace) cannot see the
# server's mounts; the server releases, unmounts and mounts again.
mounted_in_server() { grep -q " $D/clients/$ID/root " "/proc/$PARENT/mountinfo"; }
check "the Pi's overlay is mounted in the server's namespace" mounted_in_server
check "... and not in the CLI's" sh -c "! grep -q ' $D/clients/$ID/root ' /proc/self/mountinfo"
"$BIN" reset "$ID" --yes --data "$D" >"$PNB_TMP/reset.out" 2>&1
rc=$?
diag "$(cat "$PNB_TMP/reset.out")"
check "reset while serving succeeds" test "$rc" = 0
# (not "detached lazily": the Pi's cached handles were closed, so nothing
# of the server held its overlay busy)
check "... the server released and unmounted the Pi first, nothing holding it busy" grep -q "running server: $ID released and unmounted" "$PNB_TMP/reset.out"
check "... and mounted it again" grep -q "running server: $ID mounted and served" "$PNB_TMP/reset.out"
check "... what the Pi wrote is gone from its layer" test ! -e "$D/clients/$ID/upper/root/pi-wrote.txt"
check "... its root is mounted again in the server's namespace" mounted_in_server
check "... and served: the Pi reads an image file" sh -c "ip netns exec $(ns pi) timeout 30 nfs-cat nfs://$SRV/clients/$ID/etc/motd | grep -q 'image file'"
check "... and no longer its old file" sh -c "! ip netns exec $(ns pi) timeout 30 nfs-cat nfs://$SRV/clients/$ID/pi-wrote.txt 2>/dev/null"

# add while serving: mounted and served without a SIGHUP.
"$BIN" add "$ID2" --image base --data "$D" >"$PNB_TMP/add.out" 2>&1
check "add while serving: the server mounts the new Pi" grep -q "running server: $ID2 mounted and served" "$PNB_TMP/add.out"
check "... in its namespace" grep -q " $D/clients/$ID2/root " "/proc/$PARENT/mountinfo"
"$BIN" remove "$ID2" --yes --data "$D" >"$PNB_TMP/rm.out" 2>&1
check "remove while serving: released and unmounted first" grep -q "running server: $ID2 released and unmounted" "$PNB_TMP/rm.out"
check "... and gone from the server's namespace" sh -c "! grep -q ' $D/clients/$ID2/root ' /proc/$PARENT/mountinfo"

# SIGHUP reaches the child through the parent.
kill -HUP "$PARENT"
check "SIGHUP to the root process reloads the serving process" wait_for grep -q "reloaded: 1 registered clients" "$PNB_TMP/srv.log" 10

stop_bg srv 30
rc=$?
check "SIGTERM: the server exits 0" test "$rc" = 0
gone() { ! kill -0 "$PARENT" 2>/dev/null && ! kill -0 "$CHILD" 2>/dev/null; }
check "... both processes are gone" gone
check "... the control socket is removed" test ! -e "$SOCK"
check "no sanitizer report in the server log" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' $PNB_TMP/srv.log"
