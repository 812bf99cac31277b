#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests of `pinmm audit` (registered by tests/audit/CMakeLists.txt).

usage: audit_test.py PINMM SOURCE_DIR CASE [ARG]
       audit_test.py PINMM SOURCE_DIR update     rewrite expected/ from the output

Cases:
  rule NAME     corpus/NAME_ok.c alone: exit 0, no finding; corpus/NAME_bad.c
                alone: exit 1, every finding of the kind NAME; both: the table
                equals expected/NAME.txt
  classify      corpus/callee.c, classify.c, mirror.c, old_shapes.c:
                expected/classify.txt
  json          --json over the whole corpus equals expected/corpus.json
  fix           --fix over a copy of the corpus: the diff equals expected/fix.diff,
                applies with patch -p0, and the converted corpus keeps
                pin-put, get-unpin and get-data-access findings only at the
                sites --fix said it left
  fix_vaddr     --fix=vaddr over a copy of the corpus: the diff equals
                expected/fix_vaddr.diff, applies with patch -p0, --in-place
                writes the same files, and in the converted corpus every
                function it converted calls the vaddr_pin wrapper, released
                with vaddr_unpin_pages(), without a pin-put, get-unpin or
                get-data-access finding
  self          pinmm's own sources (src/, tools/): exit 0, no finding
  no_spatch     a missing spatch: exit 2 and how to install it (runs
                without Coccinelle)
  usage         no PATH, a bad option, a bad number: exit 2

