#!/usr/bin/env python3
"""tree-from-trace.py TRACE DIR - a root tree on which TRACE replays with the
recorded statuses, without the Debian tree it was recorded on (for the short
correctness run, tests/integ/t_nfs_storm.sh).

Every path the trace finds (a LOOKUP that succeeded, the object of a call that
succeeded) exists unless the trace itself creates it first; directories are the
paths with children or listed by READDIRPLUS, symlinks the READLINK objects
(target "target"), everything else a sparse regular file as long as the
furthest byte the trace reads. Names a LOOKUP did not find stay absent.
"""
import os
import sys


def main():
    trace, root = sys.argv[1], sys.argv[2]
    exists, created = {}, set()   # path -> kind ("?", "d", "l", "f")
    size = {}

    def see(p, kind="?"):
        if p in created:
            return
        k = exists.get(p, "?")
        if k == "?" or kind == "d":
            exists[p] = kind if kind != "?" else k
        q = os.path.dirname(p)
        while q and q != "/":
            if q not in created:
                exists[q] = "d"
            q = os.path.dirname(q)

    with open(trace) as f:
        for line in f:
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            if len(c) != 10 or not c[4].startswith("/"):
                continue
            proc, path, name, off, cnt, st = c[3], c[4], c[5], c[6], c[7], c[9]
            child = (path.rstrip("/") + "/" + name) if name != "-" else None
            if proc in ("LOOKUP", "READDIRPLUS") and path != "/" and st in ("OK", "NOENT"):
                see(path, "d")
            if st != "OK":
                continue
            if proc in ("CREATE", "MKDIR", "SYMLINK", "MKNOD") and child and child not in exists:
                created.add(child)
                continue
            if path != "/":
                see(path, {"READLINK": "l", "READDIRPLUS": "d", "READ": "f", "WRITE": "f"}.get(proc, "?"))
            if proc in ("LOOKUP", "READDIRPLUS") and path != "/":
                see(path, "d")
            if proc == "LOOKUP" and child:
                see(child)
            if proc == "READ":
                size[path] = max(size.get(path, 0), int(off) + int(cnt))
    for p in sorted(exists):
        full = os.path.join(root, p.lstrip("/"))
        k = exists[p]
        if k == "d":
            os.makedirs(full, exist_ok=True)
    for p in sorted(exists):
        full = os.path.join(root, p.lstrip("/"))
        k = exists[p]
        if k == "d":
            continue
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if k == "l":
            os.symlink("target", full)
        else:
            with open(full, "wb") as fh:
                fh.truncate(min(size.get(p, 0), 64 << 20))
    print("tree-from-trace: %d dirs, %d files, %d symlinks" % (
        sum(1 for k in exists.values() if k == "d"), sum(1 for k in exists.values() if k in "f?"),
        sum(1 for k in exists.values() if k == "l")), file=sys.stderr)


if __name__ == "__main__":
    main()
