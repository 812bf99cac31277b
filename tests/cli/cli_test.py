#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests of the pinmm command line (registered by tests/cli/CMakeLists.txt).

usage: cli_test.py PINMM CLI_DIR SCENARIO_DIR CASE [ARG]

Each CASE checks exit codes and output of one aspect of `pinmm`; `bad NAME`
checks that bad/NAME.scn is rejected with exit status 2 and the first error
line of bad/NAME.err ("..." in it matches any text).  Exits 0 on success,
1 with a message on failure.
"""
import json
import re
import os
import subprocess
import sys
import tempfile

PINMM, CLI_DIR, SCN_DIR, CASE = sys.argv[1:5]
PINMM = os.path.abspath(PINMM)
ARG = sys.argv[5] if len(sys.argv) > 5 else None
SUBCOMMANDS = ["run", "stats", "demo", "diff", "bench"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(*args, cwd=None, expect=None):
    p = subprocess.run([PINMM, *args], capture_output=True, cwd=cwd, timeout=300)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if expect is not None and p.returncode != expect:
        fail("pinmm %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s"
             % (" ".join(args), p.returncode, expect, out[-3000:], err[-3000:]))
    return p.returncode, out, err


def matches(pattern, text):
    """Do the '...'-separated parts of pattern occur in text, in order?"""
    pos = 0
    for part in pattern.split("..."):
        i = text.find(part, pos)
        if i < 0:
            return False
        pos = i + len(part)
    return True


def scn(name):
    return os.path.join(SCN_DIR, name)


def case_bad():
    path = os.path.join(CLI_DIR, "bad", ARG + ".scn")
    with open(os.path.join(CLI_DIR, "bad", ARG + ".err"), encoding="utf-8") as f:
        want = f.read().strip()
    # Run from the directory so the message names the file as given.
    _, out, err = run("run", ARG + ".scn", cwd=os.path.dirname(path), expect=2)
    first = err.splitlines()[0] if err else ""
    if not matches(want, first):
        fail("error message\n  got:      %s\n  expected: %s" % (first, want))
    if "PASS" in out or "FAIL" in out:
        fail("steps were run despite the parse error:\n" + out)
    # The same input in --json mode yields a JSON document naming the error.
    _, out, _ = run("run", "--json", ARG + ".scn", cwd=os.path.dirname(path), expect=2)
    doc = json.loads(out)
    if not matches(want, doc.get("error", "")) or doc.get("ok") is not False:
        fail("--json error document: " + out)


def case_help():
    rc, out, _ = run("--help", expect=0)
    for sub in SUBCOMMANDS:
        if sub not in out:
            fail("pinmm --help does not list '%s'" % sub)
    for sub in SUBCOMMANDS:
        for flag in ("--help", "-h"):
            _, out, _ = run(sub, flag, expect=0)
            if "usage: pinmm " + sub not in out:
                fail("pinmm %s %s prints no usage line:\n%s" % (sub, flag, out))
    _, out, _ = run("run", "--help", expect=0)
    # The language reference lists the core commands with an example each.
    for word in ("mmap", "fork", "expect read", "expect fail", "expect counter",
                 "expect page", "migrate", "compact", "hold", "e.g."):
        if word not in out:
            fail("pinmm run --help does not mention '%s'" % word)
    run("nosuchcommand", expect=2)
    run(expect=2)
    run("--version", expect=0)


def case_exit_codes():
    run("run", scn("cow_fork.scn"), expect=0)
    run("run", os.path.join(CLI_DIR, "failing.scn"), expect=1)
    # A parse error in any file runs nothing, even the good ones.
    rc, out, err = run("run", scn("cow_fork.scn"),
                       os.path.join(CLI_DIR, "bad", "unknown_command.scn"), expect=2)
    if "PASS" in out:
        fail("a good file ran although another did not parse")


def case_failing():
    _, out, _ = run("run", os.path.join(CLI_DIR, "failing.scn"), expect=1)
    lines = out.splitlines()
    fails = [l for l in lines if ": FAIL " in l]
    passes = [l for l in lines if ": PASS " in l]
    if len(fails) != 5 or len(passes) != 2:
        fail("expected 5 FAIL and 2 PASS lines:\n" + out)
    if not fails[0].endswith('failing.scn:8: FAIL expect read A buf "HELLO"  '
                             '[differs at +0x0: read "hello", expected "HELLO"]'):
        fail("unexpected first failure line: " + fails[0])
    if "succeeded; expected EFAULT" not in out or "failed with EFAULT" not in out:
        fail("expect fail / failed step details missing:\n" + out)
    if lines[-1] != "2 passed, 5 failed":
        fail("summary line: " + lines[-1])


def load_json(out):
    try:
        return json.loads(out)
    except ValueError as e:
        fail("invalid JSON (%s):\n%s" % (e, out[:2000]))


def json_tool_ok(out):
    p = subprocess.run([sys.executable, "-m", "json.tool"], input=out.encode(),
                       capture_output=True)
    if p.returncode:
        fail("python3 -m json.tool rejects the output: " + p.stderr.decode())


def case_json():
    _, out, _ = run("run", "--json", "--trace", scn("cow_fork.scn"), scn("zero_page.scn"),
                    expect=0)
    json_tool_ok(out)
    doc = load_json(out)
    if doc["ok"] is not True or doc["failed"] != 0 or doc["passed"] < 10:
        fail("summary fields: %r" % {k: doc[k] for k in ("ok", "passed", "failed")})
    if len(doc["files"]) != 2:
        fail("expected two files")
    for f in doc["files"]:
        c = f["counters"]
        for name in ("pgfault", "nr_free_pages", "pnm_cow_copy", "thp_fault_alloc"):
            if name not in c:
                fail("counter %s missing" % name)
    cow = doc["files"][0]
    if not cow["file"].endswith("cow_fork.scn") or cow["counters"]["pnm_cow_copy"] != 2:
        fail("cow_fork counters: %r" % cow)
    for st in doc["steps"]:
        for key in ("file", "line", "command", "status", "detail"):
            if key not in st:
                fail("step without %s: %r" % (key, st))
        if st["status"] not in ("ok", "pass", "fail"):
            fail("bad status %r" % st["status"])
    traced = [t for st in doc["steps"] for t in st.get("trace", [])]
    if not any(t["event"] == "cow_copy" for t in traced):
        fail("no cow_copy trace event in --json --trace output")


def case_json_failing():
    _, out, _ = run("run", "--json", os.path.join(CLI_DIR, "failing.scn"), expect=1)
    json_tool_ok(out)
    doc = load_json(out)
    if doc["ok"] is not False or doc["failed"] != 5 or doc["passed"] != 2:
        fail("failing summary: %r" % doc)
    bad = [s for s in doc["steps"] if s["status"] == "fail"]
    if bad[0]["line"] != 8 or "differs" not in bad[0]["detail"]:
        fail("first failing step: %r" % bad[0])


def case_json_parse_error():
    path = os.path.join(CLI_DIR, "bad", "invalid_utf8.scn")
    _, out, err = run("run", "--json", path, expect=2)
    json_tool_ok(out)
    doc = load_json(out)
    if "invalid UTF-8" not in doc["error"] or "invalid UTF-8" not in err:
        fail("parse error in JSON mode: %r / %r" % (out, err))


def case_trace():
    _, out, _ = run("run", "--trace", scn("cow_fork.scn"), expect=0)
    for ev in ("trace: fault A", "trace: anon_alloc A", "trace: fork A -> B",
               "trace: cow_copy B", "trace: cow_reuse A", "trace: exit"):
        if ev not in out:
            fail("--trace output lacks '%s'" % ev)
    lines = out.splitlines()
    # Events appear under the step that caused them.
    i = next(i for i, l in enumerate(lines) if l.endswith('ok write B buf "CHILD!"'))
    if not lines[i + 1].startswith("    trace: "):
        fail("trace not under its step:\n" + "\n".join(lines[i:i + 4]))
    _, out, _ = run("run", "--trace", scn("thp_cow_split.scn"), expect=0)
    for ev in ("trace: split_pmd", "trace: cow_copy"):
        if ev not in out:
            fail("--trace output lacks '%s'" % ev)
    _, out, _ = run("run", "--trace", scn("migrate_zone.scn"), expect=0)
    if "trace: migrate" not in out:
        fail("--trace shows no migration")
    _, out, _ = run("run", "--trace", scn("zero_page.scn"), expect=0)
    if "trace: zero_page A" not in out:
        fail("--trace shows no zero-page use")
    _, out, _ = run("run", scn("cow_fork.scn"), expect=0)
    if "trace:" in out:
        fail("trace events printed without --trace")


def case_stats():
    _, out, _ = run("stats", scn("cow_fork.scn"), expect=0)
    vals = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            vals[parts[0]] = int(parts[1])
    for name, want in (("pnm_cow_copy", 2), ("pnm_cow_reuse", 3), ("nr_anon_pages", 5)):
        if vals.get(name) != want:
            fail("stats: %s = %r, expected %d\n%s" % (name, vals.get(name), want, out))
    if "pgfault" not in vals or "zone" not in out:
        fail("stats output incomplete:\n" + out)
    run("stats", os.path.join(CLI_DIR, "failing.scn"), expect=1)
    run("stats", expect=2)


def case_stats_json():
    _, out, _ = run("stats", "--json", scn("cow_fork.scn"), expect=0)
    json_tool_ok(out)
    doc = load_json(out)
    if doc["files"][0]["counters"]["pnm_cow_copy"] != 2:
        fail("stats --json: %r" % doc["files"][0])


def case_check():
    _, out, _ = run("run", "--check", scn("cow_fork.scn"), expect=0)
    if "syntax ok" not in out or "PASS" in out:
        fail("--check output: " + out)
    run("run", "--check", os.path.join(CLI_DIR, "bad", "bad_zone.scn"), expect=2)


def case_usage():
    _, _, err = run("run", expect=2)
    if "no scenario files" not in err:
        fail("no-file message: " + err)
    _, _, err = run("run", "--bogus", scn("cow_fork.scn"), expect=2)
    if "unknown option" not in err:
        fail("bad option message: " + err)
    run("stats", "--trace", scn("cow_fork.scn"), expect=2)


def case_missing_file():
    _, _, err = run("run", "/nonexistent/x.scn", expect=2)
    if "/nonexistent/x.scn: error: cannot open" not in err:
        fail("missing file message: " + err)
    with tempfile.TemporaryDirectory() as d:
        run("run", d, expect=2)
        empty = os.path.join(d, "empty.scn")
        open(empty, "w").close()
        _, out, _ = run("run", empty, expect=0)
        if not out.strip().endswith("0 passed, 0 failed"):
            fail("empty file: " + out)


def case_multi_file():
    _, out, _ = run("run", scn("cow_fork.scn"), os.path.join(CLI_DIR, "failing.scn"),
                    scn("zero_page.scn"), expect=1)
    if "cow_fork.scn: " not in out or "zero_page.scn: " not in out:
        fail("per-file summaries missing:\n" + out)


def case_quiet():
    _, out, _ = run("run", "-q", os.path.join(CLI_DIR, "failing.scn"), expect=1)
    if ": PASS " in out or ": ok " in out or out.count(": FAIL ") != 5:
        fail("-q output:\n" + out)


PUT_ON_PIN = """memory normal=32M movable=16M cma=0 registry=on%s
process A
mmap A buf 8K
write A buf pattern 0x64 8K
pin A buf 1 write as P
munmap A buf 4K
put P
expect misuse put-on-pin +1
unpin P
"""


def case_pin_debug():
    """--pin-debug/--no-pin-debug set misuse detection for files that do not
    set `memory debug=`; a file's own setting wins."""
    with tempfile.TemporaryDirectory() as d:
        plain = os.path.join(d, "plain.scn")
        explicit = os.path.join(d, "explicit.scn")
        with open(plain, "w", encoding="utf-8") as f:
            f.write(PUT_ON_PIN % "")
        with open(explicit, "w", encoding="utf-8") as f:
            f.write(PUT_ON_PIN % " debug=on")
        run("run", plain, expect=0)              # on by default, every build
        run("run", "--pin-debug", plain, expect=0)
        _, out, _ = run("run", "--no-pin-debug", plain, expect=1)
        if "FAIL expect misuse put-on-pin +1" not in out:
            fail("--no-pin-debug did not switch detection off:\n" + out)
        run("run", "--no-pin-debug", explicit, expect=0)
        run("stats", "--no-pin-debug", plain, expect=1)


