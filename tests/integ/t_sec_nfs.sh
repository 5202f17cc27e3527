#!/bin/bash
# t_sec_nfs.sh - issue 9 attacks on the NFS server, made the way an
# attacker on the LAN would make them, in network namespaces:
#   - MOUNT DUMP / EXPORT from a non-admin address (another Pi, a stranger)
#     must not tell which Pi is at which address (item "DUMP and EXPORT");
#   - 64 connections that never pass an access check (nothing sent, half a
#     record mark, a record mark promising 1 MiB and a trickle of bytes),
#     five rounds, against --nfs-max-connections 16, while a Pi works:
#     its calls keep succeeding on its one connection, and the server's
#     memory grows by less than 16 MiB (item 6);
#   - a non-owner WRITE (AUTH_SYS uid 1000) to a group-writable setuid +
#     setgid file: the bits go, as for a local write; client root keeps
#     them (item 7).
set -u -o pipefail
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_cmd python3 ss timeout
PT="$PNB_ROOT/build/tests/nfs_proto_test"
[ -x "$PT" ] || _pnb_unmet "build/tests/nfs_proto_test is not built (make build/tests/nfs_proto_test)"
BIN=${PINETBOOT_BIN:-$(pinetboot_bin)}
pinetboot_ready "$BIN" || _pnb_unmet "pinetboot is not built"

netns_lan server pia pib admin attacker
SRV=$(ip_of server)
IPA=$(ip_of pia)
IPB=$(ip_of pib)
D="$PNB_TMP/data"
A=1234abcd
B=aa-bb-cc-dd-ee-ff
mkdir -p "$D/clients/$A/root" "$D/clients/$B/root" "$D/boot"
printf 'address = %s\n' "$IPA" >"$D/clients/$A/client.conf"
printf 'mac = aa:bb:cc:dd:ee:ff\naddress = %s\n' "$IPB" >"$D/clients/$B/client.conf"
echo hello >"$D/clients/$A/root/hello.txt"

start_bg server ns_exec server "$BIN" serve --data "$D" --dhcp off --nfs on --http-listen off \
	--tftp-port $((20000 + PNB_SUBNET)) --nfs-max-connections 16 --admin-networks "$(ip_of admin)/32"
# Both ports: libnfs asks the portmapper (111) first, which is bound just
# after 2049.
listening() { wait_for ns_exec server ss -Hltn "sport = :2049" 10 && wait_for ns_exec server ss -Hltn "sport = :111" 10; }
check "server listens on 2049 and 111" listening || exit 1
PID=$(bg_pid server)

cat >"$PNB_TMP/mnt.py" <<'PY'
import socket, struct, sys, time
srv, what = sys.argv[1], sys.argv[2]

def u32(*v):
    return b"".join(struct.pack(">I", x & 0xffffffff) for x in v)

def opaque(b):
    return u32(len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)

def call(prog, vers, proc, args=b""):
    return u32(9, 0, 2, prog, vers, proc) + u32(0, 0) + u32(0, 0) + args

def tcp_call(m):
    s = socket.create_connection((srv, 2049), timeout=5)
    s.sendall(u32(len(m) | 0x80000000) + m)
    hdr = b""
    while len(hdr) < 4:
        hdr += s.recv(4 - len(hdr))
    n = struct.unpack(">I", hdr)[0] & 0x7fffffff
    body = b""
    while len(body) < n:
        b = s.recv(n - len(body))
        if not b:
            break
        body += b
    s.close()
    return body

class Rd:
    def __init__(self, b, off):
        self.b, self.o = b, off
    def u32(self):
        v = struct.unpack(">I", self.b[self.o:self.o + 4])[0]
        self.o += 4
        return v
    def str(self):
        n = self.u32()
        v = self.b[self.o:self.o + n].decode()
        self.o += (n + 3) // 4 * 4
        return v

if what == "mnt":                       # MNT PATH -> prints the status
    r = tcp_call(call(100005, 3, 1, opaque(sys.argv[3].encode())))
    print(Rd(r, 24).u32())
elif what == "dump":                    # one "ADDR PATH" line per entry
    r = Rd(tcp_call(call(100005, 3, 2)), 24)
    while r.u32():
        print(r.str(), r.str())
elif what == "export":                  # one export path per line
    r = Rd(tcp_call(call(100005, 3, 5)), 24)
    while r.u32():
        print(r.str())
        while r.u32():
            r.str()
elif what == "flood":                   # ROUNDS MARKER: unauthenticated connections
    import resource
    rounds, marker = int(sys.argv[3]), sys.argv[4]
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    held = []
    for rnd in range(rounds):
        for i in range(64):
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect((srv, 2049))
                if i % 3 == 1:
                    s.sendall(b"\x80\x10")                          # half a record mark
                elif i % 3 == 2:
                    s.sendall(u32(0x80000000 | (1 << 20)) + b"A" * 1000)  # 1 MiB promised
            except OSError:
                pass
            held.append(s)
        time.sleep(0.3)
    open(marker, "w").write("%d\n" % len(held))
    time.sleep(2)                        # the server holds what it kept, measured now
    alive = 0
    for s in held:
        try:
            s.setblocking(False)
            alive += s.recv(1) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    print(alive)
