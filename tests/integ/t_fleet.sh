#!/bin/bash
# t_fleet.sh - the fleet view end to end: 20 simulated Pis (pinetboot probe
# --count 20) boot from pinetboot serve in a namespace LAN; the API shows
# each at the "kernel" stage with sane step durations, /metrics passes a
# Prometheus text-format check, SSE delivers the events, the CLI commands
# work, tokens guard mutating calls, the check-in works from the Pi's own
# address, bad HTTP input and 500 slow clients do not stop the server,
# history survives a restart, and headless chromium renders the grid.
# shellcheck source=tests/integ/lib.sh
source "$(dirname "$0")/lib.sh"
require_root
require_cmd python3 curl
PNB=$(pinetboot_bin)
ART="$PNB_ROOT/build/artifacts"
mkdir -p "$ART"

netns_lan server pi router
SRV=$(ip_of server)
# The LAN's DHCP server: each simulated Pi (probe, on its own macvlan with
# its own MAC) takes an address from it, as a real Pi does.
router_dhcp router eth0 "10.$PNB_SUBNET.0.100" "10.$PNB_SUBNET.0.160" || fail "router DHCP server started"
# as_pi ID: the pi namespace becomes that Pi (its MAC, learned by the
# server from its boot), so the Pi's own NFS mount and check-in come from
# the Pi's MAC as the trust model asks.
as_pi() {
	local mac
	mac=$(sed -n 's/^mac = //p' "$DATA/clients/$1/client.conf")
	[ -n "$mac" ] || { echo "no learned MAC for $1"; return 1; }
	ip -n "$(ns pi)" link set eth0 address "$mac" || return 1
	ip -n "$(ns pi)" neigh flush all
	ns_exec pi ping -c1 -W2 "$SRV" >/dev/null
}
DATA=$(mk_tmpdir)
make_bootset "$DATA/boot"
N=20
ids=()
for i in $(seq 1 $N); do
	id=$(printf '%08x' $((0x10000000 + i)))
	ids+=("$id")
	mkdir -p "$DATA/clients/$id"
	echo "name = node$i" >"$DATA/clients/$id/client.conf"
done
# Three Pis have a root with an init to read over NFS.
for id in "${ids[@]:0:3}"; do
	mkdir -p "$DATA/clients/$id/root/sbin"
	head -c 100000 /dev/urandom >"$DATA/clients/$id/root/sbin/init"
done
URL="http://127.0.0.1:8466"
# In our own namespace, so listening on every address reaches no real LAN;
# the Pi namespace then tests the non-local rules.
start_bg srv ns_exec server "$PNB" serve --data "$DATA" --interface eth0 --http-listen 0.0.0.0:8466 \
	--nfs on --fleet-stall-s 120
scurl() { ns_exec server curl -s --max-time 10 "$@"; }
code() { scurl -o /dev/null -w '%{http_code}' "$@"; }
stage_of() { scurl "$URL/api/client/$1" | python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["stage"], c["problem"], c["reason"])'; }
stage_is() { stage_of "$1" | grep -q "^$2"; }
if wait_for scurl -f "$URL/api/stats" 15; then
	ok "serve answers HTTP on the http-listen address"
else
	fail "serve answers HTTP on the http-listen address" "$(tail -20 "$PNB_TMP/srv.log")"
	exit 1
fi
check "DATA/api.token was created with mode 0600" test "$(stat -c %a "$DATA/api.token")" = 600
TOKEN=$(cat "$DATA/api.token")

# A live event stream from before the boot storm.
start_bg sse ns_exec server curl -sN --max-time 120 "$URL/api/events"
sleep 0.5

check "20 registered Pis boot (probe --count 20)" ns_exec pi "$PNB" probe --model 4 --count $N --serial 10000001 \
	--interface eth0 --data "$DATA" --timeout 90 --quiet
scurl "$URL/api/clients" >"$PNB_TMP/clients.json"

