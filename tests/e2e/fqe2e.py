# SPDX-License-Identifier: GPL-3.0-or-later
"""A small harness for the console's end-to-end tests.

It starts a private fengqiao-server in a temporary folder, talks to it over
HTTP as a given demo user, starts the console (fengqiao) with its own cache,
configuration and data folders, and drives it through AT-SPI with dogtail,
exactly as a screen reader would. Every wait is bounded.

Environment (set by tests/e2e/meson.build):
  FQ_SERVER_BINARY   the fengqiao-server executable
  FQ_CONSOLE_BINARY  the fengqiao executable
  FQ_E2E_KEEP=1      keep the temporary folder (its logs) after the test
"""

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

SKIP = 77

# dogtail is imported lazily (see at()), after the display check, because
# importing it without an accessibility bus aborts the process.
_tree = None
_rawinput = None
_pyatspi = None


def log(*args):
    print("[%7.2f]" % (time.monotonic() - _T0), *args, flush=True)


_T0 = time.monotonic()


class TestFailure(Exception):
    pass


class ConsoleExited(TestFailure):
    """The console is gone: no wait for it can succeed any more."""


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def wait_until(predicate, timeout, what, interval=0.05):
    """Calls @predicate until it returns a true value, which is returned.
    Raises TestFailure after @timeout seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except ConsoleExited:
            raise
        except Exception as e:  # an AT-SPI object gone stale, a refused connection
            last_error = e
        if time.monotonic() >= deadline:
            extra = " (last error: %r)" % (last_error,) if last_error is not None else ""
            raise TestFailure("timed out after %.1f s waiting for %s%s" % (timeout, what, extra))
        time.sleep(interval)


def require_display():
    """Exits 77 (skipped) when there is no display or session bus, or no
    console to test."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print("SKIP: no display (run under build-aux/with-display.sh)")
        sys.exit(SKIP)
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("SKIP: no session bus (run under build-aux/with-display.sh)")
        sys.exit(SKIP)
    for var in ("FQ_CONSOLE_BINARY", "FQ_SERVER_BINARY"):
        path = os.environ.get(var, "")
        if not path or not os.access(path, os.X_OK):
            print("SKIP: %s is not an executable: %r" % (var, path))
            sys.exit(SKIP)


def at():
    """Imports dogtail (once) and returns (tree, rawinput, pyatspi)."""
    global _tree, _rawinput, _pyatspi
    if _tree is None:
        import dogtail.config
        dogtail.config.config.checkForA11y = False
        dogtail.config.config.logDebugToFile = False
        dogtail.config.config.logDebugToStdOut = False
        # Waits are ours, and bounded: no hidden retries and sleeps.
        dogtail.config.config.searchCutoffCount = 1
        dogtail.config.config.searchBackoffDuration = 0.1
        dogtail.config.config.actionDelay = 0.05
        dogtail.config.config.typingDelay = 0.02
        dogtail.config.config.defaultDelay = 0.05
        import dogtail.tree
        import dogtail.rawinput
        import pyatspi
        _tree, _rawinput, _pyatspi = dogtail.tree, dogtail.rawinput, pyatspi
    return _tree, _rawinput, _pyatspi


# --- HTTP -------------------------------------------------------------------

class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %s: %s" % (status, body))
        self.status = status
        self.body = body


