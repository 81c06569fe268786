# SPDX-License-Identifier: GPL-3.0-or-later
"""An incident posted by another client (HTTP, as `operator`) appears on the
board within one second, with no user action: the row's text is read
through AT-SPI, as a screen reader reads it."""

import time

import fqe2e
from fqe2e import check, log, wait_until

LIMIT = 1.0  # seconds, from the server's answer to the row on the board


def find_row(table, summary):
    for row in fqe2e.table_rows(table, limit=60):
        if summary in row:
            return row
    return None


def test(workdir, ctx):
    server = ctx["server"] = fqe2e.Server(workdir).start()
    communities = [n for n in server.grid() if n["level"] == "community"]
    check(len(communities) > 0, "the server's grid has no community")
    place = communities[len(communities) // 2]
    street = next(n for n in server.grid() if n["code"] == place["parent"])

    # One incident before the console starts, so that the board has a row.
    first = server.post_incident("e2e live board: before start", place["code"])

    console, main = fqe2e.start_signed_in(workdir, server)
    ctx["consoles"].append(console)
    table = fqe2e.incident_table(main)
    wait_until(lambda: find_row(table, first["summary"]), 20,
               "the incident posted before the start on the board")
    # Keep the pointer off the board: with the pointer over the list the
    # board announces new rows instead of scrolling (fq-incident-board.c).
    fqe2e.at()[1].point(0, 999)
    count_before = fqe2e.incoming_count(main)
    log("board ready; incoming count", count_before)

    delays = []
    for i in range(3):
        summary = "e2e live board %d %d" % (i, int(time.time()))
        incident = server.post_incident(summary, place["code"], caller_phone="1390000%04d" % i)
        posted = time.monotonic()
        row = wait_until(lambda: find_row(table, summary), 10,
                         "the row of %s on the board" % incident["id"], interval=0.01)
        delay = time.monotonic() - posted
        delays.append(delay)
        log("row of %s seen after %.3f s: %r" % (incident["id"], delay, row))
        # The row reads as a screen reader must read it: the summary, the
        # source, the place as "street / community".
        check("110" in row, "the row does not show the source 110: %r" % (row,))
        check(any(cell.startswith(street["name"] + " / ") for cell in row),
              "the row does not show the place %s / %s: %r"
              % (street["name"], place["name"], row))
        check(delay <= LIMIT, "incident %s reached the board after %.3f s (limit %.1f s)"
              % (incident["id"], delay, LIMIT))

    # The tab's accessible name counts them too.
    wait_until(lambda: fqe2e.incoming_count(main) == count_before + 3, 5,
               "the Incoming tab to count %d incidents" % (count_before + 3))
    log("delays: %s" % ", ".join("%.3f s" % d for d in delays))


if __name__ == "__main__":
    fqe2e.run(test)