check_clients() { # every Pi at the kernel stage, steps in order, sane durations
	python3 - "$PNB_TMP/clients.json" "$@" <<'PY'
import json, sys, time
clients = {c["id"]: c for c in json.load(open(sys.argv[1]))}
want = sys.argv[2:]
now = time.time() * 1000
bad = []
for i in want:
    c = clients.get(i)
    if not c:
        bad.append("%s missing" % i); continue
    if c["stage"] != "kernel" or c["problem"]:
        bad.append("%s at %s %s %s" % (i, c["stage"], c["problem"], c["reason"]))
    d = c["since"] - c["boot_started"]
    if not (0 <= d < 90000) or not (now - 300000 < c["since"] <= now + 1000):
        bad.append("%s: kernel %d ms after boot start, since %d" % (i, d, c["since"]))
    if not c["registered"] or not c["name"].startswith("node") or not c["address"] or not c["model"]:
        bad.append("%s: %r" % (i, c))
    if c["files"] < 5 or c["bytes"] < 1000000:
        bad.append("%s: %d files %d bytes" % (i, c["files"], c["bytes"]))
if bad:
    sys.exit("\n".join(bad[:10]))
print("%d Pis at the kernel stage" % len(want))
PY
}
check "the API shows each Pi at the kernel stage with sane durations" check_clients "${ids[@]}"

check_timeline() { # one Pi's steps: dhcp -> firmware -> kernel, durations add up
	scurl "$URL/api/client/$1" | python3 -c '
import json, sys
c = json.load(sys.stdin)
b = c["timeline"][0]
st = [s["stage"] for s in b["steps"]]
assert st == ["dhcp", "firmware", "kernel"], st
total = sum(s["dur_ms"] for s in b["steps"])
assert 0 < total < 90000, total
assert b["steps"][-1]["at"] - b["start"] == total, (b, total)
assert any(e["type"] == "tftp-done" and e["file"].endswith("kernel8.img") for e in c["events"]), c["events"][-3:]
print(st, total, "ms")'
}
check "a Pi's timeline has dhcp, firmware, kernel steps with durations" check_timeline "${ids[0]}"

# A Pi whose config.txt names a kernel that is not there: failed, with
# the plain reason from the TFTP server.
mkdir -p "$DATA/clients/0000f00d/boot"
echo "name = broken" >"$DATA/clients/0000f00d/client.conf"
printf '[all]\narm_64bit=1\nkernel=kernel-missing.img\n' >"$DATA/clients/0000f00d/boot/config.txt"
ns_exec server kill -HUP "$(bg_pid srv)" 2>/dev/null || kill -HUP "$(bg_pid srv)"
registered() { scurl "$URL/api/stats" | grep -q "\"registered\":$1,"; }
wait_for registered 21 5
ns_exec pi "$PNB" probe --model 4 --serial 0000f00d --interface eth0 --timeout 30 --quiet >/dev/null 2>&1
check "a Pi whose kernel is missing is failed: 'kernel-missing.img not found in boot dir'" \
	wait_for stage_is 0000f00d "firmware failed .*kernel-missing.img not found in boot dir" 5

