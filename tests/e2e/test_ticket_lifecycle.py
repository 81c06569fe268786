# SPDX-License-Identifier: GPL-3.0-or-later
"""A ticket's life in two consoles, as people work it.

A coordinator opens a fresh ticket in one console. In a second console the
street office's staff (the demo `unit` user) open it, accept it, report
progress and resolve it, each through the pane's action bar and forms. The
coordinator's pane follows live: the resolution appears without reopening
anything and the Close action is offered; the coordinator closes it with
satisfaction 4 after the callback. The timeline then shows every step, and
on each milestone the time it took ("Dispatch → accepted …")."""

import os
import time

import fqe2e
from fqe2e import check, log, wait_until

STREET_UNIT = "street_office-420204004000"
GRID = "420204004011"


def act(main, action, note=None):
    """Takes @action from the pane's action bar; fills the note if given;
    confirms with the form's Confirm button."""
    actions = fqe2e.find(main, name="Actions you may take now", timeout=10,
                         what="the ticket pane's action bar")
    fqe2e.button(actions, action, timeout=20).doActionNamed("click")
    time.sleep(0.4)
    if note is not None:
        # The form opens with the focus in its note field.
        fqe2e.type_text(note)
    fqe2e.button(main, "Confirm").doActionNamed("click")


def open_only_ticket(main, ticket_id, timeout=40):
    """Opens the one ticket of this fresh server with the keyboard: Alt+2
    shows the tickets with the focus in the table, Home and Enter open the
    first row. Asked again until the pane shows it (the keys may reach a
    window that is not on top yet)."""
    def opened():
        fqe2e.focus_window(main)
        fqe2e.combo("<Alt>2")
        time.sleep(0.5)
        fqe2e.press("Home")
        fqe2e.press("Return")
        try:
            return wait_until(lambda: fqe2e.ticket_kicker(main).startswith("Ticket %s " % ticket_id),
                              3, "the pane on %s" % ticket_id)
        except fqe2e.TestFailure:
            log("not yet; the window's ticket labels:",
                [n.name for n in fqe2e.find_all(main, roleName="label")
                 if n.name and n.name.startswith("Ticket")][:6])
            return None
    return wait_until(opened, timeout, "the ticket pane showing %s" % ticket_id, interval=0.5)


def test(workdir, ctx):
    server = ctx["server"] = fqe2e.Server(workdir).start()
    categories = server.call("GET", "/categories")["categories"]
    category = next(c for c in categories if not c["police_only"])
    title = "e2e lifecycle %d" % int(time.time())
    incident = server.post_incident(title, GRID, source="12345", category=category["code"],
                                    caller_phone="13912345678")
    answer = server.call("POST", "/incidents/%s/triage" % incident["id"],
                         {"decision": "divert", "category": category["code"], "grid": GRID,
                          "rev": incident["rev"], "lead_unit": STREET_UNIT},
                         user="coordinator")
    ticket_id = answer["ticket"]["id"]
    log("ticket", ticket_id, "dispatched to", STREET_UNIT)

    # The coordinator's console, with the ticket open. It is started first:
    # without a window manager the newest window is on top and takes the
    # keys, and the coordinator's keys come last.
    coord, coord_main = fqe2e.start_signed_in(os.path.join(workdir, "coordinator"), server,
                                              user="coordinator")
    ctx["consoles"].append(coord)
    open_only_ticket(coord_main, ticket_id)
    wait_until(lambda: fqe2e.ticket_kicker(coord_main).endswith("· Dispatched"), 20,
               "the coordinator's pane to show the ticket dispatched")

    # The unit's console: accept, report progress, resolve.
    # The console is a unique application: the second one gets a session
    # bus of its own.
    bus = fqe2e.SecondSessionBus()
    try:
        run_unit(workdir, ctx, server, bus, title, ticket_id, coord_main)
    finally:
        bus.stop()
    log("unit: accepted, reported progress, resolved")
    finish(ctx, server, coord_main, ticket_id)


