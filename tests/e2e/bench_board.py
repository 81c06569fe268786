# SPDX-License-Identifier: GPL-3.0-or-later
"""Console benchmark with the real window: a cache of 1,000,000 incidents,
then process start to the first row of the board exposed over AT-SPI, the
console's memory (RSS), and the text filter per keystroke (from the key
event to the new count in the Incoming tab's accessible name). With
FQ_TRACE_STARTUP=1 the console also prints its own moments to its log
("fengqiao: first-paint <ms>", "fengqiao: filter-key <ms>", "fengqiao:
filter-applied <ms>", "fengqiao: filter-painted <ms>", in ms since
its process start), which the table gives too. Prints a
table; fails only on a real error, not on a missed figure.

FQ_BENCH_INCIDENTS overrides the number of incidents (default 1000000).
FQ_BENCH_PERF=FILE records a profile of the console while it filters
(`perf record --call-graph dwarf` attached to it, written to FILE: the
distribution's libraries have no frame pointers), when perf is installed.
Besides wall times, the table gives the console's CPU time per key (all its
threads, from /proc), which a busy machine stretches much less.

The cache is made as the console makes it: the console signs in once and
syncs one real incident, then that row is copied, with new ids, times,
places and summaries, in one transaction into the same table.
"""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time

import fqe2e
from fqe2e import check, log, wait_until

N = int(os.environ.get("FQ_BENCH_INCIDENTS", "1000000"))
QUERY = "k4271"  # typed one key at a time into the board's search


def cache_file(workdir, server, user):
    folder = os.path.join(workdir, "xdg-cache", "fengqiao")
    host_port = "%s-%d" % ("127.0.0.1", server.port)
    want = "%s-%s.db" % (host_port, user)
    path = os.path.join(folder, want)
    if os.path.exists(path):
        return path
    found = [f for f in os.listdir(folder) if f.endswith(".db")] if os.path.isdir(folder) else []
    check(len(found) == 1, "expected the console's cache %s, found %r" % (want, found))
    return os.path.join(folder, found[0])