# --------------------------------------------------------------- NFS
# This kernel may have no NFS client, so a Pi's kernel is played by a
# small ONC RPC client: MOUNT the Pi's export, LOOKUP sbin/init, READ it.
nfs_boot() { # ID: from the Pi's address
	ns_exec pi python3 - "$SRV" "$1" <<'PY'
import socket, struct, sys
srv, cid = sys.argv[1], sys.argv[2]
s = socket.create_connection((srv, 2049), timeout=5)
xid = 0x1000
def opaque(b):
    return struct.pack("!I", len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)
def call(prog, vers, proc, args):
    global xid
    xid += 1
    cred = struct.pack("!I", 0) + opaque(b"pi") + struct.pack("!III", 0, 0, 0)
    msg = struct.pack("!IIIIII", xid, 0, 2, prog, vers, proc) + struct.pack("!I", 1) + opaque(cred) + struct.pack("!II", 0, 0) + args
    s.sendall(struct.pack("!I", 0x80000000 | len(msg)) + msg)
    data = b""
    while True:
        hdr = b""
        while len(hdr) < 4:
            hdr += s.recv(4 - len(hdr))
        n = struct.unpack("!I", hdr)[0]
        frag = b""
        while len(frag) < (n & 0x7fffffff):
            frag += s.recv((n & 0x7fffffff) - len(frag))
        data += frag
        if n & 0x80000000:
            break
    rxid, mtype, stat = struct.unpack("!III", data[:12])
    assert rxid == xid and mtype == 1 and stat == 0, (rxid, mtype, stat)
    vlen = struct.unpack("!I", data[16:20])[0]
    off = 20 + vlen
    assert struct.unpack("!I", data[off:off + 4])[0] == 0, "accept_stat"
    return data[off + 4:]
def fh_of(r, off=4):
    n = struct.unpack("!I", r[off:off + 4])[0]
    return r[off + 4:off + 4 + n]
r = call(100005, 3, 1, opaque(("/clients/" + cid).encode()))
assert struct.unpack("!I", r[:4])[0] == 0, "MNT status %d" % struct.unpack("!I", r[:4])[0]
fh = fh_of(r)
for name in (b"sbin", b"init"):
    r = call(100003, 3, 3, opaque(fh) + opaque(name))
    assert struct.unpack("!I", r[:4])[0] == 0, "LOOKUP %s status %d" % (name, struct.unpack("!I", r[:4])[0])
    fh = fh_of(r)
r = call(100003, 3, 6, opaque(fh) + struct.pack("!QI", 0, 4096))
assert struct.unpack("!I", r[:4])[0] == 0, "READ status"
print("mounted, read sbin/init")
PY
}
for k in 1 2; do
	id=${ids[$k]}
	as_pi "$id"
	check "Pi $id mounts its root over NFS and reads init" nfs_boot "$id"
	check "the API shows Pi $id at the init stage" wait_for stage_is "$id" "init " 5
done
nfs_mount_from() { # ID: a MOUNT from the server's own namespace (another address)
	ns_exec server python3 - "$1" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", 2049), timeout=5)
p = ("/clients/" + sys.argv[1]).encode()
args = struct.pack("!I", len(p)) + p + b"\0" * ((4 - len(p) % 4) % 4)
cred = struct.pack("!I", 0) + struct.pack("!I", 2) + b"pi\0\0" + struct.pack("!III", 0, 0, 0)
msg = struct.pack("!IIIIIII", 7, 0, 2, 100005, 3, 1, 1) + struct.pack("!I", len(cred)) + cred + struct.pack("!II", 0, 0) + args
s.sendall(struct.pack("!I", 0x80000000 | len(msg)) + msg)
r = s.recv(4096)
st = struct.unpack("!I", r[-8:-4])[0] if len(r) >= 8 else -1
print("reply", len(r))
PY
}
nfs_mount_from "${ids[9]}" >/dev/null 2>&1
check "a refused NFS mount fails that Pi's boot with the reason" \
	wait_for stage_is "${ids[9]}" "kernel failed NFS mount refused: request from 127.0.0.1" 5

# --------------------------------------------------------------- SSE
check_sse() {
	python3 - "$PNB_TMP/sse.log" "$N" <<'PY'
import json, sys
evs = []
for block in open(sys.argv[1]).read().split("\n\n"):
    data = [l[6:] for l in block.split("\n") if l.startswith("data: ")]
    if data:
        evs.append(json.loads("".join(data)))
# (the Pi's state is the one at sending time: kernel or later)
kernels = {e["id"] for e in evs if e["type"] == "tftp-done" and e["file"].endswith("kernel8.img")
           and e.get("client", {}).get("stage") in ("kernel", "nfs-root", "init", "up")}
seqs = [e["seq"] for e in evs]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "sequence numbers out of order"
if len(kernels) < int(sys.argv[2]):
    sys.exit("SSE: %d events, kernel done for %d Pis" % (len(evs), len(kernels)))
print("SSE delivered %d events" % len(evs))
PY
}
wait_for check_sse 10
check "SSE (curl -N /api/events) delivered every Pi's kernel event" check_sse

