# SPDX-License-Identifier: GPL-3.0-or-later
"""A convening session (吹哨报到) in two consoles, as a meeting runs.

A coordinator blows the whistle from a ticket: the dialog proposes four
units (the ticket's lead unit, the category's supporting department, the
street office and the community committee of the place) and the session
is called. The street office's staff (the demo `unit` user) report in from
a second console, and the coordinator's roster shows it within a second.
The coordinator checks two more units in with one click each, marks the
fourth absent, records a decision and two action items, and concludes. The
server holds exactly that. From a second coordinator's console, the session's
menu opens its ticket on the board; the ticket's timeline shows the whistle,
the check-ins and the consensus with its duration."""

import os
import time

import fqe2e
from fqe2e import check, log, wait_until

GRID = "420204004011"                     # 广州路社区, 团城山街道
STREET_UNIT = "street_office-420204004000"
CATEGORY = "G02"                          # 违章搭建纠纷: urban management leads


def session_of(server, ticket_id):
    sessions = server.call("GET", "/sessions?ticket=" + ticket_id, user="coordinator")["sessions"]
    return sessions[0] if sessions else None


def status_of(session, unit):
    return next(i["status"] for i in session["invitees"] if i["unit"] == unit)


def open_ticket(main, title):
    """fqe2e.open_ticket(), once more if the first keys went astray (the
    board may still be settling after the start)."""
    try:
        return fqe2e.open_ticket(main, title)
    except fqe2e.ConsoleExited:
        raise
    except fqe2e.TestFailure as e:
        log("opening the ticket again:", e)
        return fqe2e.open_ticket(main, title)


def test(workdir, ctx):
    try:
        run_session(workdir, ctx)
    finally:
        fqe2e.stop_buses(ctx)


