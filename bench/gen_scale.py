#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the scale scenarios of docs/performance.md's last section.

  gen_scale.py forks N      N forks: A0 maps and writes a page, then forks
                            A1 ... AN (one page shared by N + 1 processes)
  gen_scale.py chain N      a chain of N forks: A0 maps and writes a page,
                            A0 forks A1, A1 forks A2, ... (as Linux, the
                            anon_vma links grow as N^2: each generation's
                            VMA links to every ancestor's anon_vma)
  gen_scale.py procs N      N `process` lines
  gen_scale.py mapped N     N processes, each mapping and writing one page

The scenario goes to standard output.
"""
import sys


KINDS = ("forks", "chain", "procs", "mapped")


def scenario(kind, n):
    """The text of scenario @kind with @n processes."""
    out = ["memory normal=256M movable=0 cma=0"]
    if kind in ("forks", "chain"):
        out += ["process A0", "mmap A0 buf 4K", 'write A0 buf "x"']
        out += ["fork A%d A%d" % (0 if kind == "forks" else i, i + 1)
                for i in range(n)]
    elif kind == "procs":
        out += ["process P%d" % i for i in range(n)]
    else:
        for i in range(n):
            out += ["process P%d" % i, "mmap P%d b%d 4K" % (i, i),
                    'write P%d b%d "x"' % (i, i)]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in KINDS:
        sys.exit(__doc__)
    sys.stdout.write(scenario(sys.argv[1], int(sys.argv[2])))


if __name__ == "__main__":
    main()