# --------------------------------------------------------------- metrics
cat >"$PNB_TMP/promcheck.py" <<'PY'
# Prometheus text exposition format 0.0.4 checker: HELP/TYPE syntax, one
# TYPE per family before its samples, families contiguous, sample syntax
# with escaped label values, no duplicate series, counters non-negative,
# histograms with sorted le buckets, cumulative counts, +Inf == _count.
import re, sys
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s(?:,%s)*)?,?\})? (\S+)( -?\d+)?$" % (NAME, LABEL, LABEL))
errs, types, seen, done_fams, series = [], {}, set(), set(), set()
hist = {}
cur = None
def family(name):
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and types.get(name[: -len(suf)]) == "histogram":
            return name[: -len(suf)]
    return name
text = open(sys.argv[1]).read()
if not text.endswith("\n"):
    errs.append("does not end with a newline")
for n, line in enumerate(text.split("\n")[:-1], 1):
    if line.startswith("#"):
        m = re.match(r"^# (HELP|TYPE) (%s) (.*)$" % NAME, line)
        if not m:
            if line.startswith("# HELP") or line.startswith("# TYPE"):
                errs.append("%d: bad comment %r" % (n, line))
            continue
        if m.group(1) == "TYPE":
            if m.group(3) not in ("counter", "gauge", "histogram", "summary", "untyped"):
                errs.append("%d: bad type %r" % (n, line))
            if m.group(2) in types:
                errs.append("%d: second TYPE for %s" % (n, m.group(2)))
            if m.group(2) in seen:
                errs.append("%d: TYPE after samples of %s" % (n, m.group(2)))
            types[m.group(2)] = m.group(3)
        continue
    if not line.strip():
        continue
    m = SAMPLE.match(line)
    if not m:
        errs.append("%d: bad sample %r" % (n, line)); continue
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    try:
        v = float(value)
    except ValueError:
        errs.append("%d: bad value %r" % (n, value)); continue
    fam = family(name)
    if fam != cur:
        if fam in done_fams:
            errs.append("%d: family %s not contiguous" % (n, fam))
        if cur:
            done_fams.add(cur)
        cur = fam
    seen.add(fam)
    if (name, labels) in series:
        errs.append("%d: duplicate series %s%s" % (n, name, labels))
    series.add((name, labels))
    t = types.get(fam, "untyped")
    if t == "counter" and (v < 0 or not name.endswith("_total")):
        errs.append("%d: counter %s negative or not *_total" % (n, name))
    if t == "histogram":
        lab = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels))
        le = lab.pop("le", None)
        key = (fam, tuple(sorted(lab.items())))
        h = hist.setdefault(key, {"b": [], "count": None})
        if name.endswith("_bucket"):
            if le is None:
                errs.append("%d: bucket without le" % n)
            else:
                h["b"].append((float("inf") if le == "+Inf" else float(le), v))
        elif name.endswith("_count"):
            h["count"] = v
for (fam, lab), h in hist.items():
    les = [b[0] for b in h["b"]]
    cnt = [b[1] for b in h["b"]]
    if les != sorted(les) or not les or les[-1] != float("inf"):
        errs.append("%s%s: le not sorted or no +Inf" % (fam, lab))
    if cnt != sorted(cnt):
        errs.append("%s%s: buckets not cumulative" % (fam, lab))
    if h["count"] is None or (cnt and cnt[-1] != h["count"]):
        errs.append("%s%s: +Inf bucket != _count" % (fam, lab))
if errs:
    sys.exit("\n".join(errs[:20]))
print("%d series in %d families: valid" % (len(series), len(types)))
PY
scurl "$URL/metrics" >"$PNB_TMP/metrics.txt"
check "/metrics passes the Prometheus text-format check" python3 "$PNB_TMP/promcheck.py" "$PNB_TMP/metrics.txt"
check "/metrics has the per-stage boot histogram with 20 kernel boots" \
	grep -q '^pinetboot_boot_stage_seconds_count{stage="kernel"} 20$' "$PNB_TMP/metrics.txt"
