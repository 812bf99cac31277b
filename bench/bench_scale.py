#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time `pinmm run` over scenarios of N forks and N processes.

  bench_scale.py [--pinmm PATH] [--check-every K | --check-at-end]
                 [--kinds forks,procs,mapped] [N ...]

For each kind (gen_scale.py: forks, chain, procs, mapped) and each N
(default 1000 2000 5000 10000) it writes the scenario to a temporary file,
runs `pinmm run -q` on it with the checker option given (default: after
every step) and prints the wall time, the time per process (ms / N) and
the ratio of that to the smallest N's: about 1 across a row is O(N)
overall.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_scale  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pinmm", default="build/release/pinmm")
    ap.add_argument("--check-every", type=int)
    ap.add_argument("--check-at-end", action="store_true")
    ap.add_argument("--kinds", default="forks,procs,mapped")
    ap.add_argument("n", nargs="*", type=int, default=[1000, 2000, 5000, 10000])
    a = ap.parse_args()
    opt = []
    if a.check_at_end:
        opt = ["--check-at-end"]
    elif a.check_every:
        opt = ["--check-every", str(a.check_every)]
    print("checkers: %s" % (" ".join(opt) or "after every step"))
    print("%-8s %7s %10s %12s %6s" % ("kind", "N", "seconds", "ms per N", "ratio"))
    with tempfile.TemporaryDirectory() as d:
        for kind in a.kinds.split(","):
            base = None
            for n in a.n:
                path = os.path.join(d, "%s-%d.scn" % (kind, n))
                with open(path, "w") as f:
                    f.write(gen_scale.scenario(kind, n))
                t = time.monotonic()
                r = subprocess.run([a.pinmm, "run", "-q"] + opt + [path],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
                t = time.monotonic() - t
                if r.returncode:
                    sys.exit("%s %d: exit %d\n%s" % (kind, n, r.returncode, r.stdout[-2000:]))
                per = t * 1000 / n
                base = base or per
                print("%-8s %7d %10.2f %12.3f %6.2f" % (kind, n, t, per, per / base),
                      flush=True)


if __name__ == "__main__":
    main()
