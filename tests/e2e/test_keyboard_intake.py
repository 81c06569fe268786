# SPDX-License-Identifier: GPL-3.0-or-later
"""A call taken in and diverted without the mouse: from Ctrl+N to the
submitted divert decision in the triage pane only key events are sent
(AT-SPI is only read, to know where the focus is, as a screen reader user
hears it). Then the API must show the incident triaged `divert` with a
ticket, and the keyboard must go on to the next call waiting."""

import time

import fqe2e
from fqe2e import TestFailure, check, log, wait_until


def test(workdir, ctx):
    server = ctx["server"] = fqe2e.Server(workdir).start()
    nodes = server.grid()
    ordered = sorted(nodes, key=lambda n: n["code"])
    rank = {n["code"]: i for i, n in enumerate(ordered)}
    # A community in 下陆区 that the place search finds by its full name.
    place = next(n for n in ordered if n["level"] == "community"
                 and n["code"].startswith("420204")
                 and not any(n["name"] in m["name"] for m in ordered[:rank[n["code"]]]))
    categories = server.call("GET", "/categories")["categories"]

    stamp = int(time.time())
    summary = "e2e keyboard intake %d" % stamp
    # A call already waiting, so that the board has a row to take the focus.
    server.call("POST", "/incidents", {"source": "110", "grid": place["code"],
                                       "summary": "邻居在楼道堆放杂物"})

    console, main = fqe2e.start_signed_in(workdir, server)
    ctx["consoles"].append(console)
    fqe2e.focus_window(main)

    def focus_inside(ancestor):
        node = fqe2e.focused_node(main)
        p = node
        for _ in range(20):
            if p is None:
                return None
            if p == ancestor:
                return node
            p = p.parent
        return None

    def press_and_settle(key, timeout=2):
        """Presses @key and waits (at most @timeout s) for the focus to move,
        so that a slow machine does not get the next key before this one
        has been handled. Some rows do not report their focus (see below):
        then it only waits."""
        before = fqe2e.focused_node(main)
        fqe2e.press(key)
        try:
            wait_until(lambda: fqe2e.focused_node(main) != before, timeout, "the focus to move")
        except TestFailure:
            pass

    # The window opens with the keyboard on the board, where the work is,
    # not on the first button of the header bar.
    table = fqe2e.incident_table(main)
    wait_until(lambda: focus_inside(table), 20, "the focus on the board's table at start")

    # --- keys only from here on ---------------------------------------------
    # (AdwEntryRow, libadwaita 1.2, exposes neither its text nor its focus
    # over AT-SPI: the fields are filled in their tab order, as a user who
    # knows the form does, and the results are read back from the labels and
    # in the end from the server.)
    fqe2e.combo("<Control>n")
    dialog = console.window("New Incident", timeout=10)
    time.sleep(0.5)
    fqe2e.type_text("Li Lei")            # Caller Name has the focus
    fqe2e.press("Return")                # Enter moves on to the next field
    fqe2e.type_text("13912345678")       # Phone
    fqe2e.press("Return")
    fqe2e.type_text("No. 8 Test Road")   # Address
    fqe2e.press("Return")
    # Find the Place, Enter chooses it. Chinese comes from the clipboard
    # (Ctrl+V), as an input method would commit it: key by key through
    # remapped key codes, Xvfb loses characters now and then.
    fqe2e.paste_text(place["name"])
    fqe2e.press("Return")
    chosen = fqe2e.find_by(dialog, lambda n: n.roleName == "label"
                           and place["name"] in (n.name or ""), timeout=5,
                           what="the chosen place %r shown in the intake" % place["name"])
    log("place chosen:", chosen.name)
    fqe2e.type_text(summary)             # Enter on the place moved on to Summary
    fqe2e.combo("<Control>Return")       # submit
    # The answer page says it was taken in; the focus is on Triage Now.
    triage_now = fqe2e.button(dialog, "Triage Now", timeout=10)
    wait_until(lambda: fqe2e.focused(triage_now) and triage_now.sensitive, 20,
               "the focus on Triage Now after submitting the intake")
    result = [fqe2e.text_of(n) for n in fqe2e.find_all(dialog, roleName="status bar")]
    log("intake answer:", result)
    fqe2e.press("Return")

    # The triage pane shows the new incident, with the keyboard in it:
    # "Triage Now" goes on to the form.
    pane = fqe2e.find_by(main, lambda n: n.name == "FqTriagePane", timeout=10,
                         what="the triage pane")
    category = fqe2e.find(pane, roleName="combo box", name="Category", what="the Category row")
    decision = fqe2e.find(pane, roleName="combo box", name="Decision", what="the Decision row")
    wait_until(lambda: focus_inside(pane), 10, "the focus in the triage pane after Triage Now")
    # F6 cycles the window's panes (sidebar, board, details): away, and back.
    fqe2e.press("F6")
    wait_until(lambda: focus_inside(pane) is None, 10, "F6 to move the focus out of the triage pane")
    for _ in range(3):
        if focus_inside(pane) is not None:
            break
        press_and_settle("F6", timeout=5)
    check(focus_inside(pane) is not None, "F6 did not bring the focus back to the triage pane")
    check(summary in fqe2e.labels_text(pane, limit=60) or
          any(summary in t for t in fqe2e.labels_text(pane, limit=60)),
          "the triage pane does not show the new incident %r" % summary)
    # Tab to the Category row; Space opens its list; Down, Enter choose the
    # next category that may be diverted.
    for _ in range(30):
        if fqe2e.focused(category):
            break
        press_and_settle("Tab")
    check(fqe2e.focused(category), "Tab did not reach the Category row of the triage pane")
    shown = fqe2e.labels_text(category, limit=5)
    names = [c["name"] for c in categories]
    current = next((names.index(t) for t in shown if t in names), 0)
    target = next(i for i in range(current + 1, len(categories))
                  if not categories[i]["police_only"])
    fqe2e.press("space")
    time.sleep(0.5)
    for _ in range(target - current):
        fqe2e.press("Down")
    fqe2e.press("Return")
    wait_until(lambda: categories[target]["name"] in fqe2e.labels_text(category, limit=5), 5,
               "the Category row to show %r" % categories[target]["name"])
    check(any(t.startswith("Divert") for t in fqe2e.labels_text(decision, limit=5)),
          "the decision offered is not Divert: %r" % fqe2e.labels_text(decision, limit=5))
    fqe2e.combo("<Control>Return")       # Submit Triage
    # --- end of the keys ---------------------------------------------------------

    found = wait_until(lambda: server.call("GET", "/incidents?q=%s" % stamp)["incidents"], 20,
                       "the incident on the server")
    check(len(found) == 1, "%d incidents match %r on the server" % (len(found), summary))
    incident = found[0]
    check(incident["summary"] == summary, "summary on the server: %r" % incident["summary"])
    check(incident["grid"] == place["code"], "place on the server: %r, typed %r (%s)"
          % (incident["grid"], place["name"], place["code"]))
    check(incident["caller_phone"] == "13912345678", "phone on the server: %r"
          % incident["caller_phone"])
    incident = wait_until(lambda: (lambda x: x if x["status"] == "triaged" else None)(
        server.call("GET", "/incidents/" + incident["id"])), 20,
        "incident %s to be triaged on the server" % incident["id"])
    check(incident["decision"] == "divert", "decision on the server: %r" % incident["decision"])
    check(incident["ticket"], "the diverted incident has no ticket")
    check(incident["category"] == categories[target]["code"],
          "category on the server: %r, chosen %r" % (incident["category"],
                                                     categories[target]["code"]))
    ticket = server.call("GET", "/tickets/" + incident["ticket"])
    check(incident["id"] in ticket["incidents"], "the ticket does not hold the incident")
    check(ticket["state"] == "dispatched", "the new ticket is %r" % ticket["state"])
    log("incident %s diverted by keyboard: ticket %s to %s" % (incident["id"], ticket["id"],
                                                              ticket["lead_unit"]))

    # On to the next call, still by keyboard: once the diverted one has left
    # the waiting list, the call left waiting is selected and shown, the
    # keyboard on its row, and Enter opens its form. (GTK 4.8 used to leave
    # the focus on the row that left, out of the window, where no key
    # reached the list.)
    wait_until(lambda: any("邻居在楼道堆放杂物" in t for t in fqe2e.labels_text(pane, limit=60)), 20,
               "the call left waiting to be shown in the triage pane after the triage")
    fqe2e.press("Return")
    wait_until(lambda: fqe2e.focused(category), 10,
               "Enter on the next call to move the focus to its Category row")
    log("the next call is open, the keyboard on its form")


if __name__ == "__main__":
    fqe2e.run(test)