class Server:
    """A fengqiao-server with demo data, in @workdir/server-data."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.data = os.path.join(workdir, "server-data")
        self.binary = os.environ["FQ_SERVER_BINARY"]
        self.port = 0
        self.url = None
        self.proc = None
        self.tokens = {}
        self.log_path = os.path.join(workdir, "server.log")

    def start(self, timeout=120):
        """Starts the server (on the same port as before when restarted)
        and waits for its LISTENING line and /health."""
        args = [self.binary, "--data", self.data,
                "--listen", "127.0.0.1:%d" % self.port,
                "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0"]
        log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log_file,
                                     stdin=subprocess.DEVNULL)
        log_file.close()
        line = b""
        deadline = time.monotonic() + timeout
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.stop()
                raise TestFailure("the server printed no LISTENING line (see %s)" % self.log_path)
            ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if not chunk:
                    continue
                line += chunk
        m = re.match(r"LISTENING (http://[^:]+:(\d+))", line.decode())
        if not m:
            self.stop()
            raise TestFailure("unexpected first line from the server: %r" % line)
        self.url = m.group(1)
        self.port = int(m.group(2))
        # Keep reading its standard output so that it never blocks on a pipe.
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        self.tokens = {}
        wait_until(lambda: self.health(), 30, "the server's /health")
        log("server listening at", self.url)
        return self

    def _drain(self, proc):
        with open(self.log_path, "ab") as f:
            for chunk in iter(lambda: proc.stdout.read1(4096), b""):
                f.write(chunk)

    def stop(self, timeout=20):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        log("server stopped")

    def health(self):
        try:
            with urllib.request.urlopen(self.url + "/api/v1/health", timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def token(self, user):
        if user not in self.tokens:
            answer = self.call("POST", "/auth/login",
                               {"username": user, "password": "demo"}, user=None)
            self.tokens[user] = answer["token"]
        return self.tokens[user]

    def call(self, method, path, body=None, user="operator", headers=None, expect=None):
        """One API call; returns the decoded JSON answer. Raises ApiError for
        an error status (unless it is in @expect)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/api/v1" + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if user is not None:
            req.add_header("Authorization", "Bearer " + self.token(user))
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                answer = json.loads(text)
            except ValueError:
                answer = text.decode(errors="replace")
            if expect is not None and e.code in expect:
                return answer
            raise ApiError(e.code, answer) from None

    def list_all(self, path, key, user="operator", limit=1000):
        """All pages of a list (@path may hold a query already)."""
        items = []
        cursor = None
        sep = "&" if "?" in path else "?"
        for _ in range(10000):
            page = path + sep + "limit=%d" % limit
            if cursor:
                page += "&cursor=" + urllib.request.quote(cursor)
            answer = self.call("GET", page, user=user)
            items.extend(answer[key])
            cursor = answer.get("next_cursor")
            if not cursor:
                return items
        raise TestFailure("endless list at %s" % path)

    def grid(self):
        if not hasattr(self, "_grid"):
            self._grid = self.call("GET", "/grid")["nodes"]
        return self._grid

    def post_incident(self, summary, grid, source="110", user="operator", **fields):
        body = {"source": source, "grid": grid, "summary": summary}
        body.update(fields)
        return self.call("POST", "/incidents", body, user=user)


# --- The console ------------------------------------------------------------