def listing_blocks(out):
    """The `owners` steps of a human-readable run, each with its output."""
    keep, inside = [], False
    for line in out.splitlines():
        if not line.startswith("    "):
            inside = ": ok owners" in line
        if inside:
            keep.append(line)
    return keep


def case_owners():
    """The owners listing: its text as tests/cli/owner_listing.out has it,
    and the same listing as the step's JSON data."""
    _, out, _ = run("run", "owner_listing.scn", cwd=SCN_DIR, expect=0)
    with open(os.path.join(CLI_DIR, "owner_listing.out"), encoding="utf-8") as f:
        want = f.read().splitlines()
    got = listing_blocks(out)
    if got != want:
        import difflib
        fail("owners listing differs from owner_listing.out:\n" +
             "\n".join(difflib.unified_diff(want, got, "expected", "got", lineterm="")))

    _, out, _ = run("run", "--json", "owner_listing.scn", cwd=SCN_DIR, expect=0)
    json_tool_ok(out)
    doc = load_json(out)
    steps = [s for s in doc["steps"] if s["command"].split()[0] == "owners"]
    if len(steps) != 4 or any("data" not in s for s in steps):
        fail("expected 4 owners steps with data: %r" % steps)
    # The JSON step carries the same text as the human output.
    text = "\n".join(l[4:] for l in want if l.startswith("    "))
    if "\n".join(s["output"].rstrip("\n") for s in steps) != text:
        fail("the JSON output of the owners steps differs from the text")

    first = steps[0]["data"]
    if [o["name"] for o in first["owners"]] != ["R", "D", "V"]:
        fail("owners, oldest first: %r" % first["owners"])
    r, d, v = first["owners"]
    if (r["id"], r["pid"], r["process"], r["file"], r["write"], r["longterm"], r["state"],
            r["revoke"], r["extents"], r["pages"]) != \
            (1, 1, "A", "disk:F", True, True, "active", "ignore", 2, 3):
        fail("owner R: %r" % r)
    if r["lease"] != {"deadline_ms": 1, "tied": 1, "breaking": False}:
        fail("owner R's lease: %r" % r["lease"])
    anon, leased = r["pins"]
    if anon["file"] != "" or anon["pages"] != 1 or anon["leased"]:
        fail("owner R's anonymous pin: %r" % anon)
    if (leased["file"], leased["offset"], leased["pages"], leased["end"] - leased["start"],
            leased["leased"], leased["quarantined"], leased["site"]) != \
            ("disk:F", 4096, 2, 8192, True, False, "owner_listing.scn:23 owner-pin()"):
        fail("owner R's leased pin: %r" % leased)
    if d["lease"] is not None or d["file"] != "" or d["longterm"] or v["write"] or v["pid"] != 2:
        fail("owners D and V: %r %r" % (d, v))
    if [f["file"] for f in first["files"]] != ["disk:F", "shmem:S"]:
        fail("files: %r" % first["files"])
    on_f = first["files"][0]["pins"]
    if len(on_f) != 1 or on_f[0]["owner"] != 1 or on_f[0]["offset"] != 4096:
        fail("pins on disk:F: %r" % on_f)
    if [o["name"] for o in steps[1]["data"]["owners"]] != ["V"]:
        fail("owners B lists: %r" % steps[1]["data"]["owners"])
    after = steps[2]["data"]["owners"]
    if after[0]["state"] != "revoked" or after[0]["lease"] is not None:
        fail("owner R after the break: %r" % after[0])
    if not (after[0]["pins"][1]["quarantined"] and after[0]["pins"][1]["truncated"]) or \
            after[0]["pins"][1]["leased"] or not after[1]["pins"][0]["truncated"]:
        fail("pins after the truncates: %r" % after)
    if steps[3]["data"]["files"] != [] or steps[3]["data"]["owners"][1]["pins"] != []:
        fail("the last listing: %r" % steps[3]["data"])


