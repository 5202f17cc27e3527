#!/usr/bin/env python3
"""pcap2trace.py PCAP > TRACE.tsv - the NFSv3 calls of one client's boot.

Decodes PCAP with tshark (JSON) and prints one line per NFSv3 call, in the
order the client sent them (format: bench/README.md, "NFS boot storm").
File handles become paths relative to the export root, learnt from the MOUNT
reply (the root), LOOKUP/CREATE/MKDIR/SYMLINK/MKNOD replies and READDIRPLUS
entries; RENAME moves them. A handle never seen is written ?<hash>.
"""
import collections
import json
import subprocess
import sys

PROCS = {0: "NULL", 1: "GETATTR", 2: "SETATTR", 3: "LOOKUP", 4: "ACCESS", 5: "READLINK",
         6: "READ", 7: "WRITE", 8: "CREATE", 9: "MKDIR", 10: "SYMLINK", 11: "MKNOD",
         12: "REMOVE", 13: "RMDIR", 14: "RENAME", 15: "LINK", 16: "READDIR",
         17: "READDIRPLUS", 18: "FSSTAT", 19: "FSINFO", 20: "PATHCONF", 21: "COMMIT"}
STAT = {0: "OK", 1: "PERM", 2: "NOENT", 5: "IO", 6: "NXIO", 13: "ACCES", 17: "EXIST",
        18: "XDEV", 19: "NODEV", 20: "NOTDIR", 21: "ISDIR", 22: "INVAL", 27: "FBIG",
        28: "NOSPC", 30: "ROFS", 31: "MLINK", 63: "NAMETOOLONG", 66: "NOTEMPTY",
        69: "DQUOT", 70: "STALE", 10001: "BADHANDLE", 10008: "JUKEBOX"}


def walk(node, out, path=()):
    """(key path, value) leaves of a tshark JSON layer, in order."""
    if isinstance(node, dict):
        for k, v in node.items():
            walk(v, out, path + (k,))
    elif isinstance(node, list):
        for v in node:
            walk(v, out, path)
    else:
        out.append((path, node))
    return out


def first(leaves, key):
    for p, v in leaves:
        if p and p[-1] == key:
            return v
    return None


def all_of(leaves, key):
    return [v for p, v in leaves if p and p[-1] == key]


def as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def main():
    pcap = sys.argv[1]
    raw = subprocess.run(["tshark", "-r", pcap, "-Y", "nfs || mount", "-T", "json",
                          "--no-duplicate-keys", "-J", "frame tcp rpc nfs mount"],
                         check=False, stdout=subprocess.PIPE).stdout
    frames = json.loads(raw)
    fh = {}            # hash -> path ("/..." or "@boot/...")
    pending = {}       # (stream, xid) -> call record
    calls = []
    t0 = None
    for f in frames:
        lay = f["_source"]["layers"]
        t = float(as_list(lay["frame"])[0]["frame.time_relative"]) if isinstance(lay["frame"], (dict, list)) else 0.0
        stream = as_list(lay.get("tcp"))[0].get("tcp.stream", "0") if lay.get("tcp") else "u"
        rpcs = as_list(lay.get("rpc"))
        nfss = as_list(lay.get("nfs"))
        mnts = as_list(lay.get("mount"))
        ni = mi = 0
        for r in rpcs:
            prog = r.get("rpc.program")
            typ = r.get("rpc.msgtyp")
            xid = r.get("rpc.xid")
            if prog == "100005":
                m = mnts[mi] if mi < len(mnts) else {}
                mi += 1
                leaves = walk(m, [])
                if first(leaves, "mount.procedure_v3") != "1":
                    continue
                if typ == "0":
                    pending[(stream, "m" + xid)] = first(leaves, "mount.path") or ""
                else:
                    path = pending.pop((stream, "m" + xid), "")
                    h = first(leaves, "nfs.fh.hash")
                    if h:
                        fh[h] = "/" if path.startswith("/clients/") else "@boot/"
                continue
            if prog != "100003":
                continue
            n = nfss[ni] if ni < len(nfss) else {}
            ni += 1
            leaves = walk(n, [])
            proc = int(first(leaves, "nfs.procedure_v3") or -1)
            if typ == "0":
                if t0 is None:
                    t0 = t
                c = {"t": t - t0, "depth": 1, "proc": proc,
                     "fhs": all_of(leaves, "nfs.fh.hash"),
                     "names": all_of(leaves, "nfs.name"), "leaves": leaves,
                     "status": None}
                calls.append(c)
                pending[(stream, xid)] = c
                continue
            c = pending.pop((stream, xid), None)
            if c is None:
                continue
            c["t_reply"] = t - t0
            st = first(leaves, "nfs.status3")
            c["status"] = int(st) if st is not None else -1
            learn(c, leaves, fh)
    set_depth(calls)
    print("# seq\tt_ms\tinflight\tproc\tpath\tname\toffset\tcount\textra\tstatus")
    for i, c in enumerate(calls):
        print(render(i, c))