class Console:
    """The console, started with --server URL and private XDG folders in
    @workdir, so that a second start finds the same cache and session."""

    def __init__(self, workdir, server_url, extra_env=None, lang="C.UTF-8"):
        self.workdir = workdir
        self.server_url = server_url
        self.binary = os.environ["FQ_CONSOLE_BINARY"]
        self.proc = None
        self.app = None
        self.started_at = None
        self.signed_in_at = None
        self.log_path = os.path.join(workdir, "console.log")
        self.env = dict(os.environ)
        for name in ("cache", "config", "data"):
            os.makedirs(os.path.join(workdir, "xdg-" + name), exist_ok=True)
        self.env.update({
            "XDG_CACHE_HOME": os.path.join(workdir, "xdg-cache"),
            "XDG_CONFIG_HOME": os.path.join(workdir, "xdg-config"),
            "XDG_DATA_HOME": os.path.join(workdir, "xdg-data"),
            "LANG": lang,
            "LANGUAGE": "",
            "GSETTINGS_BACKEND": "memory",
            "GSK_RENDERER": "cairo",
            "GDK_DEBUG": "gl-disable",
            "GTK_A11Y": "atspi",
            # A warning in the console is reported with its log, not turned
            # into a crash in the middle of a user's steps.
            "G_DEBUG": "gc-friendly",
        })
        self.env.pop("LC_ALL", None)
        self.env.pop("NO_AT_BRIDGE", None)
        self.env.pop("MALLOC_CHECK_", None)
        if extra_env:
            self.env.update(extra_env)

    def start(self, args=None):
        tree, _, _ = at()
        argv = [self.binary, "--server", self.server_url] + list(args or [])
        log_file = open(self.log_path, "ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(argv, env=self.env, stdout=log_file, stderr=log_file,
                                     stdin=subprocess.DEVNULL)
        log_file.close()
        log("console started, pid", self.proc.pid)
        self.app = wait_until(self._find_app, 60, "the console on the accessibility bus")
        return self.app

    def _find_app(self):
        tree, _, _ = at()
        if self.proc.poll() is not None:
            raise ConsoleExited("the console exited with status %s %.1f s after its start, "
                                "before it showed a window (see %s)"
                                % (self.proc.returncode, time.monotonic() - self.started_at,
                                   self.log_path))
        for app in tree.root.children:
            try:
                if app is not None and app.name == "fengqiao" and \
                        app.get_process_id() == self.proc.pid:
                    return app
            except Exception:
                continue
        return None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def window(self, title, timeout=30):
        """The top-level window (frame) whose name is @title, or starts with
        it when @title ends with '…'."""
        def find():
            self._check_alive()
            for w in self.app.children:
                name = w.name or ""
                if name == title or (title.endswith("…") and name.startswith(title[:-1])):
                    return w
            return None
        return wait_until(find, timeout, "the window %r" % title)

    def windows(self):
        return [(w.roleName, w.name) for w in self.app.children]

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise ConsoleExited("the console exited with status %s (see %s)"
                              % (self.proc.returncode, self.log_path))

    def quit(self, timeout=20):
        """Quits with Ctrl+Q as a user does; kills it if it hangs."""
        if not self.alive():
            return
        _, rawinput, _ = at()
        try:
            main = self.window("Fengqiao", timeout=2)
            focus_window(main)
        except TestFailure:
            pass
        rawinput.keyCombo("<Control>q")
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log("the console did not quit on Ctrl+Q: terminating it")
            self.kill()
        self.proc = None
        self.app = None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        self.app = None

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def log_tail(self, n=60):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


# --- AT-SPI helpers ----------------------------------------------------------

def find(node, timeout=10, what=None, showing=False, **kw):
    """The first descendant of @node matching a dogtail GenericPredicate
    (name=, roleName=, description=, label=), waiting at most @timeout."""
    tree, _, _ = at()
    from dogtail.predicate import GenericPredicate
    pred = GenericPredicate(**kw)

    def look():
        try:
            return node.findChild(pred, retry=False, requireResult=False,
                                  showingOnly=showing)
        except Exception:
            return None
    return wait_until(look, timeout, what or ("%r under %r" % (kw, node.name)))


def find_all(node, showing=False, **kw):
    tree, _, _ = at()
    from dogtail.predicate import GenericPredicate
    return node.findChildren(GenericPredicate(**kw), showingOnly=showing)


def find_by(node, test, timeout=10, what="a node"):
    """The first descendant for which @test(node) is true."""
    def look():
        try:
            return node.findChild(lambda n: _safe(test, n), retry=False,
                                  requireResult=False, showingOnly=False)
        except Exception:
            return None
    return wait_until(look, timeout, what)


def _safe(test, n):
    try:
        return bool(test(n))
    except Exception:
        return False


def states(node):
    _, _, pyatspi = at()
    s = node.getState()
    return {pyatspi.stateToString(x) for x in s.getStates()}


def focused(node):
    return "focused" in states(node)


