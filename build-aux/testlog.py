#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads a meson testlog.json for build-aux/check.sh and check-sanitize.sh.

  testlog.py summary TESTLOG [--report-pattern RE] [--extra-failed N]
      prints "N passed, N failed, N skipped"; with --report-pattern a test
      whose output matches RE counts as failed (a sanitizer report) and is
      named on stderr; --extra-failed adds N failures (report files of
      processes no test looked at). Exits 1 when anything failed.

  testlog.py failures TESTLOG [LABEL]
      prints, for each test that did not pass, its name, result, duration
      and the last lines of its output: the end of a CI log is often all
      that is kept, so the run repeats there what failed and why.

A missing testlog counts as one failure: meson test did not get to run.
"""
import json
import re
import sys

PASSED = ("OK", "EXPECTEDFAIL")
TAIL_LINES = 40


def read_tests(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def output_of(test):
    return (test.get("stdout") or "") + (test.get("stderr") or "")


def summary(path, pattern=None, extra_failed=0):
    report = re.compile(pattern) if pattern else None
    passed = failed = skipped = 0
    reported = []
    try:
        for test in read_tests(path):
            result = test.get("result")
            if report is not None and report.search(output_of(test)):
                reported.append(test.get("name"))
                if result in PASSED or result == "SKIP":
                    result = "SANITIZER"
            if result in PASSED:
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
    except FileNotFoundError:
        failed += 1
    failed += extra_failed
    for name in reported:
        print(f"check-sanitize: sanitizer report in the log of {name}", file=sys.stderr)
    if report is not None:
        print(f"sanitizer build: {len(reported)} test(s) with a sanitizer report, "
              f"{extra_failed} report file(s) of end-to-end processes")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


def failures(path, label):
    try:
        tests = list(read_tests(path))
    except FileNotFoundError:
        print(f"{label}: no test log ({path}); the tests did not run")
        return 1
    bad = [t for t in tests if t.get("result") not in PASSED and t.get("result") != "SKIP"]
    for test in bad:
        duration = test.get("duration") or 0
        print(f"{label}: {test.get('name')}: {test.get('result')} after {duration:.1f} s")
        lines = output_of(test).rstrip("\n").split("\n")
        for line in lines[-TAIL_LINES:]:
            print(f"  | {line}")
    return 1 if bad else 0


def main(argv):
    if len(argv) < 3 or argv[1] not in ("summary", "failures"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "failures":
        return failures(argv[2], argv[3] if len(argv) > 3 else "failed")
    pattern = None
    extra = 0
    rest = argv[3:]
    while rest:
        option = rest.pop(0)
        if option == "--report-pattern" and rest:
            pattern = rest.pop(0)
        elif option == "--extra-failed" and rest:
            extra = int(rest.pop(0))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    return summary(argv[2], pattern, extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
