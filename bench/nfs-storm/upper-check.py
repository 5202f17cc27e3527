#!/usr/bin/env python3
"""upper-check.py TRACE BEFORE UPPER - files in a Pi's upper layer that the
trace never wrote.

TRACE: the replayed trace (TSV). BEFORE: the upper layer's entries before the
replay (one relative path a line, from `find UPPER -mindepth 1 -printf
'%P\\n'`). UPPER: the upper layer's root directory (clients/<id>/upper/root).
Prints every non-directory entry of UPPER that is neither in BEFORE nor
written by the trace (WRITE, SETATTR, CREATE, MKDIR, SYMLINK, MKNOD, LINK or
RENAME target, COMMIT), and a summary line; exit 1 when there is one. Such a
file was copied up by a read.
"""
import os
import sys


def main():
    trace, before_f, upper = sys.argv[1:4]
    written = set()
    with open(trace) as f:
        for line in f:
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            if len(c) != 10 or not c[4].startswith("/"):
                continue
            proc, path, name, extra = c[3], c[4], c[5], c[8]
            if proc in ("WRITE", "SETATTR", "COMMIT"):
                written.add(path)
            elif proc in ("CREATE", "MKDIR", "SYMLINK", "MKNOD"):
                written.add(path.rstrip("/") + "/" + name)
            elif proc in ("RENAME", "LINK"):
                for kv in extra.split(","):
                    if kv.startswith("to="):
                        written.add(kv[3:])
    with open(before_f) as f:
        before = {"/" + l.rstrip("\n") for l in f if l.strip()}
    bad = []
    n = 0
    for d, dirs, names in os.walk(upper):
        for nm in names:
            p = os.path.join(d, nm)
            rel = "/" + os.path.relpath(p, upper)
            n += 1
            if rel in before or rel in written:
                continue
            bad.append(rel)
    for b in sorted(bad):
        print("read-only copy-up: " + b)
    print("upper files %d, written by the trace %d, not written %d" % (n, len(written), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