Every case but no_spatch and usage exits 77 (ctest: skipped) with the
reason when spatch is not installed.  Paths in the reports are relative to
tests/audit (the tests run there), so the expected files hold no machine's
paths.
"""
import json
import os
import shutil
import subprocess
import sys

PINMM, SRC, CASE = sys.argv[1:4]
PINMM = os.path.abspath(PINMM)
ARG = sys.argv[4] if len(sys.argv) > 4 else None
HERE = os.path.join(SRC, "tests", "audit")
SKIP = 77
RULES = {
    "pin_put": "pin-put",
    "get_unpin": "get-unpin",
    "get_longterm": "get-longterm",
    "foll_pin": "foll-pin-by-caller",
    "get_data": "get-data-access",
    "dirty_unlocked": "dirty-unlocked",
    "flags_boolean": "flags-boolean",
    "not_released": "not-released",
}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def need_spatch():
    if not shutil.which(os.environ.get("PINMM_SPATCH") or "spatch"):
        print("SKIP: spatch (Coccinelle) is not installed: apt-get install coccinelle")
        sys.exit(SKIP)


def run(*args, cwd=HERE, expect=None):
    p = subprocess.run([PINMM, "audit", "--jobs", "1", *args], capture_output=True,
                       cwd=cwd, timeout=600)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if expect is not None and p.returncode != expect:
        fail("pinmm audit %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s"
             % (" ".join(args), p.returncode, expect, out[-4000:], err[-3000:]))
    return p.returncode, out, err


def corpus(name):
    return os.path.join("corpus", name)


def compare(out, expected_name):
    path = os.path.join(HERE, "expected", expected_name)
    with open(path, encoding="utf-8") as f:
        want = f.read()
    if out != want:
        import difflib
        diff = "".join(difflib.unified_diff(want.splitlines(True), out.splitlines(True),
                                            "expected/" + expected_name, "pinmm audit"))
        fail("the report differs from expected/%s:\n%s" % (expected_name, diff))


def whole_corpus():
    return sorted(corpus(f) for f in os.listdir(os.path.join(HERE, "corpus"))
                  if f.endswith(".c"))


def case_rule():
    kind = RULES[ARG]
    ok, bad = corpus(ARG + "_ok.c"), corpus(ARG + "_bad.c")
    _, out, _ = run("--json", ok, expect=0)
    doc = json.loads(out)
    if doc["findings"]:
        fail("%s: findings in the correct example: %s" % (ok, doc["findings"]))
    if not doc["sites"]:
        fail("%s: no call site found" % ok)
    _, out, _ = run("--json", bad, expect=1)
    doc = json.loads(out)
    kinds = {f["kind"] for f in doc["findings"]}
    if kind not in kinds:
        fail("%s: no %s finding (found %s)" % (bad, kind, sorted(kinds)))
    sites = {(s["file"], s["line"]) for s in doc["sites"]}
    flagged = {(f["file"], f["line"]) for f in doc["findings"] if f["kind"] == kind}
    if sites != flagged:
        fail("%s: every site is wrong for %s, flagged only %s of %s"
             % (bad, kind, sorted(flagged), sorted(sites)))
    for f in doc["findings"]:
        if len(f["evidence"]) < 1 or f["evidence"][0]["line"] != f["line"]:
            fail("%s: a finding without its evidence: %s" % (bad, f))
    _, out, _ = run(ok, bad, expect=1)
    compare(out, ARG + ".txt")


def case_classify():
    _, out, _ = run(corpus("callee.c"), corpus("classify.c"), corpus("mirror.c"), corpus("old_shapes.c"), expect=0)
    compare(out, "classify.txt")


def case_json():
    _, out, _ = run("--json", "corpus", expect=1)
    doc = json.loads(out)
    if doc["summary"]["findings"] != len(doc["findings"]):
        fail("summary findings %d != %d listed" % (doc["summary"]["findings"],
                                                   len(doc["findings"])))
    if sum(doc["summary"]["by_case"].values()) != len(doc["sites"]):
        fail("by_case does not add up to the sites")
    compare(out, "corpus.json")


def case_fix():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(os.path.join(HERE, "corpus"), os.path.join(tmp, "corpus"))
        _, out, err = run("--fix", "corpus", cwd=tmp, expect=1)
        compare(out, "fix.diff")
        left_sites = set()
        for line in err.splitlines():
            if line.startswith("pinmm audit --fix: left "):
                f, l = line.split()[4].rsplit(":", 1)
                left_sites.add((f, int(l)))
        if not err.rstrip().endswith("%d left" % len(left_sites)) or len(left_sites) < 2:
            fail("--fix summary:\n" + err)
        p = subprocess.run(["patch", "-p0", "--quiet"], input=out.encode(), cwd=tmp,
                           capture_output=True)
        if p.returncode:
            fail("the diff does not apply: %s" % p.stdout.decode() + p.stderr.decode())
        _, out, _ = run("--json", "corpus", cwd=tmp)
        doc = json.loads(out)
        remaining = {(f["file"], f["line"]) for f in doc["findings"]
                     if f["kind"] in ("pin-put", "get-unpin", "get-data-access")}
        if not remaining <= left_sites:
            fail("findings left after --fix at sites it converted: %s (left: %s)"
                 % (sorted(remaining - left_sites), sorted(left_sites)))


def fix_report(err):
    """The sites --fix converted and left (file, line), from its stderr."""
    done, left = set(), set()
    for line in err.splitlines():
        for word, into in (("converting ", done), ("left ", left)):
            if line.startswith("pinmm audit --fix: " + word):
                f, l = line.split()[4].rsplit(":", 1)
                into.add((f, int(l)))
    want = "%d sites converted, %d left" % (len(done), len(left))
    if not err.rstrip().endswith(want):
        fail("--fix summary (expected '%s'):\n%s" % (want, err))
    return done, left


def case_fix_vaddr():
    import filecmp
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        for d in (a, b):
            shutil.copytree(os.path.join(HERE, "corpus"), os.path.join(d, "corpus"))
        _, before, _ = run("--json", "corpus", cwd=a)
        before = json.loads(before)
        _, out, err = run("--fix=vaddr", "corpus", cwd=a, expect=1)
        compare(out, "fix_vaddr.diff")
        done, left = fix_report(err)
        if len(done) < 3 or len(left) < 4:
            fail("--fix=vaddr converted %d and left %d sites:\n%s" % (len(done), len(left), err))
        funcs = {(s["file"], s["function"]) for s in before["sites"]
                 if (s["file"], s["line"]) in done}
        p = subprocess.run(["patch", "-p0", "--quiet"], input=out.encode(), cwd=a,
                           capture_output=True)
        if p.returncode:
            fail("the diff does not apply: %s" % p.stdout.decode() + p.stderr.decode())
        _, out2, err2 = run("--fix=vaddr", "--in-place", "corpus", cwd=b, expect=1)
        if out2 != out or "(written in place)" not in err2:
            fail("--in-place: another diff, or no word of it:\n" + err2)
        for name in os.listdir(os.path.join(a, "corpus")):
            if not filecmp.cmp(os.path.join(a, "corpus", name), os.path.join(b, "corpus", name),
                               shallow=False):
                fail("--in-place wrote corpus/%s otherwise than the diff" % name)
        _, out, _ = run("--json", "corpus", cwd=a)
        doc = json.loads(out)
        for fn in sorted(funcs):
            calls = [s for s in doc["sites"] if (s["file"], s["function"]) == fn]
            if not calls or any(s["family"] != "vaddr_pin" or "vaddr_unpin_pages" not in s["release"]
                                for s in calls):
                fail("%s() after --fix=vaddr: %s" % (fn[1], calls))
        bad = [f for f in doc["findings"] if (f["file"], f["function"]) in funcs]
        if bad:
            fail("findings in converted functions: %s" % bad)


def case_self():
    code, out, err = run("--summary", "src", "tools", cwd=SRC)
    if code != 0 or "0 findings" not in out:
        _, full, _ = run("src", "tools", cwd=SRC)
        fail("pinmm's own sources are not clean (exit %d):\n%s\n%s" % (code, full, err))
    n = int(out.split(" call sites")[0].rsplit(" ", 1)[1])
    if n < 10:
        fail("only %d call sites found in pinmm's own sources:\n%s" % (n, out))


def case_no_spatch():
    _, out, err = run("--spatch", "/nonexistent/spatch", "corpus", expect=2)
    if "apt-get install coccinelle" not in err or out:
        fail("no install hint for a missing spatch:\nstdout:\n%s\nstderr:\n%s" % (out, err))


def case_usage():
    for args in ([], ["--bogus", "corpus"], ["--jobs", "0", "corpus"], ["--timeout", "x", "corpus"],
                 ["--fix=raw", "corpus"], ["--in-place", "corpus"]):
        _, out, err = run(*args, expect=2)
        if not err:
            fail("pinmm audit %s: exit 2 with no message" % " ".join(args))
    _, out, _ = run("--help", expect=0)
    if "usage: pinmm audit" not in out:
        fail("--help:\n" + out)


def update():
    need_spatch()
    for name in RULES:
        _, out, _ = run(corpus(name + "_ok.c"), corpus(name + "_bad.c"))
        open(os.path.join(HERE, "expected", name + ".txt"), "w", encoding="utf-8").write(out)
    _, out, _ = run(corpus("callee.c"), corpus("classify.c"), corpus("mirror.c"), corpus("old_shapes.c"))
    open(os.path.join(HERE, "expected", "classify.txt"), "w", encoding="utf-8").write(out)
    _, out, _ = run("--json", "corpus")
    open(os.path.join(HERE, "expected", "corpus.json"), "w", encoding="utf-8").write(out)
    _, out, _ = run("--fix", "corpus")
    open(os.path.join(HERE, "expected", "fix.diff"), "w", encoding="utf-8").write(out)
    _, out, _ = run("--fix=vaddr", "corpus")
    open(os.path.join(HERE, "expected", "fix_vaddr.diff"), "w", encoding="utf-8").write(out)


if CASE == "update":
    update()
    sys.exit(0)
if CASE not in ("no_spatch", "usage"):
    need_spatch()
globals()["case_" + CASE]()
print("PASS: " + CASE + (" " + ARG if ARG else ""))