def set_depth(calls):
    """depth: calls in flight when this one was sent, itself included.
    A call never answered in the capture (cut off by the end of the capture
    or by a closed connection) counts for no one."""
    out = []  # reply times of earlier answered calls still in flight
    for c in calls:
        out = [r for r in out if r > c["t"]]
        c["depth"] = len(out) + 1
        if "t_reply" in c:
            out.append(c["t_reply"])


def path_of(fh, h):
    return fh.get(h, "?" + str(h))


def join(d, name):
    return d + name if d.endswith("/") else d + "/" + name


def learn(c, rl, fh):
    """What a reply teaches about handles (c carries the call's paths)."""
    proc = c["proc"]
    c["paths"] = [path_of(fh, h) for h in c["fhs"]]
    if c["status"] != 0:
        return
    if proc in (3, 8, 9, 10, 11):
        hs = all_of(rl, "nfs.fh.hash")
        if hs and c["paths"] and c["names"]:
            fh[hs[0]] = join(c["paths"][0], c["names"][0])
    elif proc == 17 and c["paths"]:
        ents = []
        cur = None
        for p, v in rl:
            if p and p[-1] == "nfs.readdirplus.entry.name":
                cur = v
            elif p and p[-1] == "nfs.fh.hash" and cur is not None:
                ents.append((cur, v))
                cur = None
        for name, h in ents:
            if name not in (".", ".."):
                fh[h] = join(c["paths"][0], name)
        c["entries"] = len(ents)
    elif proc == 14 and len(c["paths"]) >= 2 and len(c["names"]) >= 2:
        old = join(c["paths"][0], c["names"][0])
        new = join(c["paths"][1], c["names"][1])
        for h, p in list(fh.items()):
            if p == old or p.startswith(old + "/"):
                fh[h] = new + p[len(old):]


def render(i, c):
    L = c["leaves"]
    proc = c["proc"]
    paths = c.get("paths") or [path_of({}, h) for h in c["fhs"]]
    path = paths[0] if paths else "-"
    name = c["names"][0] if c["names"] else "-"
    off = first(L, "nfs.offset3") or "-"
    cnt = first(L, "nfs.count3") or first(L, "nfs.count3_maxcount") or "-"
    ex = []
    if proc == 7:
        ex.append("stable=%s" % (first(L, "nfs.write.stable") or "?"))
    elif proc == 4:
        ex.append("access=%s" % first(L, "nfs.access_check"))
    elif proc == 2:
        for k, tag in (("nfs.fattr3.size", "size"), ("nfs.set_size", "size"), ("nfs.mode3", "mode"),
                       ("nfs.fattr3.uid", "uid"), ("nfs.fattr3.gid", "gid")):
            v = first(L, k)
            if v is not None and not any(x.startswith(tag + "=") for x in ex):
                ex.append("%s=%s" % (tag, v))
    elif proc in (8, 9, 11):
        m = first(L, "nfs.mode3")
        if m is not None:
            ex.append("mode=%s" % m)
        cm = first(L, "nfs.createmode")
        if cm is not None:
            ex.append("how=%s" % cm)
    elif proc == 10:
        tgt = first(L, "nfs.symlink.to")
        ex.append("to=%s" % tgt)
    elif proc in (14, 15):
        if len(paths) >= 2:
            ex.append("to=%s" % join(paths[1], c["names"][-1] if c["names"] else "?"))
    elif proc == 17:
        ex.append("cookie=%s" % ("0" if first(L, "nfs.cookie3") == "0" else "cont"))
        ex.append("dircount=%s" % first(L, "nfs.count3_dircount"))
    elif proc == 21:
        pass
    st = c["status"]
    sts = "-" if st is None else STAT.get(st, str(st))
    return "\t".join(str(x) for x in (
        i, "%.3f" % (c["t"] * 1000), c["depth"], PROCS.get(proc, str(proc)), path, name,
        off, cnt, ",".join(ex) or "-", sts))


if __name__ == "__main__":
    main()
