#!/usr/bin/env python3
"""check_errors_doc.py DOC TEST_C - docs/errors.md and tests/unit/test_errors.c
name the same rows: every table row `| name | call | bad input | ERRNO |` of
the document has a ROW(name, call, bad input, -ERRNO) in the test with
the same call and errno, and every ROW of the test is in the document."""
import re
import sys

doc_path, test_path = sys.argv[1:3]
doc = open(doc_path, encoding="utf-8").read()
test = open(test_path, encoding="utf-8").read()

doc_rows = {}
for m in re.finditer(r"^\| `(\w+)` \| `(\w+)` \| ((?:[^|\\]|\\.)+) \| (-?\w+) \|\s*$", doc, re.M):
    name, call, _what, err = m.groups()
    if name in doc_rows:
        sys.exit("errors.md: row %s twice" % name)
    doc_rows[name] = (call, err.lstrip("-"))

test_rows = {}
for m in re.finditer(r'ROW\((\w+), "(\w+)",\s*"[^"]*",\s*(-?\w+)\)', test):
    name, call, err = m.groups()
    test_rows[name] = (call, err.lstrip("-"))

problems = []
for name, row in sorted(doc_rows.items()):
    if name not in test_rows:
        problems.append("errors.md row %s has no test" % name)
    elif test_rows[name] != row:
        problems.append("row %s: errors.md says %s, the test %s" % (name, row, test_rows[name]))
for name in sorted(set(test_rows) - set(doc_rows)):
    problems.append("test row %s is not in errors.md" % name)
if not doc_rows:
    problems.append("no rows found in errors.md")
for p in problems:
    print(p)
if problems:
    sys.exit(1)
print("ok: %d rows" % len(doc_rows))