def case_budgets():
    """The budgets listing's JSON data: the same as its text, processes in
    creation order, users sorted, unlimited counts as null, exited
    processes marked."""
    _, out, _ = run("run", "--json", "budget_user.scn", cwd=SCN_DIR, expect=0)
    json_tool_ok(out)
    doc = load_json(out)
    steps = [s for s in doc["steps"] if s["command"].split()[0] == "budgets"]
    if len(steps) != 3 or any("data" not in s for s in steps):
        fail("expected 3 budgets steps with data: %r" % steps)
    for s in steps:
        lines = s["output"].splitlines()
        procs, users = s["data"]["processes"], s["data"]["users"]
        if len(lines) != len(procs) + len(users):
            fail("budgets text and data differ: %r" % s)
        for line, p in zip(lines, procs):
            if not line.startswith("process %s (pid %d), user %d: " %
                                   (p["name"], p["pid"], p["user"])):
                fail("process line %r vs %r" % (line, p))
            if p["exited"] != line.endswith(": exited"):
                fail("exited: %r vs %r" % (line, p))
            if not p["exited"] and " %d charged" % p["charged"] not in line:
                fail("charged: %r vs %r" % (line, p))
        for line, u in zip(lines[len(procs):], users):
            if not line.startswith("user %d: " % u["user"]) or \
                    " %d charged" % u["charged"] not in line:
                fail("user line %r vs %r" % (line, u))
    first, one, last = (s["data"] for s in steps)
    if [p["name"] for p in first["processes"]] != ["A", "B", "C"] or \
            [u["user"] for u in first["users"]] != [7]:
        fail("the first listing: %r" % first)
    a = first["processes"][0]
    if (a["limit"], a["remaining"], a["charged"], a["available"], a["exited"]) != \
            (None, None, 3, 0, False):
        fail("process A: %r" % a)
    if first["users"][0] != {"user": 7, "limit": 5, "charged": 5, "remaining": 0, "refused": 1}:
        fail("user 7: %r" % first["users"][0])
    if [p["name"] for p in one["processes"]] != ["B"] or \
            [u["user"] for u in one["users"]] != [8]:
        fail("budgets B: %r" % one)
    if [u["user"] for u in last["users"]] != [7, 8] or last["processes"][2] != \
            {"name": "C", "pid": 3, "user": 7, "exited": True}:
        fail("the last listing: %r" % last)


