#!/bin/bash
# fleet-api.sh - how fast the fleet API answers with a large fleet: 500
# registered Pis (client.conf each), all having sent a boot DISCOVER
# (pinetboot probe --count 500 --dhcp-only), then /api/clients, /metrics
# and /api/stats are fetched 200 times each over fresh connections.
# Prints p50 / p99 / max in ms; the target is /api/clients < 10 ms.
#   N=500       registered Pis
#   REQUESTS=200
#   PINETBOOT=path (default ./pinetboot)
set -u -o pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/integ/lib.sh
. tests/integ/lib.sh
[ "$(id -u)" -eq 0 ] || { echo "fleet-api: needs root (network namespaces)" >&2; exit 1; }
N=${N:-500}
REQUESTS=${REQUESTS:-200}
PNB=${PINETBOOT:-$PWD/pinetboot}
[ "$PNB" = "$PWD/pinetboot" ] && make -s pinetboot

netns_lan server pi
DATA=$(mk_tmpdir)
mkdir -p "$DATA/boot"
for i in $(seq 1 "$N"); do
	id=$(printf '%08x' $((0x20000000 + i)))
	mkdir -p "$DATA/clients/$id"
	printf 'name = rack%d-node%d\nmac = dc:a6:32:%02x:%02x:%02x\n' $((i / 40)) "$i" \
		$(((i >> 16) & 255)) $(((i >> 8) & 255)) $((i & 255)) >"$DATA/clients/$id/client.conf"
done
start_bg srv ns_exec server "$PNB" serve --data "$DATA" --interface eth0 --log-level warn
wait_for ns_exec server curl -sf -o /dev/null http://127.0.0.1:8466/api/stats 15 || {
	echo "fleet-api: server did not start" >&2
	cat "$PNB_TMP/srv.log" >&2
	exit 1
}
# Every Pi asks once: each gets a boot record (stage "dhcp").
ns_exec pi "$PNB" probe --model 4 --count "$N" --serial 20000001 --interface eth0 --dhcp-only \
	--quiet --timeout 60 >"$PNB_TMP/probe.log" 2>&1 || echo "# probe: $(tail -1 "$PNB_TMP/probe.log")"

ns_exec server python3 - "$REQUESTS" "$N" <<'PY'
import http.client, json, sys, time
reqs, n = int(sys.argv[1]), int(sys.argv[2])
def bench(path):
    times, size = [], 0
    for _ in range(reqs):
        t = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", 8466, timeout=5)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        times.append((time.perf_counter() - t) * 1000)
        assert r.status == 200, r.status
        size = len(body)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99) - 1], times[-1], size, body
p50, p99, mx, size, body = bench("/api/clients")
clients = json.loads(body)
staged = sum(1 for c in clients if c["stage"] != "none")
print("| endpoint | p50 ms | p99 ms | max ms | bytes |")
print("| --- | --- | --- | --- | --- |")
print("| /api/clients (%d Pis, %d with a boot) | %.2f | %.2f | %.2f | %d |" % (len(clients), staged, p50, p99, mx, size))
for path in ("/metrics", "/api/stats", "/api/client/20000001"):
    a, b, c, s, _ = bench(path)
    print("| %s | %.2f | %.2f | %.2f | %d |" % (path, a, b, c, s))
ok = len(clients) >= n and p50 < 10
print("target /api/clients < 10 ms with %d Pis: %s" % (n, "met" if ok else "NOT met"))
sys.exit(0 if ok else 1)
PY
