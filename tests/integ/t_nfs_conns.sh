#!/bin/bash
# t_nfs_conns.sh - pinetboot's NFS server under hostile connections, in
# network namespaces: 10k idle TCP connections against a 1000-connection
# cap (none of them ever passes an access check, so the flooding host keeps
# only its newest 32 unchecked connections: old ones are dropped, memory
# stays bounded, another host and a new client of the flooding host are
# still served), a fragment header promising 2 GiB, garbage records, a record
# over the size cap, bogus credentials, and the NFSACL ping the kernel
# sends during mount (PROG_UNAVAIL, not silence).
set -u -o pipefail
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_cmd python3 ss timeout
BIN=$(pinetboot_bin)
pinetboot_ready "$BIN" || _pnb_unmet "pinetboot is not built"

netns_lan server client pi
SRV=$(ip_of server)
DATA="$PNB_TMP/data"
mkdir -p "$DATA/clients/1234abcd/root" "$DATA/boot"
printf 'address = %s\n' "$(ip_of client)" >"$DATA/clients/1234abcd/client.conf"

start_bg server ns_exec server "$BIN" serve --data "$DATA" --dhcp off --nfs on --http-listen off \
	--nfs-max-connections 1000
check "server listens on 2049" wait_for ns_exec server ss -Hltn "sport = :2049" 10

cat >"$PNB_TMP/rpc.py" <<'PY'
import socket, struct, sys, time
srv, what = sys.argv[1], sys.argv[2]

def u32(*v):
    return b"".join(struct.pack(">I", x & 0xffffffff) for x in v)

def opaque(b):
    return u32(len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)

def call(prog, vers, proc, args=b"", cred=None, xid=7):
    cred = cred if cred is not None else u32(0, 0)
    return u32(xid, 0, 2, prog, vers, proc) + cred + u32(0, 0) + args

def rec(m):
    return u32(len(m) | 0x80000000) + m

def tcp_call(m, port=2049, timeout=5):
    s = socket.create_connection((srv, port), timeout=timeout)
    s.sendall(rec(m))
    hdr = b""
    while len(hdr) < 4:
        b = s.recv(4 - len(hdr))
        if not b:
            return None
        hdr += b
    n = struct.unpack(">I", hdr)[0] & 0x7fffffff
    body = b""
    while len(body) < n:
        b = s.recv(n - len(body))
        if not b:
            return None
        body += b
    s.close()
    return body