def fill_cache(path, template_id, communities, n):
    """Copies the incident @template_id @n times, newest first from now."""
    db = sqlite3.connect(path, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    cols = [r[1] for r in db.execute("PRAGMA table_info(incidents)")]
    row = db.execute("SELECT %s FROM incidents WHERE id = ?" % ", ".join(cols),
                     (template_id,)).fetchone()
    check(row is not None, "the synced incident %s is not in the console's cache (columns %r)"
          % (template_id, cols))
    template = dict(zip(cols, row))
    base_json = json.loads(template["json"]) if template.get("json") else None
    now = int(time.time())
    rnd = random.Random(4202)
    expected = {}  # prefix of QUERY -> rows whose summary contains it

    def rows():
        for i in range(n):
            place = communities[i % len(communities)]
            received = now - 60 - i * 7
            token = "k%04d" % rnd.randrange(10000)
            summary = "bench call %07d %s" % (i, token)
            for k in range(1, len(QUERY) + 1):
                if QUERY[:k] in summary:
                    expected[k] = expected.get(k, 0) + 1
            values = dict(template)
            values["id"] = "B%07d" % i
            values["received_at"] = received
            values["grid"] = place
            values["summary"] = summary
            if "address" in values:
                values["address"] = "%d Bench Road" % (i % 997)
            if "rev" in values:
                values["rev"] = 1
            if base_json is not None:
                j = dict(base_json)
                j.update({"id": values["id"], "grid": place, "summary": summary,
                          "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(received)),
                          "address": values.get("address"), "rev": 1})
                values["json"] = json.dumps(j, ensure_ascii=False)
            yield tuple(values[c] for c in cols)

    t0 = time.monotonic()
    with db:
        db.executemany("INSERT OR REPLACE INTO incidents (%s) VALUES (%s)"
                       % (", ".join(cols), ", ".join("?" * len(cols))), rows())
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return time.monotonic() - t0, expected


def markers(console, what, offset=0):
    """The console's FQ_TRACE_STARTUP lines "fengqiao: @what <ms>" in its log
    from byte @offset on, as milliseconds since its process start."""
    try:
        with open(console.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    prefix = "fengqiao: %s " % what
    return [float(line[len(prefix):]) for line in text.splitlines()
            if line.startswith(prefix) and line[len(prefix):].strip().replace(".", "", 1).isdigit()]


def cpu_s(pid):
    """User and system CPU time of process @pid, all threads, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_perf(pid):
    out = os.environ.get("FQ_BENCH_PERF")
    if not out or shutil.which("perf") is None:
        return None
    proc = subprocess.Popen(["perf", "record", "--call-graph", "dwarf,16384", "-F", "499", "-p", str(pid), "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return proc


def stop_perf(proc):
    if proc is not None:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


def log_size(console):
    try:
        return os.path.getsize(console.log_path)
    except OSError:
        return 0


def first_row_time(console, table_path, main_title="Fengqiao"):
    """Seconds from the process start to the first board row exposed over
    AT-SPI. The table is reached by its index path (recorded on the first
    start), so that each poll costs a few round trips, not a tree search."""
    def first_row():
        for w in console.app.children:
            if w.name == main_title:
                table = fqe2e.follow(w, table_path)
                if table is not None and table.name == "Incidents waiting for triage" \
                        and fqe2e.table_rows(table, limit=1):
                    return w, table
        return None
    main, table = wait_until(first_row, 180, "a first row on the board", interval=0.01)
    return time.monotonic() - console.started_at, main, table


def test(workdir, ctx):
    server = ctx["server"] = fqe2e.Server(workdir).start()
    categories = server.call("GET", "/categories")["categories"]
    category = next(c for c in categories if not c["police_only"])
    communities = [x["code"] for x in server.grid() if x["level"] == "community"]
    seed = server.post_incident("bench seed", communities[0], category=category["code"])

    # 1. The console makes its cache (schema, reference data, one incident).
    console, main = fqe2e.start_signed_in(workdir, server)
    ctx["consoles"].append(console)
    table = fqe2e.incident_table(main)
    wait_until(lambda: any("bench seed" in r for r in fqe2e.table_rows(table, limit=5)), 30,
               "the seed incident on the board")
    table_path = fqe2e.node_path(main, table)
    console.quit()
    path = cache_file(workdir, server, "operator")

    # 2. A million incidents in it.
    fill_s, expected = fill_cache(path, seed["id"], communities, N)
    size_mb = os.path.getsize(path) / 1e6
    log("cache filled: %d incidents in %.1f s, %.0f MB" % (N, fill_s, size_mb))

    # 3. Start again: the console restores the session and paints the board
    #    from its cache. (If it cannot, because it exits before opening a
    #    window, the session is dropped and it signs in through its window:
    #    then the time is also given from the Enter that signs in.)
    results = []
    trace_env = {"FQ_TRACE_STARTUP": "1"}
    for attempt in range(2):
        console = fqe2e.Console(workdir, server.url, extra_env=trace_env)
        ctx["consoles"].append(console)
        how = "restored session"
        log_offset = log_size(console)
        try:
            console.start()
            t_first, main, table = first_row_time(console, table_path)
        except fqe2e.ConsoleExited as e:
            log("no start from the saved session (%s): signing in instead" % e)
            how = "sign-in"
            shutil.rmtree(os.path.join(workdir, "xdg-config", "fengqiao", "sessions"),
                          ignore_errors=True)
            console = fqe2e.Console(workdir, server.url, extra_env=trace_env)
            ctx["consoles"].append(console)
            log_offset = log_size(console)
            console.start()
            fqe2e.sign_in(console, "operator", timeout=180)
            t_first, main, table = first_row_time(console, table_path)
        t_signin = (console.signed_in_at - console.started_at) if console.signed_in_at else None
        paint = wait_until(lambda: markers(console, "first-paint", log_offset), 30,
                           "the console's first-paint marker")[0] / 1000.0
        time.sleep(2.0)
        rss = console.rss_kib()
        results.append((t_first, t_signin, rss, how, paint))
        log("start %d (%s): first paint after %.3f s, first row over AT-SPI after %.3f s, "
            "RSS %.0f MB" % (attempt + 1, how, paint, t_first, rss / 1024))
        if attempt == 0:
            console.quit()

    # The rest of the cache is read after the first paint: typing starts
    # once all of it is on the board.
    count_all = wait_until(lambda: (lambda c: c if c is not None and c >= N else None)(
        fqe2e.incoming_count(main)), 180, "all incidents on the board")
    log("incoming count:", count_all)

    # 4. Text filter: one key at a time, time to the new count.
    fqe2e.focus_window(main)
    fqe2e.combo("<Control>f")
    time.sleep(0.5)
    per_key = []
    previous = count_all
    perf = start_perf(console.proc.pid)
    for k, ch in enumerate(QUERY, start=1):
        n_applied = len(markers(console, "filter-applied", log_offset))
        n_keys = len(markers(console, "filter-key", log_offset))
        # The last key's work, the redraw included, is over.
        time.sleep(0.5)
        c0 = cpu_s(console.proc.pid)
        t0 = time.monotonic()
        fqe2e.type_text(ch)
        try:
            wait_until(lambda: len(markers(console, "filter-applied", log_offset)) > n_applied,
                       30, "the filter-applied marker after typing %r" % QUERY[:k],
                       interval=0.002)
            t_applied = time.monotonic() - t0
        except fqe2e.TestFailure:
            t_applied = None
        try:
            count = wait_until(lambda: (lambda c: c if c is not None and c != previous else None)(
                fqe2e.incoming_count(main)), 30, "the count after typing %r" % QUERY[:k],
                interval=0.005)
        except fqe2e.TestFailure:
            count = previous
        dt = time.monotonic() - t0
        # The frame that shows the result, and the AT-SPI work, included.
        time.sleep(0.4)
        cpu = cpu_s(console.proc.pid) - c0
        # The console's own clock: the key reaching the search entry to the
        # frame that shows its result.
        keys = markers(console, "filter-key", log_offset)[n_keys:]
        painted = [m for m in markers(console, "filter-painted", log_offset)
                   if keys and m >= keys[0]]
        t_painted = (painted[0] - keys[0]) / 1000.0 if keys and painted else None
        per_key.append((QUERY[:k], dt, count, expected.get(k, 0), t_applied, cpu, t_painted))
        log("typed %r: applied after %s s, count after %.3f s, console CPU %.3f s, %s rows "
            "(expected %s)" % (QUERY[:k], "%.3f" % t_applied if t_applied is not None else "?",
                               dt, cpu, count, expected.get(k, 0)))
        previous = count
    stop_perf(perf)
    rss_after = console.rss_kib()

    print()
    print("| console, %d incidents in the cache | figure |" % N)
    print("| --- | --- |")
    print("| cache file | %.0f MB (filled in %.1f s) |" % (size_mb, fill_s))
    for i, (t, t_signin, rss, how, paint) in enumerate(results, start=1):
        print("| start %d (%s): process start to first paint with rows (console's marker) "
              "| %.3f s |" % (i, how, paint))
        print("| start %d (%s): process start to first board row (AT-SPI) | %.3f s |"
              % (i, how, t))
        if t_signin is not None:
            print("| start %d: Enter on the sign-in window to first board row | %.3f s |"
                  % (i, t - t_signin))
        print("| start %d: RSS 2 s after the first row | %.0f MB |" % (i, rss / 1024))
    print("| incoming count shown | %s |" % count_all)
    for text, dt, count, exp, applied, cpu, painted in per_key:
        print("| filter %r: console CPU time for the key (all threads, 0.4 s after the count) "
              "| %.3f s |" % (text, cpu))
        if painted is not None:
            print("| filter %r: key in the search entry to the frame showing the result "
                  "(console's markers) | %.3f s |" % (text, painted))
        if applied is not None:
            print("| filter %r: key to result applied to the model (console's marker) | %.3f s |"
                  % (text, applied))
        print("| filter %r: key to new count (AT-SPI) | %.3f s (%s rows, %s expected by substring) |"
              % (text, dt, count, exp))
    print("| RSS after filtering | %.0f MB |" % (rss_after / 1024))
    check(results[-1][0] < 120, "no board within two minutes")


if __name__ == "__main__":
    fqe2e.run(test)