def focus_window(window, x=None, y=8):
    """Gives a top-level window the keyboard. Without a window manager (the
    tests' Xvfb has none) X sends key events to the window under the
    pointer, and GTK 4 on X11 reports no screen positions over AT-SPI; its
    windows sit at the top left corner, so the pointer goes to (x, y) of
    the screen, by default in the middle of the window's header bar."""
    _, rawinput, _ = at()
    try:
        w, h = window.size
    except Exception:
        w, h = 400, 300
    if x is None:
        x = max(1, w // 2)
    rawinput.point(x, y)
    time.sleep(0.2)


def labels_text(node, limit=200):
    """The names of the labels under @node, in tree order."""
    out = []

    def walk(n, depth):
        if len(out) >= limit or depth > 8:
            return
        try:
            role = n.roleName
            name = n.name
        except Exception:
            return
        if role == "label" and name:
            out.append(name)
        try:
            for c in n.children:
                walk(c, depth + 1)
        except Exception:
            pass
    walk(node, 0)
    return out


def table_rows(table, limit=400):
    """The rendered rows of a GtkColumnView as lists of their cells' texts.
    Only rows that GTK has created exist in the accessibility tree; the
    header row (outside the view's list) is left out."""
    rows = []
    for part in table.children:
        if part.roleName != "list":
            continue
        for row in part.children:
            if len(rows) >= limit:
                break
            if row.roleName not in ("table row", "list item", "row"):
                continue
            texts = []
            for cell in row.children:
                texts.extend(labels_text(cell, limit=5))
            if texts:
                rows.append(texts)
    return rows


def button(node, label, timeout=10):
    """A push button by its label: GTK 4.8 names a button with a mnemonic
    label "_Label Label", so the underscores are ignored and the label may
    come last."""
    def match(n):
        if n.roleName not in ("push button", "toggle button"):
            return False
        name = (n.name or "").replace("_", "")
        return name == label or name.endswith(" " + label) or name.startswith(label + " ")
    return find_by(node, match, timeout=timeout, what="the button %r" % label)


def choose_from_menu(main, app, menu_name, item_label, timeout=10):
    """Opens the menu button named @menu_name in @main and clicks its item
    @item_label (mnemonic underscores ignored); menus open in @app, as
    popovers of their own."""
    menu = find_by(main, lambda n: n.name == menu_name, timeout=timeout,
                   what="the menu button %r" % menu_name)
    # GTK 4.8: a menu button is a widget around the button that opens it.
    inner = [c for c in menu.children if c.roleName in ("push button", "toggle button")]
    (inner[0] if inner else menu).doActionNamed("click")
    find_by(app, lambda n: n.roleName == "menu item"
            and (n.name or "").replace("_", "") == item_label, timeout=10,
            what="the menu item %r" % item_label).doActionNamed("click")


def text_of(node):
    """What a label says: its name, or for a status or alert label (which
    GTK 4.8 names after its class) the text of its Text interface."""
    name = node.name or ""
    if name and name != "GtkLabel":
        return name
    try:
        return node.text or ""
    except Exception:
        return ""


def node_path(root, node):
    """The (role, name) of each node from under @root down to @node. (GTK
    4.8's child indices do not round-trip through some containers, so the
    path is kept by roles and names.)"""
    path = []
    n = node
    for _ in range(60):
        if n is None:
            break
        if n == root:
            return list(reversed(path))
        path.append((n.roleName, n.name))
        n = n.parent
    raise TestFailure("%r is not under %r" % (node.name, root.name))


def follow(root, path):
    """The node at @path (from node_path) under @root, or None: a search
    that only goes down the branches the path allows."""
    if not path:
        return root
    role, name = path[0]
    for child in root.children:
        try:
            if child.roleName == role and child.name == name:
                found = follow(child, path[1:])
                if found is not None:
                    return found
        except Exception:
            continue
    return None


def dump(node, depth=0, max_depth=12, out=None, limit=3000):
    """A readable outline of the accessibility tree, for failure reports."""
    if out is None:
        out = []
    if len(out) >= limit:
        return out
    try:
        desc = node.description
    except Exception:
        desc = ""
    try:
        line = "%s%s %r%s [%s]" % ("  " * depth, node.roleName, node.name,
                                  (" desc=%r" % desc) if desc else "",
                                  ",".join(sorted(states(node) & {"focused", "selected",
                                                                  "showing", "expanded",
                                                                  "checked", "sensitive"})))
    except Exception as e:
        out.append("%s<gone: %r>" % ("  " * depth, e))
        return out
    out.append(line)
    if depth < max_depth:
        try:
            for c in node.children:
                dump(c, depth + 1, max_depth, out, limit)
        except Exception:
            pass
    return out


def press(key):
    """One key (an X keysym name such as 'Return', 'Tab', 'Down')."""
    _, rawinput, _ = at()
    rawinput.pressKey(key)
    time.sleep(0.05)


def combo(keys):
    """A key combination such as '<Control>n'."""
    _, rawinput, _ = at()
    rawinput.keyCombo(keys)
    time.sleep(0.05)


def type_text(text, slow=0.15):
    """Types @text. A character that is not on the keyboard map (Chinese)
    is typed by AT-SPI remapping a spare key code to it; GTK must see the
    new map before the key, so such characters go more slowly."""
    _, rawinput, _ = at()
    for ch in text:
        rawinput.typeText(ch)
        time.sleep(slow if ord(ch) > 127 else 0.01)
    time.sleep(0.05)


_clipboard = None


def pump(seconds):
    """Runs this process's GTK 3 main loop (which serves the clipboard)."""
    from gi.repository import Gtk
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        while Gtk.events_pending():
            Gtk.main_iteration_do(False)
        time.sleep(0.01)


def paste_text(text):
    """Enters @text with the keyboard by pasting it (Ctrl+V) from the
    clipboard, which this process holds: Chinese typed key by key through
    remapped key codes loses characters now and then under Xvfb."""
    global _clipboard
    at()
    import gi
    gi.require_version("Gtk", "3.0")
    from gi.repository import Gdk, Gtk
    if _clipboard is None:
        _clipboard = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD)
    _clipboard.set_text(text, -1)
    pump(0.05)
    combo("<Control>v")
    pump(0.4)