def words(b):
    return struct.unpack(">%dI" % (len(b) // 4), b[: len(b) // 4 * 4])

if what == "null":
    r = tcp_call(call(100003, 3, 0))
    sys.exit(0 if r and words(r)[:6] == (7, 1, 0, 0, 0, 0) else 1)
if what == "nfsacl":
    r = tcp_call(call(100227, 3, 0))
    sys.exit(0 if r and words(r)[5] == 1 else 1)          # PROG_UNAVAIL
if what == "nfs_v2":
    r = tcp_call(call(100003, 2, 0))
    sys.exit(0 if r and words(r)[5:8] == (2, 3, 3) else 1)  # PROG_MISMATCH 3..3
if what == "badproc":
    r = tcp_call(call(100003, 3, 99))
    sys.exit(0 if r and words(r)[5] == 3 else 1)          # PROC_UNAVAIL
if what == "garbage_args":
    r = tcp_call(call(100003, 3, 1, u32(8)))              # handle length 8, no bytes
    sys.exit(0 if r and words(r)[5] == 4 else 1)          # GARBAGE_ARGS
if what == "badcred":
    r = tcp_call(call(100003, 3, 1, b"", cred=u32(1, 401) + b"\0" * 64))
    sys.exit(0 if r and words(r)[2:4] == (1, 1) else 1)   # MSG_DENIED, AUTH_ERROR
if what == "rpcvers":
    m = u32(7, 0, 3, 100003, 3, 0) + u32(0, 0, 0, 0)
    r = tcp_call(m)
    sys.exit(0 if r and words(r)[2:6] == (1, 0, 2, 2) else 1)  # RPC_MISMATCH 2..2
if what == "udp_null":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(call(100003, 3, 0), (srv, 2049))
    r = s.recv(1000)
    sys.exit(0 if words(r)[:6] == (7, 1, 0, 0, 0, 0) else 1)
if what == "pmap":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(call(100000, 2, 3, u32(100005, 3, 17, 0)), (srv, 111))
    r = s.recv(1000)
    port_udp = words(r)[6]
    r = tcp_call(call(100000, 2, 3, u32(100003, 3, 6, 0)), port=111)
    sys.exit(0 if port_udp == 2049 and words(r)[6] == 2049 else 1)
if what in ("huge_fragment", "over_cap"):
    s = socket.create_connection((srv, 2049), timeout=5)
    if what == "huge_fragment":
        s.sendall(u32(0xffffffff) + b"x" * 100)
    else:
        s.sendall(u32(3 << 20) + b"x" * 100)               # 3 MiB > the 1 MiB + 64 KiB cap
    try:
        closed = s.recv(10) == b""
    except ConnectionResetError:
        closed = True
    sys.exit(0 if closed else 1)
if what == "idle":
    import resource, threading
    n = int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 100, n + 100))
    socks = []
    def flood():
        # n connections that never send a byte, ~2000 a second, so the
        # flood is still arriving while other clients connect
        for i in range(n):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex((srv, 2049))
            socks.append(s)
            if i % 100 == 99:
                time.sleep(0.05)
    th = threading.Thread(target=flood)
    th.start()
    time.sleep(1.5)
    open(sys.argv[4], "w").write("flooding\n")
    th.join()
    # the listener still serves a new client of the flooding host while its
    # 10k connections exist (some still retrying their SYNs): the flooding
    # host competes only with its own connections
    time.sleep(3)
    r = tcp_call(call(100003, 3, 0))
    ok = r is not None and words(r)[:6] == (7, 1, 0, 0, 0, 0)
    time.sleep(2)
    sys.exit(0 if ok else 1)
if what == "null_tcp":
    r = tcp_call(call(100003, 3, 0))
    sys.exit(0 if r is not None and words(r)[:6] == (7, 1, 0, 0, 0, 0) else 1)
sys.exit(2)
PY

rpc() { ns_exec client timeout 60 python3 "$PNB_TMP/rpc.py" "$SRV" "$@"; }
check "NFS NULL over TCP" rpc null
check "NFS NULL over UDP" rpc udp_null
check "portmapper GETPORT (udp and tcp) -> 2049" rpc pmap
check "NFSACL ping -> PROG_UNAVAIL" rpc nfsacl
check "NFS v2 -> PROG_MISMATCH 3..3" rpc nfs_v2
check "unknown procedure -> PROC_UNAVAIL" rpc badproc
check "truncated arguments -> GARBAGE_ARGS" rpc garbage_args
check "credential body of 401 bytes -> AUTH_ERROR" rpc badcred
check "RPC version 3 -> RPC_MISMATCH" rpc rpcvers
check "fragment header of 2 GiB: connection closed" rpc huge_fragment
check "record over the size cap: connection closed" rpc over_cap

PID=$(bg_pid server)
rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }
R0=$(rss)
rpc idle 10000 "$PNB_TMP/idle.state" >"$PNB_TMP/idle.out" 2>&1 &
FLOOD=$!
wait_for test -s "$PNB_TMP/idle.state" 60 >/dev/null
check "another host is served while one floods 10000 connections" \
	ns_exec pi timeout 30 python3 "$PNB_TMP/rpc.py" "$SRV" null_tcp
wait "$FLOOD"
FLOOD_RC=$?
check "10000 idle connections against a cap of 1000; a new client from the flooding host is still served" \
	test "$FLOOD_RC" -eq 0
R1=$(rss)
LIVE=$(ns_exec server ss -Htn state established "sport = :2049" | wc -l)
diag "server RSS ${R0} kB before, ${R1} kB after; ${LIVE} established connections left"
check "server memory grew by less than 32 MB" test $((R1 - R0)) -lt 32768
check "server still answers after the storm" rpc null
check "server still running" kill -0 "$PID"