check "/metrics counts TFTP bytes and transfer latency" grep -qE '^pinetboot_tftp_transfer_seconds_count [1-9]' "$PNB_TMP/metrics.txt"
stats_ok() {
	scurl "$URL/api/stats" | python3 -c 'import json, sys
s = json.load(sys.stdin)
assert s["tftp"]["mb_sent"] > 10 and s["boots"]["started"] >= 20 and "nfs_ops_per_s" in s, s'
}
check "/api/stats reports MB served and boots" stats_ok

# --------------------------------------------------------------- CLI
ns_exec server "$PNB" status --data "$DATA" >"$PNB_TMP/status.txt" 2>&1
check "pinetboot status: one line per Pi, at the kernel stage (init for two)" \
	test "$(grep -cE '^100000[0-9a-f]{2} +node[0-9]+ .* (kernel|init) ' "$PNB_TMP/status.txt")" = $N
check "pinetboot status --json is the API's JSON" bash -c \
	"ip netns exec $(ns server) $PNB status --data $DATA --json | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == $((N + 1))'"  # + the broken Pi
ns_exec server "$PNB" log --data "$DATA" "${ids[3]}" >"$PNB_TMP/log.txt" 2>&1
check "pinetboot log ID shows the boot steps with durations" grep -qE '^  kernel +\+[0-9.]+ (ms|s)$' "$PNB_TMP/log.txt"
check "pinetboot log of an unknown Pi fails" bash -c "! ip netns exec $(ns server) $PNB log --data $DATA 0000beef"
start_bg watch ns_exec server "$PNB" watch --data "$DATA" --count 1
sleep 1

# On a terminal (script(1) gives it one) watch redraws the table in place.
if command -v script >/dev/null; then
	start_bg watchtty ns_exec server script -qfc "$PNB watch --data $DATA --count 1" "$PNB_TMP/watch.tty"
	sleep 1.5
fi

# --------------------------------------------------------------- access
pcurl() { ns_exec pi curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$@"; }
CI_ID=${ids[0]}
as_pi "$CI_ID"
check "check-in from the Pi's own address needs no token" test "$(pcurl -X POST -d 'uptime 30' "http://$SRV:8466/api/checkin/$CI_ID")" = 200
wait_for bash -c "! kill -0 $(bg_pid watch) 2>/dev/null" 10
check "pinetboot watch (piped) printed the check-in as a plain line" grep -q "checkin.*stage=up" "$PNB_TMP/watch.log"
if [ -n "${PNB_PIDS[watchtty]:-}" ]; then
	wait_for bash -c "! kill -0 $(bg_pid watchtty) 2>/dev/null" 10
	check "pinetboot watch on a terminal redraws the table in place" \
		grep -qaE $'\e\\[H\e\\[2J.*pinetboot watch' "$PNB_TMP/watch.tty"
	check "...showing the Pi that checked in as up" grep -qaE "^$CI_ID +node1 .* up " "$PNB_TMP/watch.tty"
fi
check "after the check-in that Pi is up" bash -c "ip netns exec $(ns server) curl -s $URL/api/client/$CI_ID | grep -q '\"stage\":\"up\"'"
check "check-in from another address is refused" test "$(scurl -o /dev/null -w '%{http_code}' -X POST "$URL/api/checkin/${ids[1]}")" = 403
check "check-in for an unknown Pi: 404" test "$(pcurl -X POST "http://$SRV:8466/api/checkin/0000beef")" = 404
check "read-only API from another host without token: 403" test "$(pcurl "http://$SRV:8466/api/clients")" = 403
check "read-only API from another host with the token: 200" test "$(pcurl -H "Authorization: Bearer $TOKEN" "http://$SRV:8466/api/clients")" = 200
check "an unregistered Pi that asked is listed with the command to register it" bash -c \
	"ip netns exec $(ns pi) $PNB probe --model 4 --serial 0badf00d --interface eth0 --dhcp-only --expect-no-answer --timeout 6 >/dev/null &&
	 sleep 0.5 && ip netns exec $(ns server) curl -s $URL/api/discovered | grep -q '\"id\":\"0badf00d\".*pinetboot add 0badf00d --image'"
check "a Host name that is not an address (DNS rebinding) is refused: 403" \
	test "$(code -H 'Host: evil.example:8466' "$URL/api/clients")" = 403
check "register without a token: 401" test "$(scurl -o /dev/null -w '%{http_code}' -X POST "$URL/api/register/0badf00d")" = 401
check "register with a wrong token: 401" test "$(scurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKEN//?/0}" -X POST "$URL/api/register/0badf00d")" = 401
check "register with the token but no image to boot from: 409, never a bare client.conf" bash -c \
	"ip netns exec $(ns server) curl -s -w ' %{http_code}' -H 'Authorization: Bearer $TOKEN' -X POST '$URL/api/register/0badf00d?name=late' | tr -d '\\n' | grep -q 'no default image.* 409\$' && ! test -e '$DATA/clients/0badf00d'"
