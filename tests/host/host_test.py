#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests of `pinmm run --host` and `pinmm diff` (tests/host/CMakeLists.txt).

usage: host_test.py PINMM HOST_DIR CASE [ARG]

Exits 0 on success, 1 with a message on failure, 77 (ctest's skip code)
with the reason when the host cannot run scenarios.
"""
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import uuid

PINMM, HOST_DIR, CASE = sys.argv[1:4]
PINMM = os.path.abspath(PINMM)
ARG = sys.argv[4] if len(sys.argv) > 4 else None
SKIP = 77


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def scn(name):
    return os.path.join(HOST_DIR, name + ".scn")


def run(*args, expect=None, env=None):
    p = subprocess.run([PINMM, *args], capture_output=True, timeout=150, env=env)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode == SKIP:
        print("SKIP: " + err.strip())
        sys.exit(SKIP)
    if expect is not None and p.returncode != expect:
        fail("pinmm %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s"
             % (" ".join(args), p.returncode, expect, out[-4000:], err[-3000:]))
    return p.returncode, out, err


def thp_madvise():
    """Does the host give THPs to MADV_HUGEPAGE areas?"""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return "[never]" not in f.read()
    except OSError:
        return False


MTHP64 = "/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled"


def case_run():
    if ARG == "thp" and not thp_madvise():
        print("SKIP: the host has no THP for MADV_HUGEPAGE areas")
        sys.exit(SKIP)
    if ARG == "mthp" and not (thp_madvise() and os.path.exists(MTHP64)):
        print("SKIP: the host has no 64K THP size")
        sys.exit(SKIP)
    _, out, _ = run("run", "--host", scn(ARG), expect=0)
    if "FAIL" in out:
        fail("a step failed:\n" + out)
    if "PASS" not in out:
        fail("no expectation ran on the host:\n" + out)


AGREEING = ["cow-fork", "uring-fork", "vmsplice", "odirect", "pvm", "errno", "hugetlb",
            "skips", "orphans", "swap", "zero-page"] + (["thp"] if thp_madvise() else []) + \
    (["mthp"] if thp_madvise() and os.path.exists(MTHP64) else [])


def case_diff_agree():
    _, out, _ = run("diff", *[scn(n) for n in AGREEING], expect=0)
    last = out.strip().splitlines()[-1]
    if not last.startswith("%d files:" % len(AGREEING)) or " 0 differ" not in last:
        fail("summary: " + last)
    if "DIFFER" in out:
        fail("a disagreement was reported:\n" + out)


def host_pin_delta_is_one():
    """The host side of disagree.scn: its pin step adds one pin (else the
    host migrates too, and the deliberate disagreement does not exist)."""
    _, out, _ = run("run", "--host", "--json", scn("disagree"))
    doc = json.loads(out)
    step = [s for s in doc["steps"] if s["line"] == 9][0]
    return step["status"] == "pass"


def case_diff_disagree():
    if not host_pin_delta_is_one():
        print("SKIP: the host migrates long-term pinned pages too (a movable zone)")
        sys.exit(SKIP)
    _, out, _ = run("diff", scn("disagree"), expect=1)
    want = "disagree.scn:9: DIFFER expect counter nr_foll_pin_acquired +1"
    if want not in out or "model: FAIL" not in out or "host:  PASS" not in out:
        fail("the disagreement is not named:\n" + out)
    if "1 differ" not in out.strip().splitlines()[-1]:
        fail("summary: " + out)


def case_diff_known():
    if not host_pin_delta_is_one():
        print("SKIP: the host migrates long-term pinned pages too (a movable zone)")
        sys.exit(SKIP)
    _, out, _ = run("diff", scn("known"), expect=0)
    if "known.scn:7: known host-differs" not in out or "known: the model's anonymous" not in out:
        fail("the known difference is not listed with its reason:\n" + out)
    if "0 differ, 1 known" not in out.strip().splitlines()[-1]:
        fail("summary: " + out)


def case_json():
    _, out, _ = run("run", "--host", "--json", scn("skips"), expect=0)
    doc = json.loads(out)
    statuses = {s["line"]: s["status"] for s in doc["steps"]}
    if statuses.get(5) != "skip" or statuses.get(10) != "pass" or doc["skipped"] != 7:
        fail("run --host --json: " + out)
    _, out, _ = run("diff", "--json", scn("skips"), scn("disagree"))
    doc = json.loads(out)
    files = {os.path.basename(f["file"]): f for f in doc["files"]}
    if files["skips.scn"]["skipped"] != 7 or files["skips.scn"]["differ"] != 0:
        fail("diff --json skips.scn: " + json.dumps(files["skips.scn"]))
    step = [s for s in files["skips.scn"]["steps"] if s["line"] == 5][0]
    if step["verdict"] != "skip" or "short-term pin" not in step["why"]:
        fail("diff --json skip entry: " + json.dumps(step))
    if doc["ok"] != (doc["differ"] == 0):
        fail("diff --json ok: " + out)


def case_skips():
    _, out, _ = run("run", "--host", scn("skips"), expect=0)
    for want in ["skips.scn:5: SKIP pin A buf 1 as S  [not expressible on the host: a short-term",
                 "skips.scn:6: SKIP unpin S  [depends on S, defined by the skipped step at line 5]",
                 "skips.scn:7: SKIP expect page A buf anon-exclusive  [not expressible on the "
                 "host: PageAnonExclusive",
                 "skips.scn:8: SKIP migrate A buf zone Normal  [not expressible on the host:",
                 "skips.scn:16: SKIP pin A buf 1 longterm as RO  [not expressible on the host: "
                 "a read-only long-term pin",
                 "skips.scn:17: SKIP expect page A buf present  [the frames of buf depend on "
                 "line 5, which the host skipped",
                 "skips.scn:18: PASS expect page A other present",
                 "skips.scn: 2 passed, 0 failed, 7 skipped"]:
        if want not in out:
            fail("missing %r in:\n%s" % (want, out))


def case_bad_input():
    # A writable long-term pin of a shared mapping of a disk file: the
    # host refuses it; the step names the call and the errno.
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "pinmm-host-bad-%d.scn" % os.getpid())
    with open(path, "w") as f:
        f.write("process A\nfile F disk size=4K\nmmap-file A map F 4K shared\n"
                "write A map \"x\"\npin A map 1 write longterm as P\n"
                "munmap A map+1 4K\n")
    try:
        _, out, _ = run("run", "--host", path, expect=1)
    finally:
        os.unlink(path)
    if "FAIL pin A map 1 write longterm as P  [IORING_REGISTER_BUFFERS: E" not in out:
        fail("the failing call is not named:\n" + out)
    if "FAIL munmap A map+1 4K  [munmap in A; failed with EINVAL]" not in out:
        fail("the failing system call is not named:\n" + out)


def agents_with(tag):
    """Pids of live processes whose environment holds @tag."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if tag.encode() in f.read():
                    with open("/proc/%s/stat" % pid) as s:
                        if s.read().split(")")[-1].split()[0] != "Z":
                            found.append(int(pid))
        except OSError:
            continue
    return found


def check_no_orphans(tag):
    # An agent killed by the runner is gone once the kernel has delivered
    # SIGKILL; give the kernel a bounded moment to finish that.
    for _ in range(100):
        left = agents_with(tag)
        if not left:
            return
        time.sleep(0.05)
    fail("processes of the run are still alive: %s" % left)


def orphan_run(expect, selfkill=None, name="orphans"):
    tag = "PINMM_TEST_TAG=" + uuid.uuid4().hex
    env = dict(os.environ)
    env["PINMM_TEST_TAG"] = tag.split("=", 1)[1]
    if selfkill:
        env["PINMM_HOST_SELFKILL"] = str(selfkill)
    p = subprocess.run([PINMM, "run", "--host", scn(name)], capture_output=True,
                       timeout=150, env=env)
    if p.returncode == SKIP:
        print("SKIP: " + p.stderr.decode().strip())
        sys.exit(SKIP)
    if p.returncode != expect:
        fail("exit %d, expected %d:\n%s" % (p.returncode, expect, p.stdout.decode()))
    check_no_orphans(tag)
    return p


def case_orphans_end():
    # A run that ends normally, its processes alive at the end.
    orphan_run(0, name="cow-fork")


def case_orphans_failing():
    # A failing step, processes (forks of forks) alive at the end.
    p = orphan_run(1)
    if b"orphans.scn:9: FAIL expect read C buf" not in p.stdout:
        fail("the failing step did not fail:\n" + p.stdout.decode())
    if b"orphans.scn:11: PASS" not in p.stdout:
        fail("the run stopped at the failing step:\n" + p.stdout.decode())


def case_orphans_sigterm():
    # The runner is terminated (SIGTERM) before line 9, with four agents
    # alive (two of them forked by other agents).
    orphan_run(-signal.SIGTERM, selfkill=9)


def read_pool():
    with open("/proc/sys/vm/nr_hugepages") as f:
        return int(f.read())


def case_hugetlb_pool():
    before = read_pool()
    _, out, _ = run("run", "--host", scn("hugetlb"), expect=0)
    after = read_pool()
    if before != after:
        fail("nr_hugepages %d before the run, %d after" % (before, after))
    if "PASS expect page A buf hugetlb" not in out and "SKIP hugepages" not in out:
        fail("neither ran nor skipped:\n" + out)


def read_swaps():
    with open("/proc/swaps") as f:
        return f.read()


def leftover_dirs():
    return sorted(d for d in os.listdir("/var/tmp") if d.startswith("pinmm-host-"))


def case_swap_cleanup():
    # The run's swap device is off and its file gone after a normal end
    # and after SIGTERM with pages swapped out (line 13: after pageout).
    before, dirs = read_swaps(), leftover_dirs()
    _, out, _ = run("run", "--host", scn("swap"), expect=0)
    if "SKIP swap on" in out:
        print("SKIP: the host cannot turn a swap file on: " + out.splitlines()[0])
        sys.exit(SKIP)
    if "PASS expect page A buf swapped" not in out:
        fail("the page was not swapped out:\n" + out)
    for selfkill in (None, 13):
        if selfkill:
            orphan_run(-signal.SIGTERM, selfkill=selfkill, name="swap")
        if read_swaps() != before:
            fail("/proc/swaps changed by the run:\n%s\nnow:\n%s" % (before, read_swaps()))
        if leftover_dirs() != dirs:
            fail("directories left behind: %s" % leftover_dirs())


def case_thp_switch():
    # The 64K switch the run sets is back to its value after a normal end
    # and after SIGTERM (line 7: after the switch was set).
    if not os.path.exists(MTHP64):
        print("SKIP: the host has no 64K THP size")
        sys.exit(SKIP)
    with open(MTHP64) as f:
        before = f.read()
    run("run", "--host", scn("mthp"), expect=0)
    orphan_run(-signal.SIGTERM, selfkill=7, name="mthp")
    with open(MTHP64) as f:
        after = f.read()
    if before != after:
        fail("hugepages-64kB/enabled was %r, is %r" % (before, after))


def case_env_skip():
    # `require zero-page`: the rest runs where the host maps the zero
    # page, and is skipped, naming line 6, where it does not.
    _, out, _ = run("run", "--host", "--json", scn("zero-page"), expect=0)
    steps = {st["line"]: st for st in json.loads(out)["steps"]}
    later = [steps[n] for n in (7, 8, 9, 10)]
    if steps[6]["status"] == "skip":
        for st in later:
            if st["status"] != "skip" or "since line 6" not in st["detail"]:
                fail("a step after the failed premise was not skipped: " + json.dumps(st))
    elif any(st["status"] not in ("ok", "pass") for st in later):
        fail("the premise held but a later step did not: " + out)


def case_diff_corpus():
    # The whole corpus agrees with the host, apart from declared
    # differences and what the host cannot express.
    corpus = os.path.join(HOST_DIR, "..", "..", "scenarios", "linux")
    files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".scn"))
    _, out, _ = run("diff", *files)
    last = out.strip().splitlines()[-1]
    print(last)
    if " 0 differ" not in last:
        fail("disagreements:\n" + "\n".join(l for l in out.splitlines()
                                             if "DIFFER" in l or l.startswith("    ")))


if os.geteuid() != 0:
    # pagemap shows PFNs, stat_refresh makes the pin counters exact and the
    # hugetlb pool can be raised only for root.
    print("SKIP: the host tests need root (pagemap PFNs, stat_refresh, the hugetlb pool)")
    sys.exit(SKIP)
CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
if CASE not in CASES:
    fail("unknown case " + CASE)
# The cases change machine-wide state (the real swap, THP switches, the
# hugetlb pool, host-wide pin counters) and compare it before and after:
# ctest's RESOURCE_LOCK orders them within one suite, this lock across
# suites run side by side (two build trees, a CI clone beside a checkout).
with open("/var/tmp/pinmm-host-tests.lock", "a") as machine_lock:
    fcntl.flock(machine_lock, fcntl.LOCK_EX)
    CASES[CASE]()
print("ok")