def focused_node(root):
    """The focused descendant of @root, or None."""
    return root.findChild(lambda n: _safe(focused, n), retry=False,
                          requireResult=False, showingOnly=False)


# --- Main window parts ---------------------------------------------------------

def connection_text(window):
    """The header's connection indicator: its accessible name is the text
    shown, e.g. "Online", "Offline (since 14:05) · 1 change to send"."""
    pat = re.compile(r"^(Online|Offline|Connecting|Catching up)")
    node = find_by(window, lambda n: n.roleName in ("push button", "button")
                   and pat.match(n.name or ""), timeout=20,
                   what="the connection indicator in the header bar")
    return node.name


def incident_table(window, timeout=30):
    return find(window, timeout=timeout, name="Incidents waiting for triage",
                what="the board's incident table (accessible label "
                     "'Incidents waiting for triage')")


def incoming_tab(window, timeout=30):
    return find_by(window, lambda n: (n.name or "").startswith("Incoming,"),
                   timeout=timeout, what="the Incoming tab (name 'Incoming, N incidents')")


def incoming_count(window):
    m = re.match(r"Incoming, (\d+)", incoming_tab(window).name)
    return int(m.group(1)) if m else None


def sign_in(console, user, password="demo", timeout=60):
    """Signs in through the sign-in window with the keyboard alone: the
    console has no other way to sign in to a given server without a saved
    session. Returns the main window.

    The sign-in window opens with the focus in its Server Address row
    (filled from --server); Enter moves on to User Name, then Password, and
    signs in from there (fq-login-window.c). AdwEntryRow (libadwaita 1.2)
    exposes neither its text nor its focus over AT-SPI, so the keys are
    sent in that known order and the result is checked."""
    login = console.window("Sign In — Fengqiao", timeout=30)
    focus_window(login)
    press("Return")
    type_text(user)
    press("Return")
    type_text(password)
    press("Return")
    console.signed_in_at = time.monotonic()
    try:
        return console.window("Fengqiao", timeout=timeout)
    except TestFailure:
        alerts = [n.name for n in find_all(login, roleName="alert")]
        labels = labels_text(login, limit=40)
        raise TestFailure("signing in as %s did not open the main window; the sign-in "
                          "window says %r %r" % (user, alerts, labels))