IMG_SRC=$(mk_tmpdir)
mkdir -p "$IMG_SRC/etc" "$IMG_SRC/sbin" "$IMG_SRC/boot/firmware"
echo "console=ttyAMA0 root=PARTUUID=1234-02 rootwait" >"$IMG_SRC/boot/firmware/cmdline.txt"
echo "[all]" >"$IMG_SRC/boot/firmware/config.txt"
check "an image to register with (pinetboot image import)" "$PNB" image import tiny --from "$IMG_SRC" --data "$DATA"
check "register with the token: 202, runs pinetboot add with the default image" \
	test "$(scurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -X POST "$URL/api/register/0badf00d?name=late")" = 202
check "the server reloaded the registry with the new Pi" wait_for registered 22 20
check "the registration can boot: client.conf names the image, no MAC taken from the discovery" bash -c \
	"grep -q 'image = tiny' '$DATA/clients/0badf00d/client.conf' && grep -q 'name = late' '$DATA/clients/0badf00d/client.conf' && ! grep -q '^mac' '$DATA/clients/0badf00d/client.conf'"
check "register of a registered Pi: 409" test "$(code -H "Authorization: Bearer $TOKEN" -X POST "$URL/api/register/0badf00d")" = 409
check "reset and remove are not offered over HTTP (CLI only): 404" bash -c \
	"test \"\$(ip netns exec $(ns server) curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $TOKEN' -X POST $URL/api/reset/${ids[0]})\" = 404 &&
	 test \"\$(ip netns exec $(ns server) curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $TOKEN' -X POST $URL/api/remove/${ids[0]})\" = 404"