def run_session(workdir, ctx):
    server = ctx["server"] = fqe2e.Server(workdir).start()
    title = "彩钢棚堵塞消防通道 %d" % int(time.time())
    incident = server.post_incident(title, GRID, source="12345", category=CATEGORY,
                                    caller_phone="13912345678")
    answer = server.call("POST", "/incidents/%s/triage" % incident["id"],
                         {"decision": "divert", "category": CATEGORY, "grid": GRID,
                          "rev": incident["rev"]}, user="coordinator")
    ticket_id = answer["ticket"]["id"]
    units = {u["id"]: u["name"] for u in server.call("GET", "/units")["units"]}
    log("ticket", ticket_id, "lead", answer["ticket"]["lead_unit"])

    # The coordinator's console. Without a window manager the newest window
    # is on top and takes the keys: the unit's console comes later, and
    # goes away before the coordinator types again.
    coord, coord_main = fqe2e.start_signed_in(os.path.join(workdir, "coordinator"), server,
                                              user="coordinator")
    ctx["consoles"].append(coord)

    # --- The whistle, from the ticket pane.
    open_ticket(coord_main, title)
    fqe2e.button(coord_main, "Convene a Session (Whistle)", timeout=20).doActionNamed("click")
    dialog = coord.window("Convene a Session", timeout=20)
    proposed = wait_until(lambda: [c for c in fqe2e.find_all(dialog, roleName="check box")
                                   if "checked" in fqe2e.states(c)], 10,
                          "the proposed invitees, ticked")
    names = sorted(c.name for c in proposed)
    log("proposed:", names)
    check(len(proposed) == 4, "the dialog proposes %d units, not 4: %r" % (len(proposed), names))
    check(any(n.startswith(units[STREET_UNIT]) for n in names),
          "the street office of the place is not proposed: %r" % names)
    fqe2e.button(dialog, "Blow the Whistle").doActionNamed("click")

    session = wait_until(lambda: session_of(server, ticket_id), 20, "the session on the server")
    invitees = [i["unit"] for i in session["invitees"]]
    check(len(invitees) == 4 and STREET_UNIT in invitees,
          "the session invites %r, not the four proposed" % invitees)
    others = [u for u in invitees if u != STREET_UNIT]
    log("session", session["id"], "invites", [units[u] for u in invitees])

    # The coordinator's window shows the new session's panel, and starts it.
    wait_until(lambda: fqe2e.roster_status(coord_main, units[STREET_UNIT]) == "Not reported yet",
               20, "the coordinator's roster")
    fqe2e.button(coord_main, "Start the Session").doActionNamed("click")
    wait_until(lambda: session_of(server, ticket_id)["state"] == "in_progress", 20,
               "the session started on the server")

    # --- The street office reports in from its own console (a second
    # console on a session bus of its own: the console is a unique app).
    unit, unit_main = fqe2e.start_signed_in_apart(os.path.join(workdir, "unit"), server, "unit",
                                                  ctx)
    fqe2e.show_sessions(unit_main)
    fqe2e.session_row(unit_main, session["title"]).click()
    own = fqe2e.roster_tile(unit_main, units[STREET_UNIT], timeout=20)
    wait_until(lambda: fqe2e.states(own) and "sensitive" in fqe2e.states(own), 10,
               "the unit's own tile")
    # The coordinator's tile is found before (a search of the whole window
    # takes longer than the update): its name changes in place.
    watched = fqe2e.roster_tile(coord_main, units[STREET_UNIT])
    clicked = time.monotonic()
    own.doActionNamed("click")
    wait_until(lambda: status_of(session_of(server, ticket_id), STREET_UNIT) == "checked_in", 10,
               "the check-in on the server")
    on_server = time.monotonic()
    wait_until(lambda: watched.name.startswith(units[STREET_UNIT] + ": Reported at"),
               5, "the check-in on the coordinator's roster", interval=0.02)
    seen = time.monotonic()
    log("check-in: click → server %.2f s, server → coordinator's roster %.2f s (click → seen %.2f s)"
        % (on_server - clicked, seen - on_server, seen - clicked))
    check(seen - on_server <= 1.0,
          "the coordinator saw the check-in %.2f s after the server had it" % (seen - on_server))

    # The unit's console goes away: the coordinator's window takes the keys.
    unit.kill()

    # --- Two more checked in by the coordinator, one click each; one absent.
    for u in others[:2]:
        fqe2e.roster_tile(coord_main, units[u]).doActionNamed("click")
        wait_until(lambda: fqe2e.roster_status(coord_main, units[u]).startswith("Reported at"), 10,
                   "%s checked in" % units[u])
    absent = others[2]
    fqe2e.choose_from_menu(coord_main, coord.app, "Attendance of " + units[absent], "Mark Absent")
    wait_until(lambda: fqe2e.roster_status(coord_main, units[absent]) == "Absent", 10,
               "the fourth unit marked absent")

    # --- A decision and two action items, typed as a coordinator does.
    decision = "彩钢棚属违法建设，三日内拆除"
    fqe2e.find_by(coord_main, lambda n: (n.name or "").replace("_", "") == "Record a decision",
                  timeout=10, what="the Record a decision row").click()
    fqe2e.paste_text(decision)
    fqe2e.press("Return")
    wait_until(lambda: len(session_of(server, ticket_id)["decisions"]) == 1, 10,
               "the decision on the server")

    # Three days on, in Beijing time, as the console reads it.
    due = time.strftime("%Y-%m-%d 18:00", time.gmtime(time.time() + 8 * 3600 + 3 * 86400))
    for text in ("下达限期拆除通知书", "拆除后复查消防通道"):
        fqe2e.find_by(coord_main, lambda n: (n.name or "").replace("_", "") == "New action item"
                      and n.roleName != "list", timeout=10,
                      what="the New action item row").click()
        fqe2e.paste_text(text)
        fqe2e.press("Return")          # on to the due time
        fqe2e.type_text(due)
        fqe2e.press("Return")          # adds the item
        wait_until(lambda: any(i["text"] == text
                               for i in session_of(server, ticket_id)["action_items"]), 10,
                   "the action item %r on the server" % text)

    # --- Conclude.
    fqe2e.button(coord_main, "Conclude").doActionNamed("click")
    dialog = wait_until(lambda: next((w for w in coord.app.children
                                      if fqe2e.find_all(w, name="Conclude the Session?")), None),
                        10, "the confirmation dialog")
    fqe2e.button(dialog, "Conclude").doActionNamed("click")
    final = wait_until(lambda: (lambda s: s if s["state"] == "concluded" else None)(
        session_of(server, ticket_id)), 20, "the session concluded on the server")

    statuses = {u: status_of(final, u) for u in invitees}
    check(sorted(statuses.values()) == ["absent", "checked_in", "checked_in", "checked_in"],
          "attendance on the server: %r" % statuses)
    check(len(final["decisions"]) == 1 and final["decisions"][0]["text"] == decision,
          "decisions on the server: %r" % final["decisions"])
    check(len(final["action_items"]) == 2, "action items on the server: %r" % final["action_items"])
    check(all(i["owner_unit"] in invitees + [final["convener_unit"]] for i in final["action_items"]),
          "action item owners: %r" % final["action_items"])

    # --- The ticket, from the session's menu, in a coordinator's console
    # that goes straight to the sessions, as one does in the morning: the
    # board's tickets page opens with the ticket among its rows, and the
    # ticket pane shows it.
    other, other_main = fqe2e.start_signed_in_apart(os.path.join(workdir, "coordinator-2"), server,
                                                    "coordinator", ctx)
    fqe2e.show_sessions(other_main)
    fqe2e.session_row(other_main, session["title"]).click()
    fqe2e.choose_from_menu(other_main, other.app, "Minutes and session", "Open the Ticket",
                           timeout=20)
    table = fqe2e.ticket_table(other_main)
    wait_until(lambda: any(title in r for r in fqe2e.table_rows(table, limit=120)), 20,
               "the ticket's row among the tickets drawn on the board")
    wait_until(lambda: fqe2e.find_by(other_main, lambda n: n.roleName == "label" and n.name == title
                                     and not fqe2e._under_name(n, "Tickets"), timeout=0.5),
               20, "the ticket pane showing %r" % title)
    other.kill()

    # --- The ticket's timeline (the ticket pane's, helper "tickets").
    open_ticket(coord_main, title)

    def timeline():
        rows = fqe2e.timeline_rows(coord_main)
        kinds = [r.split(",")[0] for r in rows]
        if "Consensus reached" in kinds and kinds.count("Reported in") >= 3 and \
                "Whistle blown" in kinds:
            return rows
        return None
    rows = wait_until(timeline, 30, "whistle, check-ins and consensus on the ticket's timeline")
    for r in rows:
        log("timeline:", r)
    consensus = next(r for r in rows if r.startswith("Consensus reached"))
    check("Whistle → consensus" in consensus,
          "the consensus row does not say how long it took since the whistle: %r" % consensus)


if __name__ == "__main__":
    fqe2e.run(test)