DEMO_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(CLI_DIR))),
                        "scenarios", "demo")


def case_demo():
    _, out, err = run("demo", expect=0)
    lines = out.splitlines()
    long = [l for l in lines if len(l) > 80]
    if long:
        fail("lines wider than 80 columns:\n" + "\n".join(long))
    for n in range(1, 7):
        if not any(l.startswith("%d. " % n) for l in lines):
            fail("story %d missing:\n%s" % (n, out))
    rows = [l for l in lines if l[:2] in ("%d " % n for n in range(1, 7))]
    if len(rows) != 6 or not all(l.endswith(" held") for l in rows):
        fail("summary table:\n" + "\n".join(rows))
    if "demo ok: 6 of 6 stories as claimed" not in lines[-1]:
        fail("verdict: " + lines[-1])
    if err:
        fail("the demo wrote to stderr:\n" + err)
    # Values come from the runs: story 1's parent reads the disk's data
    # with FOLL_PIN and its old buffer in legacy mode.
    row = [l for l in lines if l.strip().startswith("the parent's buffer reads")]
    if len(row) != 1 or row[0].find('"the old buffer"') > row[0].find('"data from the disk"'):
        fail("story 1's row: %r" % row)


def case_demo_json():
    _, out, _ = run("demo", "--json", expect=0)
    doc = json.loads(out)
    if [s["story"] for s in doc["stories"]] != list(range(1, 7)) or doc["held"] != 6 \
            or doc["failed"] != 0:
        fail("stories: %r" % doc)
    for s in doc["stories"]:
        for mode in ("legacy", "foll_pin"):
            r = s[mode]
            if not r["ran"] or r["failed"] or not r["held"] or not r["shows"]:
                fail("story %d %s: %r" % (s["story"], mode, r))
    shows = {x["label"]: x["value"] for x in doc["stories"][0]["foll_pin"]["shows"]}
    if shows.get("fork copied the pinned page") != 1:
        fail("story 1 shows: %r" % shows)
    _, out, _ = run("demo", "--json", "--story", "5", expect=0)
    doc = json.loads(out)
    if [s["story"] for s in doc["stories"]] != [5] or doc["held"] != 1:
        fail("--story 5: %r" % doc)


def case_demo_usage():
    for args in (["--story", "0"], ["--story", "7"], ["--story", "x"], ["--story"],
                 ["--bogus"], ["--scenarios"]):
        _, out, err = run("demo", *args, expect=2)
        if not err.startswith("pinmm demo: "):
            fail("demo %s: %r" % (" ".join(args), err))
    with tempfile.TemporaryDirectory() as d:
        _, out, _ = run("demo", "--scenarios", d, "--story", "2", expect=1)
        if "could not run" not in out or "FAILED" not in out:
            fail("missing files:\n" + out)