def start_signed_in(workdir, server, user="operator", timeout=60):
    """Starts the console against @server and signs in; waits until the
    board is there and the console is online."""
    console = Console(workdir, server.url)
    console.start()
    main = sign_in(console, user, timeout=timeout)
    wait_until(lambda: connection_text(main).startswith("Online"), 60,
               "the console to be online")
    return console, main


# --- Running a test ------------------------------------------------------------

def run(test_func):
    """Runs @test_func(workdir) in a temporary folder; prints what failed,
    with the console's log and its accessibility tree, and exits 0, 1 or 77."""
    require_display()
    workdir = tempfile.mkdtemp(prefix="fq-e2e-")
    ctx = {"console": None, "server": None, "consoles": []}
    status = 0
    try:
        test_func(workdir, ctx)
        log("PASS")
    except SystemExit:
        raise
    except BaseException as e:
        status = 1
        print("FAIL:", e, flush=True)
        traceback.print_exc()
        for console in ctx["consoles"]:
            if console.app is not None and console.alive():
                try:
                    for w in console.app.children:
                        print("\n".join(dump(w, max_depth=14, limit=800)))
                except Exception:
                    pass
            print("--- console log (%s) ---\n%s" % (console.log_path, console.log_tail()))
    finally:
        for console in ctx["consoles"]:
            console.kill()
        if ctx["server"] is not None:
            ctx["server"].stop()
        if os.environ.get("FQ_E2E_KEEP") or status != 0 and os.environ.get("FQ_E2E_KEEP_FAILED"):
            print("kept", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(status)


# --- Tickets (appended for the ticket lifecycle test) ----------------------------

def ticket_table(window, timeout=30):
    """The board's ticket table (a GtkColumnView labelled "Tickets"; its
    page and tab carry the same name)."""
    return find_by(window, lambda n: n.name == "Tickets"
                   and n.roleName in ("tree table", "table"),
                   timeout=timeout, what="the board's ticket table (accessible label 'Tickets')")


def open_ticket(main, title, timeout=30):
    """Shows the board's tickets (Alt+2), moves to the row of @title with
    the keyboard and opens it in the ticket pane; returns the pane's title
    label."""
    focus_window(main)
    combo("<Alt>2")
    time.sleep(0.3)
    table = ticket_table(main)

    def index_of():
        rows = table_rows(table, limit=120)
        if not rows:
            # The page is not showing (the keys went to a window that was
            # not on top yet): ask again.
            focus_window(main)
            combo("<Alt>2")
            time.sleep(1)
        return next((i + 1 for i, r in enumerate(rows) if title in r), None)
    index = wait_until(index_of, timeout, "a row of %r among the tickets" % title) - 1
    press("Home")
    for _ in range(index):
        press("Down")
    press("Return")
    return wait_until(lambda: find_by(main, lambda n: n.roleName == "label" and n.name == title
                                      and not _under_name(n, "Tickets"), timeout=0.5),
                      timeout, "the ticket pane showing %r" % title)


def _under_name(node, name, depth=14):
    p = node.parent
    for _ in range(depth):
        if p is None:
            return False
        if p.name == name:
            return True
        p = p.parent
    return False


def ticket_kicker(main):
    """The ticket pane's first line: "Ticket T… · State"."""
    node = find_by(main, lambda n: n.roleName == "label"
                   and re.match(r"^Ticket \S+ · ", n.name or ""), timeout=10,
                   what="the ticket pane's kicker line")
    return node.name


def timeline_rows(main):
    """The accessible names of the timeline's rows, oldest first: each is
    "What, HH:MM, unit · actor, detail, note, step"."""
    timeline = find(main, name="Timeline, oldest first", timeout=10,
                    what="the ticket pane's timeline")
    return [c.name for c in timeline.children if c.name]


# --- Convening sessions (appended for the sessions test) ---------------------------

def show_sessions(main, timeout=20):
    """Switches the window to its Sessions page (the view switcher's tab)."""
    tab = find_by(main, lambda n: n.roleName == "page tab" and (n.name or "") == "Sessions",
                  timeout=timeout, what="the Sessions tab of the view switcher")
    tab.click()
    return tab


def session_row(main, title, timeout=30):
    """The row of the sessions list whose accessible name starts with
    @title ("Title, State, N of M units reported, details")."""
    return find_by(main, lambda n: n.roleName == "list item"
                   and (n.name or "").startswith(title + ","),
                   timeout=timeout, what="the sessions list's row of %r" % title)


def roster_tile(main, unit_name, timeout=10):
    """A roster tile of the in-session panel: a button named
    "Unit name: attendance"."""
    return find_by(main, lambda n: n.roleName == "push button"
                   and (n.name or "").startswith(unit_name + ": "),
                   timeout=timeout, what="the roster tile of %r" % unit_name)


def roster_status(main, unit_name):
    """What a roster tile says after the unit's name."""
    return roster_tile(main, unit_name).name[len(unit_name) + 2:]


def start_signed_in_apart(workdir, server, user, ctx, timeout=60):
    """Like start_signed_in(), for a second console next to the first: the
    console is a unique GApplication, so a second start on the same session
    bus would only hand its command line to the first. This one gets a
    session bus of its own (a dbus-daemon stopped with the test) and is
    pointed at the same accessibility bus (AT_SPI_BUS_ADDRESS), so that
    dogtail sees both."""
    os.makedirs(workdir, exist_ok=True)
    a11y = subprocess.run(["gdbus", "call", "--session", "--dest", "org.a11y.Bus",
                           "--object-path", "/org/a11y/bus", "--method",
                           "org.a11y.Bus.GetAddress"], capture_output=True, text=True,
                          timeout=10).stdout
    m = re.search(r"'([^']+)'", a11y)
    check(m is not None, "no accessibility bus address: %r" % a11y)
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL, text=True)
    address = bus.stdout.readline().strip()
    check(address, "the private session bus did not start")
    ctx.setdefault("buses", []).append(bus)
    console = Console(workdir, server.url, extra_env={"DBUS_SESSION_BUS_ADDRESS": address,
                                                      "AT_SPI_BUS_ADDRESS": m.group(1)})
    ctx["consoles"].append(console)
    console.start()
    main = sign_in(console, user, timeout=timeout)
    wait_until(lambda: connection_text(main).startswith("Online"), 60,
               "the console to be online")
    return console, main


