# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline work: with the server stopped the console still shows the board
and says it is offline; a triage made offline shows as pending; when the
server is back (same data, same address) the write reaches it exactly once
(one audit row) and the pending mark clears; a console started while the
server is down paints the board from its cache."""

import time

import fqe2e
from fqe2e import check, log, wait_until


def summaries_on_board(table):
    return {cell for row in fqe2e.table_rows(table, limit=80) for cell in row}


def row_of(table, summary):
    for row in fqe2e.table_rows(table, limit=80):
        if summary in row:
            return row
    return None


def open_incident(main, summary, timeout=20):
    """Selects the board's row of @summary with the keyboard (Alt+1 puts the
    focus on the board, arrows move, Enter opens it in the triage pane) and
    returns the triage pane's heading."""
    fqe2e.focus_window(main)
    fqe2e.combo("<Alt>1")
    time.sleep(0.3)
    table = fqe2e.incident_table(main)
    rows = fqe2e.table_rows(table, limit=80)
    index = next((i for i, r in enumerate(rows) if summary in r), None)
    check(index is not None, "no row of %r on the board: %r" % (summary, rows))
    fqe2e.press("Home")
    for _ in range(index):
        fqe2e.press("Down")
    fqe2e.press("Return")
    return wait_until(lambda: fqe2e.find_by(
        main, lambda n: n.roleName == "label" and n.name == summary
        and _in_triage_pane(n), timeout=0.5), timeout,
        "the triage pane showing %r" % summary)


def pane_statuses(main):
    return [fqe2e.text_of(n) for n in fqe2e.find_all(main, roleName="status bar")]


def _in_triage_pane(node):
    # The pane's heading is outside the board's table.
    p = node.parent
    for _ in range(12):
        if p is None:
            return True
        if p.name in ("Incidents waiting for triage", "Tickets"):
            return False
        p = p.parent
    return True


def test(workdir, ctx):
    server = ctx["server"] = fqe2e.Server(workdir).start()
    categories = server.call("GET", "/categories")["categories"]
    category = next(c for c in categories if not c["police_only"])
    communities = [n for n in server.grid() if n["level"] == "community"]
    stamp = int(time.time())
    incidents = []
    for i in range(3):
        incidents.append(server.post_incident(
            "e2e offline %d %d" % (i, stamp), communities[(i + 1) * 97]["code"],
            category=category["code"], caller_phone="1370000%04d" % i))
    summaries = [x["summary"] for x in incidents]

    console, main = fqe2e.start_signed_in(workdir, server)
    ctx["consoles"].append(console)
    table = fqe2e.incident_table(main)
    wait_until(lambda: set(summaries) <= summaries_on_board(table), 20,
               "the three incidents on the board")

    # 1. The server goes away: the board stays, the header says offline.
    server.stop()
    wait_until(lambda: fqe2e.connection_text(main).startswith("Offline"), 45,
               "the header to say Offline")
    log("indicator:", fqe2e.connection_text(main))
    check(set(summaries) <= summaries_on_board(table),
          "rows left the board when the server stopped: %r" % summaries_on_board(table))

    # 2. A triage made offline is pending.
    target = incidents[0]
    open_incident(main, target["summary"])
    submit = fqe2e.button(main, "Submit Triage")
    check(submit.sensitive, "Submit Triage is not available offline")
    submit.doActionNamed("click")
    wait_until(lambda: "1 change to send" in fqe2e.connection_text(main), 10,
               "the header to count 1 change to send")
    pane_status = wait_until(lambda: [t for t in pane_statuses(main) if "waiting" in t], 10,
                             "the triage pane to say the triage waits for the server")
    log("pending: indicator %r, triage pane %r" % (fqe2e.connection_text(main), pane_status))
    # The row of a pending triage stays on the board, marked as sending when
    # its Status column is shown (the Awaiting triage view hides it).
    row = row_of(table, target["summary"])
    check(row is not None, "the row of the pending triage left the board while offline")
    log("pending row:", row)

    # 3. The server comes back on the same data and address.
    server.start()
    wait_until(lambda: fqe2e.connection_text(main).startswith("Online"), 60,
               "the console to be online again")
    wait_until(lambda: "to send" not in fqe2e.connection_text(main), 30,
               "the pending count to clear")
    wait_until(lambda: not any("sending" in c for c in (row_of(table, target["summary"]) or [])),
               30, "the row's pending mark to clear")
    now = server.call("GET", "/incidents/" + target["id"])
    check(now["status"] == "triaged", "the incident is %r on the server, not triaged"
          % now["status"])
    check(now["decision"] is not None, "the incident has no decision on the server")
    audit = server.list_all("/audit?entity_id=" + target["id"], "entries", user="admin")
    triages = [a for a in audit if a.get("method") == "POST"
               and str(a.get("path", "")).endswith("/triage")]
    log("audit rows of the triage:", triages)
    check(len(triages) == 1, "the offline triage reached the server %d times, not once: %r"
          % (len(triages), triages))
    check(200 <= int(triages[0].get("status", 0)) < 300,
          "the server refused the replayed triage: %r" % triages[0])
    for other in incidents[1:]:
        check(server.call("GET", "/incidents/" + other["id"])["status"] == "new",
              "incident %s was triaged without being asked" % other["id"])

    # 4. Quit, stop the server, start again: the board comes from the cache.
    console.quit()
    server.stop()
    console2 = fqe2e.Console(workdir, server.url)
    ctx["consoles"].append(console2)
    console2.start()
    main2 = console2.window("Fengqiao", timeout=30)
    table2 = fqe2e.incident_table(main2)
    rest = {x["summary"] for x in incidents[1:]}
    wait_until(lambda: rest <= summaries_on_board(table2), 15,
               "the untriaged incidents painted from the cache with the server down")
    text = fqe2e.connection_text(main2)
    log("restarted offline, indicator:", text)
    check(not text.startswith("Online"), "the console says %r with the server down" % text)


if __name__ == "__main__":
    fqe2e.run(test)
