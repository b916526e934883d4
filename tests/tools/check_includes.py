#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright 2026 The blobby-c authors
#
# tests/tools/check_includes.py -- the layout rules of docs/ARCHITECTURE.md,
# checked on every #include of the product code: which folder may include
# which, and that a part's internal header stays inside its part.  Tests
# may include anything (unit tests reach internals on purpose).
#
# A header is internal to a folder when it is named *_impl.h (internal to
# its own folder and the folders below) or when its opening comment says
# "Internal to <folder>/" or "Private to <folder>/" (internal to that
# folder and below).
# Exit status 0 when every include keeps the rules; otherwise one line per
# broken rule and status 1.
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PRODUCT = ("common", "storage", "rpc", "gateway", "tools")

# (folder, folders it must never include).  The longest matching folder of
# the including file applies, with the rules of its parents.
FORBIDDEN = [
    ("common", ("storage", "rpc", "gateway", "tools")),
    ("storage", ("rpc", "gateway", "tools")),
    # The archive back ends know objects by key only: no namespaces, file
    # states or ids.  The file calls (storage/fileio.h) are theirs too.
    ("storage/archive", ("storage/",)),
    ("rpc", ("gateway", "tools")),
    ("gateway", ("tools",)),
]
ARCHIVE_ALLOWED = ("storage/archive/", "storage/fileio.h")

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
MARK = re.compile(r"\b(?:internal|private) to ([a-z0-9_]+(?:/[a-z0-9_]+)*)/",
                  re.IGNORECASE)


def product_files():
    for top in PRODUCT:
        for d, _, names in os.walk(os.path.join(ROOT, top)):
            for n in names:
                if n.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(d, n), ROOT)


def internal_scope(header):
    """The folder a header is internal to, or None if it is not."""
    path = os.path.join(ROOT, header)
    if header.endswith("_impl.h"):
        return os.path.dirname(header)
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(2048)
    except OSError:
        return None
    m = MARK.search(head)
    return m.group(1) if m else None


def inside(path, folder):
    return path == folder or path.startswith(folder + "/")


def main():
    bad = []
    scopes = {}
    for src in sorted(product_files()):
        here = os.path.dirname(src)
        with open(os.path.join(ROOT, src), encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                where = "%s:%d: includes %s" % (src, lineno, inc)
                for folder, never in FORBIDDEN:
                    if not inside(here, folder):
                        continue
                    for n in never:
                        if not inc.startswith(n):
                            continue
                        if folder == "storage/archive" and inc.startswith(
                                ARCHIVE_ALLOWED):
                            continue
                        bad.append("%s (%s/ may not include %s)" %
                                   (where, folder, n))
                if inc not in scopes:
                    scopes[inc] = internal_scope(inc)
                scope = scopes[inc]
                if scope is not None and not inside(here, scope):
                    bad.append("%s (internal to %s/)" % (where, scope))
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