def case_demo_claim():
    """A story whose run does not do what it claims fails the demo."""
    with tempfile.TemporaryDirectory() as d:
        for name in os.listdir(DEMO_DIR):
            with open(os.path.join(DEMO_DIR, name), encoding="utf-8") as f:
                text = f.read()
            if name == "5-vmsplice-legacy.scn":
                # Run the legacy story under today's rules: no leak.
                text = text.replace("legacy=on", "legacy=off")
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(text)
        _, out, _ = run("demo", "--scenarios", d, expect=1)
        if "demo FAILED: 5 of 6 stories as claimed" not in out:
            fail("verdict:\n" + out[-2000:])
        row = [l for l in out.splitlines() if l.startswith("5 ")]
        if len(row) != 1 or not row[0].endswith("FAILED") or "!! did not hold:" not in out:
            fail("story 5:\n" + out)
        _, out, _ = run("demo", "--scenarios", d, "--story", "1", expect=0)


# `pinmm bench` on a tiny configuration: 2 MiB ranges, one repeat, 1 and 512
# pages per call, 1 and 2 threads (label bench-smoke; benchmarks are
# programs, not tests: only that it runs and prints its table is checked).
BENCH_TINY = ["bench", "-m", "2", "-r", "1", "-n", "1,512", "-j", "1,2", "--quiet"]
BENCH_METHODS = ["gup-fast", "pin-fast", "pin-longterm", "pin-slow", "vaddr_pin"]