def run_unit(workdir, ctx, server, bus, title, ticket_id, coord_main):
    unit, unit_main = fqe2e.start_signed_in_env(os.path.join(workdir, "unit"), server, "unit",
                                                bus.env())
    ctx["consoles"].append(unit)
    open_only_ticket(unit_main, ticket_id)
    act(unit_main, "Accept")
    wait_until(lambda: server.call("GET", "/tickets/" + ticket_id)["state"] == "accepted", 20,
               "the ticket accepted on the server")
    act(unit_main, "Report Progress", "visited the site, owner agrees to clear the passage")
    wait_until(lambda: any(e["kind"] == "progress"
                           for e in server.call("GET", "/tickets/" + ticket_id)["events"]),
               20, "the progress report on the server")
    act(unit_main, "Resolve", "passage cleared, fire door reopened")
    wait_until(lambda: server.call("GET", "/tickets/" + ticket_id)["state"] == "resolved", 20,
               "the ticket resolved on the server")

    # The coordinator's pane followed without being touched.
    wait_until(lambda: fqe2e.ticket_kicker(coord_main).endswith("· Resolved"), 30,
               "the resolution to appear live in the coordinator's pane")
    wait_until(lambda: any(r.startswith("Resolved,") for r in fqe2e.timeline_rows(coord_main)),
               30, "the resolution in the coordinator's timeline")
    log("coordinator sees:", fqe2e.ticket_kicker(coord_main))

    # The unit's console goes away, so that the coordinator's window takes
    # the keys.
    unit.quit()


def finish(ctx, server, coord_main, ticket_id):
    # The coordinator closes with satisfaction 4 after the callback.
    fqe2e.focus_window(coord_main)
    # The action in the pane's action bar, not the window's close button.
    actions = fqe2e.find(coord_main, name="Actions you may take now", timeout=10,
                         what="the ticket pane's action bar")
    fqe2e.find_by(actions, lambda n: n.roleName == "push button" and n.name == "Close",
                  timeout=20, what="the Close action").doActionNamed("click")
    time.sleep(0.4)
    # The form opens with the focus on the satisfaction (5): one step down.
    fqe2e.press("Down")
    fqe2e.button(coord_main, "Confirm").doActionNamed("click")
    closed = wait_until(lambda: (lambda t: t if t["state"] == "closed" else None)(
        server.call("GET", "/tickets/" + ticket_id)), 20, "the ticket closed on the server")
    check(closed["satisfaction"] == 4, "closed with satisfaction %r, not 4" % closed["satisfaction"])
    wait_until(lambda: fqe2e.ticket_kicker(coord_main).endswith("· Closed"), 30,
               "the coordinator's pane to show the ticket closed")

    # The timeline: each step, and the time each milestone took.
    def complete():
        rows = fqe2e.timeline_rows(coord_main)
        return rows if any(r.startswith("Closed,") for r in rows) else None
    rows = wait_until(complete, 30, "the closing in the timeline")
    for r in rows:
        log("timeline:", r)
    expected = [("Dispatched,", "Sent to "),
                ("Accepted,", "Dispatch → accepted "),
                ("Progress,", None),
                ("Resolved,", "Accepted → resolved "),
                ("Closed,", "Resolved → closed ")]
    at = 0
    for start, step in expected:
        found = next((i for i in range(at, len(rows)) if rows[i].startswith(start)), None)
        check(found is not None, "no %r row after row %d in the timeline %r" % (start, at, rows))
        if step is not None:
            check(step in rows[found], "the %r row does not say %r: %r" % (start, step, rows[found]))
        at = found + 1
    check("Satisfaction 4 of 5" in rows[at - 1], "the closing row lacks the satisfaction: %r"
          % rows[at - 1])
    check(any("visited the site" in r for r in rows), "the progress note is not in the timeline")
    # Who resolved it, by the name the unit's account goes by, not the account.
    names = {u["username"]: u["display_name"]
             for u in server.call("GET", "/users", user="admin")["users"]}
    resolved = next(r for r in rows if r.startswith("Resolved,"))
    check(names["unit"] in resolved and ", unit" not in resolved and "· unit" not in resolved,
          "the resolution does not name %r: %r" % (names["unit"], resolved))


if __name__ == "__main__":
    fqe2e.run(test)