PY
py() { local n=$1; shift; ns_exec "$n" timeout 60 python3 "$PNB_TMP/mnt.py" "$SRV" "$@"; }

# ---------------------------------------------------------------- DUMP / EXPORT
check "Pi A mounts its root" test "$(py pia mnt "/clients/$A")" = 0
check "Pi B mounts its root" test "$(py pib mnt "/clients/$B")" = 0
check "a stranger's MNT of Pi A's root is refused" test "$(py attacker mnt "/clients/$A")" = 13

# no_leak WHO WHAT: WHAT's answer to WHO names neither Pi A's id nor its address.
no_leak() {
	local out
	out=$(py "$1" "$2") || { echo "no answer"; return 1; }
	if grep -q -e "$A" -e "^$IPA " <<<"$out"; then
		echo "$2 answer to $1 tells about Pi A:"
		echo "$out"
		return 1
	fi
}
check "DUMP to Pi B: nothing about Pi A" no_leak pib dump
check "DUMP to a stranger: nothing about Pi A" no_leak attacker dump
check "DUMP to a stranger: empty" test -z "$(py attacker dump)"
check "DUMP to Pi B lists its own mount" test "$(py pib dump)" = "$IPB /clients/$B"
check "EXPORT to Pi B: nothing about Pi A" no_leak pib export
check "EXPORT to a stranger: empty" test -z "$(py attacker export)"
check "EXPORT to Pi B lists its own exports" test "$(py pib export | tr '\n' ' ')" = "/clients/$B /boot/$B "
out=$(py admin dump)
check "DUMP to an admin address lists both Pis" grep -q "^$IPA /clients/$A\$" <<<"$out"
out=$(py admin export)
if grep -qx "/clients/$A" <<<"$out" && grep -qx "/clients/$B" <<<"$out"; then
	ok "EXPORT to an admin address lists both Pis"
else
	fail "EXPORT to an admin address lists both Pis" "$out"
fi

# ---------------------------------------------------------------- connection flood
rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }
ns_exec pia timeout 120 "$PT" steady "$SRV" "/clients/$A" 8 >"$PNB_TMP/steady.out" 2>&1 &
SPID=$!
sleep 1.5
R0=$(rss)
py attacker flood 5 "$PNB_TMP/flood.marker" >"$PNB_TMP/flood.out" 2>&1 &
FPID=$!
wait_for test -s "$PNB_TMP/flood.marker" 60
sleep 1
R1=$(rss)
wait "$FPID"
wait "$SPID"
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) fail "${line#not ok * - }" ;;
	*) diag "$line" ;;
	esac
done <"$PNB_TMP/steady.out"
grep -q "^ok" "$PNB_TMP/steady.out" || fail "the Pi's client ran" "$(cat "$PNB_TMP/steady.out")"
LIVE=$(ns_exec server ss -Htn state established "sport = :2049" | wc -l)
diag "server RSS ${R0} kB before, ${R1} kB with the flood; flood connections still open at the end: $(cat "$PNB_TMP/flood.out"); established now: $LIVE"
check "server memory grew by less than 16 MiB under 320 unauthenticated connections" test $((R1 - R0)) -lt 16384
check "the unauthenticated connections kept are at most 256 (their own pool)" test "$(cat "$PNB_TMP/flood.out")" -le 256
check "a Pi still mounts and reads after the flood" bash -c \
	"ip netns exec $(ns pia) nfs-cat nfs://$SRV/clients/$A/hello.txt | grep -qx hello"

# ---------------------------------------------------------------- setuid WRITE
R=$D/clients/$A/root
install -m 06775 -o 2000 -g 2000 /dev/null "$R/sgid-prog"
install -m 04777 -o 2000 -g 2000 /dev/null "$R/suid-world"
install -m 06775 -o 2000 -g 2000 /dev/null "$R/root-writes"
chmod 06775 "$R/sgid-prog" "$R/root-writes"
chmod 04777 "$R/suid-world"
run_pt() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok * - }" ;;
		"not ok "*) fail "${line#not ok * - }" ;;
		*) diag "$line" ;;
		esac
	done < <(ns_exec pia timeout 60 "$PT" "$@" 2>&1)
}
run_pt setid "$SRV" "/clients/$A" /sgid-prog 1000 2000
check "non-owner WRITE dropped setuid and setgid (group-exec set): 6775 -> 775" \
	test "$(stat -c %a "$R/sgid-prog")" = 775
run_pt setid "$SRV" "/clients/$A" /suid-world 1000 1000
check "non-owner WRITE dropped setuid: 4777 -> 777" test "$(stat -c %a "$R/suid-world")" = 777
run_pt setid "$SRV" "/clients/$A" /root-writes 0 0
check "client root's WRITE keeps the bits (CAP_FSETID, like local root)" \
	test "$(stat -c %a "$R/root-writes")" = 6775
check "the data was written" test "$(head -c 4 "$R/sgid-prog")" = evil
check "server still running" kill -0 "$PID"