# --------------------------------------------------------------- bad input
check "path traversal in an asset URL: 404" test "$(code --path-as-is "$URL/../../etc/passwd")" = 404
check "encoded traversal: 404" test "$(code --path-as-is "$URL/%2e%2e/%2e%2e/etc/passwd")" = 404
check "traversal after an asset name: 404" test "$(code --path-as-is "$URL/app.js/../../../etc/passwd")" = 404
check "bad client id: 404" test "$(code "$URL/api/client/..%2f..%2fetc")" = 404
check "wrong method: 405" test "$(code -X DELETE "$URL/api/clients")" = 405
check "oversized body: 413" test "$(pcurl -X POST --data-binary "@$DATA/boot/fixup4.dat" "http://$SRV:8466/api/checkin/$CI_ID")" = 413
raw_http() { # send raw bytes, print the status line (or "closed")
	ns_exec server python3 - "$1" <<'PY'
import codecs, socket, sys
s = socket.create_connection(("127.0.0.1", 8466), timeout=5)
s.sendall(codecs.escape_decode(sys.argv[1].encode())[0])
try:
    r = s.recv(4096)
except socket.timeout:
    r = b""
print(r.split(b"\r\n")[0].decode("latin-1") if r else "closed")
PY
}
st=$(raw_http "GET / HTTP/1.1\r\nHost: x\r\nX-Big: $(head -c 60000 /dev/zero | tr '\0' a)\r\n\r\n")
if [[ "$st" =~ ^HTTP/1\.1\ 4(13|31) ]] || [ "$st" = closed ]; then ok "oversized headers refused ($st)"; else fail "oversized headers refused" "$st"; fi
st=$(raw_http "GARBAGE\r\n\r\n")
if [[ "$st" =~ ^HTTP/1\.[01]\ 400 ]] || [ "$st" = closed ]; then ok "malformed request line refused ($st)"; else fail "malformed request line refused" "$st"; fi
st=$(raw_http "GET /api/clients HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
if [[ "$st" =~ ^HTTP/1\.1\ 4 ]] || [ "$st" = closed ]; then ok "bad Content-Length refused ($st)"; else fail "bad Content-Length refused" "$st"; fi
check "server still answers after bad input" scurl -f -o /dev/null "$URL/api/clients"

slow_clients() { # 500 connections with partial headers, then a normal request must answer fast
	ns_exec server python3 - <<'PY'
import resource, socket, sys, time, urllib.request
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
socks = []
for i in range(500):
    s = socket.create_connection(("127.0.0.1", 8466), timeout=5)
    s.sendall(b"GET /api/clients HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    socks.append(s)
time.sleep(0.5)
t = time.time()
with urllib.request.urlopen("http://127.0.0.1:8466/api/clients", timeout=5) as r:
    body = r.read()
    assert r.status == 200
dt = (time.time() - t) * 1000
for s in socks:
    s.close()
print("with 500 slow clients: /api/clients answered in %.1f ms (%d bytes)" % (dt, len(body)))
if dt > 2000:
    sys.exit("too slow")
PY
}
if out=$(slow_clients 2>&1); then
	ok "500 slow clients holding connections: serving continues"
	diag "$out"
else
	fail "500 slow clients holding connections: serving continues" "$out"
fi
check "server alive after the slow clients" scurl -f -o /dev/null "$URL/api/stats"

# --------------------------------------------------------------- browser
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	skip_test "headless chromium shows the grid" "chromium not installed"
else
	PROFILE=$(mk_tmpdir)
	browse() { # browse ARGS...: headless chromium inside the server namespace
		ns_exec server timeout 40 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --disable-sync --no-first-run --user-data-dir="$PROFILE" \
			--virtual-time-budget=5000 "$@" 2>>"$PNB_TMP/chromium.log"
	}
	grid_ok() {
		browse --dump-dom "$URL/?snapshot" >"$PNB_TMP/dom.html"
		[ "$(grep -oE 'class="tile stage-(kernel|init|up)[^"]*" data-id="100000[0-9a-f]{2}"' "$PNB_TMP/dom.html" | wc -l)" -ge $N ]
	}
	shown=false
	for _ in 1 2 3; do
		if grid_ok; then shown=true; break; fi
		sleep 1
	done
	if $shown; then
		ok "headless chromium renders the grid with the $N booted Pis"
	else
		fail "headless chromium renders the grid with the $N booted Pis" "$(grep -o 'class="tile[^>]*>' "$PNB_TMP/dom.html" | head -3)" "$(tail -5 "$PNB_TMP/chromium.log")"
	fi
	check "the dashboard shows server totals" grep -q 'MB served' "$PNB_TMP/dom.html"
	rm -f "$ART/fleet.png"
	browse --screenshot="$ART/fleet.png" --window-size=1280,800 "$URL/?snapshot&select=${ids[0]}" >/dev/null
	check "screenshot saved to build/artifacts/fleet.png" test -s "$ART/fleet.png"
fi

# --------------------------------------------------------------- restart
stop_bg srv
rc=$?
check "pinetboot exits cleanly on SIGTERM" test "$rc" = 0
check "clients.json written in DATA/state" python3 -c "import json; assert len(json.load(open('$DATA/state/clients.json'))) >= $N"
start_bg srv ns_exec server "$PNB" serve --data "$DATA" --interface eth0 --http-listen 127.0.0.1:8466
wait_for scurl -f "$URL/api/stats" 15
check "after a restart the timelines are back" bash -c "ip netns exec $(ns server) curl -s $URL/api/client/${ids[5]} | grep -q '\"stage\":\"kernel\"'"
stop_bg srv
