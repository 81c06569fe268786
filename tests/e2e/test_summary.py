# SPDX-License-Identifier: GPL-3.0-or-later
"""The leaders' summary as a leader uses it, through AT-SPI:

- Ctrl+Shift+M opens the summary; the "Non-police disputes" tile reads the
  server's figure for the period, with its comparisons;
- activating the tile ("explain this number") shows the board with exactly
  the disputes made in this test: the banner counts them and the table
  lists exactly their summaries, no police matter and nothing untriaged;
- F11 turns wall mode on (the summary first) and off again."""

import re
import time

import fqe2e
from fqe2e import check, log, wait_until

GRID = "420204004011"  # 广州路社区居委会


def tile(main, title):
    """A summary tile: a button whose accessible name starts with its
    title, e.g. "Non-police disputes: 6. …"."""
    return fqe2e.find_by(main, lambda n: n.roleName in ("push button", "button")
                         and (n.name or "").startswith(title + ":"), timeout=30,
                         what="the tile %r" % title)


def test(workdir, ctx):
    server = ctx["server"] = fqe2e.Server(workdir).start()
    categories = server.call("GET", "/categories")["categories"]
    category = next(c for c in categories if not c["police_only"])["code"]
    stamp = int(time.time())
    plan = ["police", "on_scene", "mediate", "divert", "divert", "police", "on_scene", None]
    disputes = set()
    for i, decision in enumerate(plan):
        summary = "e2e summary %d %d" % (stamp, i)
        incident = server.post_incident(summary, GRID, category=category)
        if decision is None:
            continue
        server.call("POST", "/incidents/%s/triage" % incident["id"],
                    {"decision": decision, "category": category, "grid": GRID,
                     "rev": incident["rev"]})
        if decision != "police":
            disputes.add(summary)
    log("made %d incidents, %d of them disputes" % (len(plan), len(disputes)))

    console, main = fqe2e.start_signed_in(workdir, server, user="leader")
    ctx["consoles"].append(console)
    fqe2e.focus_window(main)
    fqe2e.combo("<Control><Shift>m")

    # The tile reads the figure: the disputes of this test are all there is
    # this month on a quiet server.
    node = wait_until(lambda: re.match(r"Non-police disputes: (\d+)\.",
                                       tile(main, "Non-police disputes").name), 30,
                      "the disputes tile to show a number")
    shown = int(node.group(1))
    name = tile(main, "Non-police disputes").name
    log("tile:", name)
    check(shown == len(disputes), "the tile says %d disputes, %d were made" % (shown, len(disputes)))
    check("Previous period" in name and "Last year" in name,
          "the tile does not say its comparisons: %r" % name)

    # Explain this number.
    tile(main, "Non-police disputes").doActionNamed("click")
    banner = fqe2e.find_by(main, lambda n: n.roleName == "label"
                           and re.search(r"Non-police disputes · .*: \d+ records?", n.name or ""),
                           timeout=30, what="the board's banner for the disputes")
    log("banner:", banner.name)
    count = int(re.search(r": (\d+) records?", banner.name).group(1))
    check(count == len(disputes), "the banner counts %d records, not %d" % (count, len(disputes)))
    table = fqe2e.incident_table(main)

    def listed():
        rows = fqe2e.table_rows(table, limit=50)
        found = {cell for row in rows for cell in row if cell.startswith("e2e summary")}
        return found if found == disputes else None

    wait_until(listed, 20, "the board to list exactly the disputes %s" % sorted(disputes))
    log("the board lists exactly the %d disputes" % len(disputes))
    fqe2e.button(main, "Show All").doActionNamed("click")

    # Wall mode: on, the summary first (the board is shown now); off again.
    def summary_selected():
        tab = fqe2e.find_by(main, lambda n: n.roleName == "page tab" and n.name == "Summary",
                            timeout=10, what="the Summary tab")
        return "selected" in fqe2e.states(tab)

    check(not summary_selected(), "the board is not shown after explaining a number")
    fqe2e.focus_window(main)
    fqe2e.press("F11")
    wait_until(summary_selected, 20, "wall mode to show the summary")
    fqe2e.press("F11")
    fqe2e.pump(0.5)
    log("wall mode on and off")


if __name__ == "__main__":
    fqe2e.run(test)