def stop_buses(ctx):
    """Stops the session buses of start_signed_in_apart()."""
    for bus in ctx.get("buses", []):
        bus.terminate()
        try:
            bus.wait(5)
        except subprocess.TimeoutExpired:
            bus.kill()


class SecondSessionBus:
    """A private session bus for a second console: the console is a unique
    GApplication, so a second one on the same session bus would only
    activate the first. Its accessibility goes to the same AT-SPI bus as
    everything else (AT_SPI_BUS_ADDRESS), so that this process sees both
    consoles. Use env() as the console's extra_env; stop() at the end."""

    def __init__(self):
        out = subprocess.run(["dbus-send", "--session", "--print-reply=literal",
                              "--dest=org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus.GetAddress"],
                             capture_output=True, text=True, timeout=10)
        check(out.returncode == 0, "cannot ask the session bus for the AT-SPI bus: %s" % out.stderr)
        self.a11y_address = out.stdout.strip()
        self.proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.address = self.proc.stdout.readline().decode().strip()
        check(self.address, "the second session bus printed no address")
        log("second session bus at", self.address)

    def env(self):
        return {"DBUS_SESSION_BUS_ADDRESS": self.address, "AT_SPI_BUS_ADDRESS": self.a11y_address}

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


def start_signed_in_env(workdir, server, user, extra_env, timeout=60):
    """start_signed_in() with extra environment for the console."""
    console = Console(workdir, server.url, extra_env=extra_env)
    console.start()
    main = sign_in(console, user, timeout=timeout)
    wait_until(lambda: connection_text(main).startswith("Online"), 60,
               "the console to be online")
    return console, main