def bench_rows(out):
    """The table's rows: {(benchmark, memory, n, threads): [columns]}."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in BENCH_METHODS:
            key = tuple(parts[:4]) + ((parts[4],) if parts[4] != "|" else ())
            rows[key] = line
    return rows


def check_host_lines(out):
    host = [l for l in out.splitlines() if l.startswith("  4K ") or l.startswith("  THP ")]
    if len(host) != 2:
        fail("host kernel lines:\n" + out)
    for line in host:
        if "skipped: " not in line and " ns/page" not in line:
            fail("host line neither measured nor skipped: " + line)
        if "skipped: " in line and not line.split("skipped: ")[1].strip():
            fail("host line skipped without a reason: " + line)


def case_bench():
    _, out, err = run(*BENCH_TINY, expect=0)
    if err:
        fail("--quiet run wrote to stderr:\n" + err)
    lines = out.splitlines()
    if not lines or not lines[0].startswith("pinmm bench: 2 MiB per range"):
        fail("header:\n" + out)
    head = [l for l in lines if l.startswith("benchmark ")]
    if len(head) != 1 or head[0].count("ns/page") != 2 or head[0].count("xlimit") != 2:
        fail("column header (registry on and off side by side):\n" + out)
    rows = bench_rows(out)
    if len(rows) != 5 * 2 * 2 * 3:
        fail("%d rows, expected 60:\n%s" % (len(rows), out))
    for m in BENCH_METHODS:
        for mem in ("4K", "THP"):
            for n in ("1", "512"):
                for thr in (("1",), ("2", "disjoint"), ("2", "shared")):
                    key = (m, mem, n) + thr
                    if key not in rows:
                        fail("row %r missing:\n%s" % (key, out))
                    cols = rows[key].split("|")
                    if len(cols) != 3:
                        fail("row %r has not two halves: %s" % (key, rows[key]))
                    for half in cols[1:]:
                        v = half.split()
                        if len(v) != 6 or float(v[2]) <= 0 or float(v[3]) <= 0 \
                                or float(v[4]) <= 0:
                            fail("row %r: %s" % (key, rows[key]))
    check_host_lines(out)
    # The targets the rows allow, after the table: per registry setting
    # x512 against the limit (and the host, where measured), the per-call
    # overhead, THP x512, 2 threads; then registry on against off (4K, THP).
    targets = [l for l in out.splitlines() if l.startswith("gup ")]
    host = 1 if "  4K      get " in out else 0
    if len(targets) != 2 * (4 + host) + 2:
        fail("target rows:\n" + out)
    for line in targets:
        if not (line.endswith(" yes") or line.endswith(" NO") or line.endswith(" -")):
            fail("target row: " + line)
    # gup_test's lines, one per repeat and thread, when a benchmark is chosen.
    _, out, _ = run("bench", "-a", "-u", "-T", "-m", "2", "-r", "2", "-n", "512", "-j", "1,2",
                    "--ranges", "shared", "--registry", "off", "--no-host", "--quiet",
                    expect=0)
    for name in ("PIN_FAST_BENCHMARK", "GUP_FAST_BENCHMARK"):
        got = [l for l in out.splitlines() if l.startswith(name + ":")]
        if len(got) != 2 * (1 + 2):
            fail("%s lines:\n%s" % (name, out))
        for line in got:
            parts = line.split()
            if len(parts) != 5 or parts[1] != "Time:" or parts[4] != "us" \
                    or not parts[2].startswith("get:") or not parts[3].startswith("put:") \
                    or not parts[2][4:].isdigit() or not parts[3][4:].isdigit():
                fail("not gup_test's line: " + line)
    rows = bench_rows(out)
    if sorted(rows) != sorted([(m, "4K", "512") + t for m in ("gup-fast", "pin-fast")
                               for t in (("1",), ("2", "shared"))]):
        fail("rows of -a -u -T --ranges shared: %r" % sorted(rows))
    if "registry on" in out or "host kernel" in out:
        fail("--registry off / --no-host not honoured:\n" + out)


def case_bench_json():
    # One benchmark (the table's test covers all five): the JSON's
    # shape is the same for each, and a sanitizer build runs this in seconds.
    _, out, _ = run(*BENCH_TINY, "-a", "--json", expect=0)
    doc = json.loads(out)
    if doc["config"]["mib"] != 2 or doc["config"]["repeats"] != 1:
        fail("config: %r" % doc["config"])
    rows = doc["rows"]
    if len(rows) != 12 or {r["benchmark"] for r in rows} != {"pin-fast"}:
        fail("rows: %r" % [(r["benchmark"], r["memory"]) for r in rows])
    for r in rows:
        for half in ("registry_on", "registry_off"):
            h = r[half]
            if len(h["get_us"]) != 1 or len(h["put_us"]) != 1 or h["ns_per_page"] <= 0 \
                    or h["limit"]["ns_per_page"] <= 0 or h["ratio_to_limit"] <= 0:
                fail("row %r" % r)
        if (r["threads"] == 1) != (r["ranges"] is None):
            fail("ranges of row %r" % r)
    if not doc["results"] or {r["mode"] for r in doc["results"]} != {"gup"}:
        fail("results: %r" % doc["results"])
    host = doc["host"]["rows"]
    if [h["memory"] for h in host] != ["4K", "THP"]:
        fail("host rows: %r" % host)
    for h in host:
        if h["measured"] != ("ns_per_page" in h) or (not h["measured"] and not h["reason"]):
            fail("host row: %r" % h)
        for r in rows:
            if r["memory"] == h["memory"] and \
                    (r["registry_on"]["ratio_to_host"] is None) == h["measured"]:
                fail("ratio to the host of row %r, host %r" % (r, h))


BENCH_MODES = ["fault", "fork", "dio", "migrate", "movable", "layout", "scale"]


def case_bench_modes():
    """`pinmm bench all` on a tiny range: every mode's rows, each a figure,
    its baseline and their ratio, the targets judged; and the same as JSON."""
    _, out, err = run("bench", "all", "-m", "2", "-r", "1", "--quiet", expect=0)
    if err:
        fail("--quiet run wrote to stderr:\n" + err)
    if "benchmark " in out or "host kernel " in out:
        fail("the gup table without the gup mode:\n" + out)
    rows = [l for l in out.splitlines() if l.split() and l.split()[0] in BENCH_MODES]
    if {l.split()[0] for l in rows} != set(BENCH_MODES):
        fail("modes in the table:\n" + out)
    for line in rows:
        cols = line.split("|")
        if len(cols) != 3:
            fail("row: " + line)
        value, base = cols[0].split()[-2], cols[1].split()[-1]
        ratio, rest = cols[2].split()[0], cols[2].split()[1:]
        if float(value) <= 0 or float(base) <= 0 or float(ratio) <= 0:
            fail("row: " + line)
        if rest != ["-", "-"] and (len(rest) != 3 or rest[0] not in ("<=", ">=")
                                   or rest[2] not in ("yes", "NO")):
            fail("target of row: " + line)
    targets = [l for l in rows if "<=" in l or ">=" in l]
    if len(targets) != 1 + 4 + 1 + 2:      # fork, dio x4, layout, scale (registry on, off)
        fail("rows with a target:\n" + "\n".join(targets))
    _, out, _ = run("bench", "layout", "fork", "-m", "2", "-r", "1", "--json", expect=0)
    doc = json.loads(out)
    if doc["config"]["modes"] != ["fork", "layout"] or "rows" in doc:
        fail("config: %r" % doc["config"])
    res = doc["results"]
    if [r["mode"] for r in res] != ["fork"] * 3 + ["layout"] * 2:
        fail("results: %r" % res)
    for r in res:
        if r["value"] <= 0 or r["baseline"]["value"] <= 0 or r["ratio"] <= 0:
            fail("result %r" % r)
        if (r["target"] is None) != (r["met"] is None):
            fail("target of %r" % r)
    lay = res[-2]
    if lay["baseline"]["value"] != 64 or lay["met"] != (lay["value"] <= 64) \
            or res[-1]["value"] <= lay["value"]:
        fail("layout: %r" % res[-2:])


def case_bench_usage():
    for args in (["-m", "3"], ["-m", "0"], ["-m"], ["-n", "0"], ["-n", "513"], ["-n", "1,,2"],
                 ["-j", "9"], ["-r", "0"], ["-r", "x"], ["--registry", "maybe"],
                 ["--ranges", "none"], ["-x"], ["--bogus"], ["extra"], ["fork", "forks"]):
        _, out, err = run("bench", "-m", "2", *args, expect=2)
        if not err.startswith("pinmm bench: ") or "see pinmm bench --help" not in err:
            fail("bench %s: %r" % (" ".join(args), err))
        if out:
            fail("bench %s printed: %r" % (" ".join(args), out))


def case_output_error():
    """A full output device is an error (exit 1 and a message), for every
    kind of output; a pass that could not be written is not a pass."""
    if not os.path.exists("/dev/full"):
        print("skip: no /dev/full")
        return
    for args in (["run", scn("cow_fork.scn")], ["run", "--json", scn("cow_fork.scn")],
                 ["run", "-q", scn("cow_fork.scn")], ["stats", scn("cow_fork.scn")],
                 ["run", "--check", scn("cow_fork.scn")], ["run", "--help"], ["--help"],
                 ["--version"]):
        with open("/dev/full", "w") as full:
            p = subprocess.run([PINMM, *args], stdout=full, stderr=subprocess.PIPE,
                               timeout=300)
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode != 1 or \
                "pinmm: error writing the output: No space left on device" not in err:
            fail("pinmm %s > /dev/full: exit %d, stderr %r"
                 % (" ".join(args), p.returncode, err))
    # A failing run stays 1; a parse error stays 2.
    with open("/dev/full", "w") as full:
        p = subprocess.run([PINMM, "run", os.path.join(CLI_DIR, "failing.scn")],
                           stdout=full, stderr=subprocess.PIPE, timeout=300)
        if p.returncode != 1:
            fail("failing.scn > /dev/full: exit %d" % p.returncode)
        p = subprocess.run([PINMM, "run", os.path.join(CLI_DIR, "bad", "bad_zone.scn")],
                           stdout=full, stderr=subprocess.PIPE, timeout=300)
        if p.returncode != 2:
            fail("bad_zone.scn > /dev/full: exit %d" % p.returncode)


def case_too_large():
    """A file over the 4 MiB limit is reported with its own size; standard
    input with "more than" the limit."""
    limit = 4 << 20
    with tempfile.TemporaryDirectory() as d:
        for extra in (1, 1000):
            path = os.path.join(d, "big.scn")
            with open(path, "w") as f:
                f.write("#" * (limit + extra))
            _, _, err = run("run", path, expect=2)
            want = "big.scn:1:1: error: file too large (%d bytes; the limit is %d)" \
                % (limit + extra, limit)
            if want not in err:
                fail("size of a file %d bytes over: %r" % (extra, err))
        with open(path, "rb") as f:
            p = subprocess.run([PINMM, "run", "-"], stdin=f, capture_output=True,
                               timeout=300)
        err = p.stderr.decode()
        # A redirected regular file still has a size.
        if p.returncode != 2 or "<stdin>:1:1: error: file too large (%d bytes" \
                % (limit + 1000) not in err:
            fail("stdin from a big file: exit %d, %r" % (p.returncode, err))
        p = subprocess.run([PINMM, "run", "-"], input=b"#" * (limit + 1000),
                           capture_output=True, timeout=300)
        err = p.stderr.decode()
        if p.returncode != 2 or "<stdin>:1:1: error: file too large (more than %d bytes" \
                % limit not in err:
            fail("a big pipe: exit %d, %r" % (p.returncode, err))
        # Exactly the limit is fine.
        with open(path, "w") as f:
            f.write(("#" * 99 + "\n") * (limit // 100) + "#" * (limit % 100 - 1) + "\n")
        if os.path.getsize(path) != limit:
            fail("test file size")
        run("run", path, expect=0)


def case_stdin():
    """`-` reads the scenario from standard input."""
    with open(scn("cow_fork.scn"), "rb") as f:
        text = f.read()
    _, want, _ = run("run", scn("cow_fork.scn"), expect=0)
    for sub in ("run", "stats"):
        p = subprocess.run([PINMM, sub, "-"], input=text, capture_output=True, timeout=300)
        out = p.stdout.decode()
        if p.returncode != 0:
            fail("%s -: exit %d\n%s%s" % (sub, p.returncode, out, p.stderr.decode()))
        if sub == "run" and (out.splitlines()[-1] != want.splitlines()[-1] or
                             "<stdin>:" not in out):
            fail("run - output:\n" + out)
    p = subprocess.run([PINMM, "run", "-"], input=b"process A\nmmapp A buf 4K\n",
                       capture_output=True, timeout=300)
    if p.returncode != 2 or not p.stderr.decode().startswith("<stdin>:2:1: error: "):
        fail("parse error on stdin: %d %r" % (p.returncode, p.stderr.decode()))
    p = subprocess.run([PINMM, "run", "-", "-"], input=text, capture_output=True, timeout=300)
    if p.returncode != 2 or "more than once" not in p.stderr.decode():
        fail("run - -: %d %r" % (p.returncode, p.stderr.decode()))


def case_empty():
    """A scenario with no steps passes, with a warning that it checks nothing."""
    with tempfile.TemporaryDirectory() as d:
        empty = os.path.join(d, "empty.scn")
        comments = os.path.join(d, "comments.scn")
        open(empty, "w").close()
        with open(comments, "w") as f:
            f.write("# nothing here\n\n   # nor here\n")
        for path in (empty, comments):
            for opts in ([], ["-q"], ["--json"], ["--check"]):
                _, out, err = run("run", *opts, path, expect=0)
                if path + ": warning: no steps" not in err:
                    fail("run %s %s: no warning: %r" % (opts, path, err))
        _, _, err = run("run", scn("cow_fork.scn"), expect=0)
        if "warning" in err:
            fail("a warning for a file with steps: " + err)


def disk_scenario(d, steps):
    """A scenario with a disk file (its host file is in the data directory)
    and @steps cheap expectations after it."""
    path = os.path.join(d, "disk.scn")
    with open(path, "w") as f:
        f.write("memory normal=32M movable=16M cma=0\nprocess A\nfile F disk\n"
                'pwrite F 0 "hello"\nfsync F\n')
        f.write("expect size F == 5\n" * steps)
    return path


def left_behind(tmp):
    return [os.path.join(r, n) for r, ds, fs in os.walk(tmp) for n in ds + fs]


def case_datadir_cleanup():
    """The model's private data directory goes on every exit path: a normal
    end, a reader that went away (SIGPIPE), SIGTERM, an exit on host
    out-of-memory."""
    import signal
    import time
    with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TMPDIR=tmp)
        path = disk_scenario(d, 3000)       # well over a pipe's 64K of output
        p = subprocess.run([PINMM, "run", path], env=env, capture_output=True, timeout=300)
        if p.returncode != 0 or left_behind(tmp):
            fail("normal run: exit %d, left %r" % (p.returncode, left_behind(tmp)))
        # SIGPIPE: the reader is gone before the first write.
        p = subprocess.Popen([PINMM, "run", path], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        p.stdout.close()
        rc = p.wait(timeout=300)
        if rc != -signal.SIGPIPE or left_behind(tmp):
            fail("SIGPIPE: exit %d, left %r" % (rc, left_behind(tmp)))
        # SIGTERM while the run is blocked writing to a full pipe.
        p = subprocess.Popen([PINMM, "run", path], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while not any(os.path.basename(x) == "F" for x in left_behind(tmp)):
            if time.time() > deadline or p.poll() is not None:
                p.kill()
                fail("no disk file appeared in the data directory")
            time.sleep(0.01)
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=300)
        p.stdout.close()
        if rc != -signal.SIGTERM or left_behind(tmp):
            fail("SIGTERM: exit %d, left %r" % (rc, left_behind(tmp)))
        # An exit on host out-of-memory in the middle of the run (line 6).
        p = subprocess.run([PINMM, "run", path], env=dict(env, PINMM_SCN_EXIT_AT="6"),
                           capture_output=True, timeout=300)
        if p.returncode != 2 or b"out of memory" not in p.stderr or left_behind(tmp):
            fail("host ENOMEM exit: exit %d, left %r" % (p.returncode, left_behind(tmp)))


def case_register_nomem():
    """Host out-of-memory while the scenario commands register themselves
    (constructors, before main) is an error with a message, not an abort."""
    for n in (1, 2, 3, 10, 40):
        p = subprocess.run([PINMM, "run", scn("cow_fork.scn")],
                           env=dict(os.environ, PINMM_SCN_FAIL_REGISTER=str(n)),
                           capture_output=True, timeout=300)
        err = p.stderr.decode()
        if p.returncode != 2 or "out of memory at start-up" not in err:
            fail("allocation %d failing: exit %d, %r" % (n, p.returncode, err))
    # Past the last allocation nothing fails.
    p = subprocess.run([PINMM, "run", scn("cow_fork.scn")],
                       env=dict(os.environ, PINMM_SCN_FAIL_REGISTER="100000"),
                       capture_output=True, timeout=300)
    if p.returncode != 0:
        fail("no allocation failing: exit %d" % p.returncode)


WORKER_OPS = ("cpu-write", "cpu-read", "fork", "munmap+mmap", "mprotect", "mremap", "file-write",
              "mapped-write", "truncate", "punch-hole", "fsync", "dio-write", "dio-read", "rdma",
              "fixed-buffer", "vmsplice", "lease")


def stress_counts(out):
    counts = {}
    for line in out.splitlines():
        m = re.match(r"^  (\S+)\s+(\d+)$", line)
        if m:
            counts[m.group(1)] = int(m.group(2))
    return counts


def case_stress():
    """pinmm stress: a short soak finds nothing, runs every kind of
    operation, and the same seed gives the workers the same operations."""
    args = ("stress", "--seconds", "240", "--ops", "250", "--threads", "2", "--seed", "7",
            "--check-every", "40", "--quiet")
    _, out, _ = run(*args[:-1], expect=0)
    if "\n0 violations\n" not in "\n" + out or "VIOLATION" in out:
        fail("stress found something:\n" + out)
    first = stress_counts(out)
    for op in WORKER_OPS + ("migrate", "pageout", "check"):
        if first.get(op, 0) <= 0:
            fail("no %s operation in:\n%s" % (op, out))
    if sum(first[op] for op in WORKER_OPS) != 500:
        fail("2 workers x 250 operations expected:\n" + out)
    _, again, _ = run(*args[:-1], expect=0)
    second = stress_counts(again)
    if any(first[op] != second[op] for op in WORKER_OPS):
        fail("seed 7 gave other operations:\n%s\n%s" % (out, again))
    _, other, _ = run("stress", "--seconds", "240", "--ops", "250", "--seed", "8", expect=0)
    if all(first[op] == stress_counts(other)[op] for op in WORKER_OPS):
        fail("seeds 7 and 8 gave the same operations")
    _, quiet, _ = run(*args, expect=0)
    if quiet.strip() != "0 violations":
        fail("--quiet printed: %r" % quiet)


def case_stress_usage():
    for args in (["--threads", "0"], ["--threads", "9"], ["--seconds"], ["--seed", "x"],
                 ["--ops", "-1"], ["--bogus"], ["extra"]):
        _, out, err = run("stress", *args, expect=2)
        if not err.startswith("pinmm stress: ") or out:
            fail("stress %s: %r %r" % (" ".join(args), out, err))
    _, out, _ = run("stress", "--help", expect=0)
    if "--check-every" not in out:
        fail("stress --help: %r" % out)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
if CASE not in CASES:
    fail("unknown case " + CASE)
CASES[CASE]()
print("ok: " + CASE + (" " + ARG if ARG else ""))
