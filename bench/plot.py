#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plot.py - the cost per page against pages per call, as an SVG, from
`pinmm bench --json` (docs/performance.md, "The plot").

    pinmm bench -a -T -t -j 1 -n 1,2,4,8,16,32,64,128,256,512,1024 --json > b.json
    python3 bench/plot.py b.json docs/bench-per-call.svg [--benchmark pin-fast]

One panel per memory kind in the JSON (4K, THP, hugetlb), both axes
logarithmic; per panel four lines: pinmm with the registry on and off, the
limit (from the registry-off rows; the registry-on rows measure the same
loop), and the host kernel's io_uring register + unregister of n pages at a
time (the host's "per_call" figures), where measured.  One thread rows
only.  Needs only Python 3: the SVG is written by hand, so that no plotting
package is needed to build, test or regenerate the figure.
"""
import argparse
import json
import math
import sys

W, H = 460, 340                 # one panel
ML, MR, MT, MB = 64, 16, 36, 48  # its margins
SERIES = [                       # key, label, colour, dash
    ("on", "pinmm, registry on", "#d62728", ""),
    ("off", "pinmm, registry off", "#1f77b4", ""),
    ("limit", "the limit", "#2ca02c", "6,4"),
    ("host", "host kernel (io_uring)", "#7f7f7f", "2,3"),
]


def series(doc, memory, benchmark):
    """{key: [(n, ns_per_page)]} for one memory kind."""
    out = {k: [] for k, _, _, _ in SERIES}
    for r in doc["rows"]:
        if r["benchmark"] != benchmark or r["memory"] != memory or r["threads"] != 1:
            continue
        n = r["pages_per_call"]
        if "registry_on" in r:
            out["on"].append((n, r["registry_on"]["ns_per_page"]))
        if "registry_off" in r:
            out["off"].append((n, r["registry_off"]["ns_per_page"]))
        half = r.get("registry_off") or r.get("registry_on")
        out["limit"].append((n, half["limit"]["ns_per_page"]))
    for h in doc.get("host", {}).get("rows", []):
        if h["memory"] == memory and h.get("measured"):
            out["host"] = [(p["pages_per_call"], p["ns_per_page"])
                           for p in h.get("per_call", []) if p["ns_per_page"] > 0]
    return {k: sorted(v) for k, v in out.items() if v}


def decades(lo, hi):
    """Powers of ten from below lo to above hi."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    return [10.0 ** e for e in range(a, b + 1)]


def panel(x0, title, data):
    """SVG elements of one panel at x offset x0."""
    xs = [n for v in data.values() for n, _ in v]
    ys = [y for v in data.values() for _, y in v]
    if not xs:
        return []
    xlo, xhi = min(xs), max(xs)
    if xlo == xhi:
        xhi = xlo * 2
    ydec = decades(min(ys), max(ys))
    ylo, yhi = ydec[0], ydec[-1]
    pw, ph = W - ML - MR, H - MT - MB

    def px(n):
        return x0 + ML + (math.log2(n) - math.log2(xlo)) / (math.log2(xhi) - math.log2(xlo)) * pw

    def py(y):
        return MT + ph - (math.log10(y) - math.log10(ylo)) / (math.log10(yhi) - math.log10(ylo)) * ph

    e = ['<text x="%.1f" y="20" text-anchor="middle" font-weight="bold">%s</text>'
         % (x0 + ML + pw / 2, title),
         '<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#000"/>'
         % (x0 + ML, MT, pw, ph)]
    n = 1
    while n <= xhi:
        if n >= xlo:
            e.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
                     % (px(n), MT, px(n), MT + ph))
            e.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>'
                     % (px(n), MT + ph + 16, n))
        n *= 2
    for y in ydec:
        e.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                 % (x0 + ML, py(y), x0 + ML + pw, py(y)))
        e.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>'
                 % (x0 + ML - 4, py(y) + 4, y))
    e.append('<text x="%.1f" y="%d" text-anchor="middle">pages per call</text>'
             % (x0 + ML + pw / 2, H - 10))
    e.append('<text transform="translate(%d,%.1f) rotate(-90)" text-anchor="middle">'
             'ns per page (get + put)</text>' % (x0 + 14, MT + ph / 2))
    for key, _, colour, dash in SERIES:
        pts = data.get(key)
        if not pts:
            continue
        path = " ".join("%.1f,%.1f" % (px(n), py(y)) for n, y in pts)
        e.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>'
                 % (path, colour, ' stroke-dasharray="%s"' % dash if dash else ""))
        for n, y in pts:
            e.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>' % (px(n), py(y), colour))
    return e


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json", help="`pinmm bench --json` output ('-': stdin)")
    ap.add_argument("svg", help="the SVG to write")
    ap.add_argument("--benchmark", default="pin-fast", help="rows to plot (default pin-fast)")
    a = ap.parse_args()
    with (sys.stdin if a.json == "-" else open(a.json, encoding="utf-8")) as f:
        doc = json.load(f)
    if "rows" not in doc:
        sys.exit("plot.py: no gup rows in the JSON (run `pinmm bench` without a mode)")
    kinds = [m for m in ("4K", "THP", "hugetlb")
             if any(r["memory"] == m and r["benchmark"] == a.benchmark for r in doc["rows"])]
    if not kinds:
        sys.exit("plot.py: no %s rows in the JSON" % a.benchmark)
    width = W * len(kinds)
    cfg = doc["config"]
    body = []
    for i, m in enumerate(kinds):
        body += panel(i * W, "%s, %s, %d MiB, 1 thread" % (a.benchmark, m, cfg["mib"]),
                      series(doc, m, a.benchmark))
    legend_y = H + 8
    for j, (_, label, colour, dash) in enumerate(SERIES):
        x = 20 + j * (width - 40) / len(SERIES)
        body.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"%s/>'
                    % (x, legend_y, x + 24, legend_y, colour,
                       ' stroke-dasharray="%s"' % dash if dash else ""))
        body.append('<text x="%.1f" y="%d">%s</text>' % (x + 30, legend_y + 4, label))
    host = doc.get("host", {}).get("kernel", "?")
    body.append('<text x="%d" y="%d" font-size="10" fill="#555">pinmm bench --json: %d repeat(s) '
                '(medians), FOLL_WRITE%s; host kernel %s</text>'
                % (20, H + 30, cfg["repeats"], "" if cfg.get("ndebug") else ", DEBUG build",
                   host.replace("&", "&amp;").replace("<", "&lt;")))
    svg = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (width, H + 40),
           '<rect width="100%" height="100%" fill="#fff"/>'] + body + ["</svg>"]
    with open(a.svg, "w", encoding="utf-8") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
