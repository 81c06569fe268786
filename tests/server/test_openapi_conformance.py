#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Response conformance: real answers of a running fengqiao-server against
the schemas of docs/openapi.yaml.

Starts a demo server (no history, no feed) in a temporary directory, calls
the main endpoints as the demo users, and validates every response body
against the schema the document gives for that operation and status; a
status the document does not list for the operation is a failure too.
Prints TAP. Needs Debian's python3-yaml and python3-jsonschema; skips (77)
without them or without the server binary.
"""

import datetime
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:
    import yaml
    import jsonschema
except ImportError as e:  # pragma: no cover
    print(f"1..0 # SKIP {e}")
    sys.exit(77)


GUANGZHOULU = "420204004011"
UNIT_STREET = "street_office-420204004000"


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, good, what, detail=""):
        self.n += 1
        if good:
            print(f"ok {self.n} - {what}")
        else:
            self.failed += 1
            print(f"not ok {self.n} - {what}")
            for line in str(detail).splitlines()[:30]:
                print(f"# {line}")
        sys.stdout.flush()


def date_time_checker():
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value):
        if not isinstance(value, str):
            return True
        if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", value):
            raise ValueError(f"not RFC 3339: {value!r}")
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return checker


class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.resolver = jsonschema.RefResolver("", self.doc)
        self.checker = date_time_checker()
        # Path templates as regular expressions.
        self.paths = []
        for template, item in self.doc["paths"].items():
            rx = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
            self.paths.append((re.compile(rx), template, item))

    def deref(self, node):
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/")
            target = self.doc
            for part in ref[2:].split("/"):
                target = target[part]
            node = target
        return node

    def operation(self, method, path):
        path = path.split("?", 1)[0]
        for rx, template, item in self.paths:
            if rx.match(path) and method.lower() in item:
                return template, item[method.lower()]
        return None, None

    def response_schema(self, operation, status):
        responses = operation.get("responses", {})
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        if response is None:
            return False, None
        response = self.deref(response)
        content = response.get("content", {}).get("application/json")
        return True, (content or {}).get("schema")

    def validate(self, schema, body):
        validator = jsonschema.Draft202012Validator(schema, resolver=self.resolver,
                                                    format_checker=self.checker)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        return errors


class Server:
    def __init__(self, binary):
        self.base = tempfile.mkdtemp(prefix="fq-openapi-")
        self.data = os.path.join(self.base, "data")
        os.mkdir(self.data)
        self.out_path = os.path.join(self.base, "stdout.log")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "--data", self.data, "--listen", "127.0.0.1:0", "--demo",
             "--demo-history-months", "0", "--demo-feed-rate", "0"],
            stdout=self.out, stdin=subprocess.DEVNULL)
        self.url = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open(self.out_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            if "\n" in text:
                first = text.split("\n", 1)[0]
                if not first.startswith("LISTENING "):
                    raise RuntimeError(f"first line is not LISTENING: {first!r}")
                self.url = first[len("LISTENING "):].strip()
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("server did not listen within 60 s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        shutil.rmtree(self.base, ignore_errors=True)


class Client:
    def __init__(self, url, token=None):
        self.url = url
        self.token = token

    def request(self, method, path, body=None, headers=None):
        data = None
        h = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            h["Content-Type"] = "application/json"
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(headers or {})
        req = urllib.request.Request(self.url + "/api/v1" + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, raw, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, raw, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        parsed = None
        if raw:
            try:
                parsed = json.loads(raw.decode("utf-8"))
            except ValueError:
                parsed = ValueError(raw[:200])
        return status, parsed, ctype


def main():
    spec_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "docs", "openapi.yaml")
    binary = os.environ.get("FQ_SERVER_BINARY")
    if not binary or not os.access(binary, os.X_OK):
        print(f"1..0 # SKIP server binary not built ({binary})")
        return 77

    spec = Spec(spec_path)
    tap = Tap()
    server = Server(binary)
    try:
        run(spec, tap, server)
    finally:
        server.stop()
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


def run(spec, tap, server):
    anon = Client(server.url)

    def check(client, method, path, body=None, expect=None, headers=None, label=None):
        status, parsed, ctype = client.request(method, path, body, headers)
        what = label or f"{method} {path.split('?')[0]} -> {status}"
        template, op = spec.operation(method, path)
        if op is None:
            tap.ok(False, what, f"{method} {path} is not in the document")
            return status, parsed
        listed, schema = spec.response_schema(op, status)
        problems = []
        if expect is not None and status != expect:
            problems.append(f"expected status {expect}, got {status}: {parsed}")
        if not listed:
            problems.append(f"status {status} is not documented for {method} {template}")
        if isinstance(parsed, ValueError):
            problems.append(f"body is not JSON: {parsed}")
        elif schema is not None:
            if parsed is None:
                problems.append("no body where the document has a schema")
            else:
                if not ctype.startswith("application/json"):
                    problems.append(f"Content-Type {ctype!r}")
                for e in spec.validate(schema, parsed)[:10]:
                    where = "/".join(str(p) for p in e.absolute_path)
                    problems.append(f"at /{where}: {e.message[:300]}")
        tap.ok(not problems, what, "\n".join(problems))
        return status, parsed

    def login(user, password="demo"):
        status, body = check(anon, "POST", "/auth/login", {"username": user, "password": password}, 200,
                             label=f"POST /auth/login as {user}")
        return Client(server.url, (body or {}).get("token") if isinstance(body, dict) else None)

    check(anon, "GET", "/health", expect=200)
    check(anon, "POST", "/auth/login", {"username": "operator", "password": "wrong"}, 401,
          label="POST /auth/login wrong password -> 401")
    check(anon, "GET", "/me", expect=401, label="GET /me without token -> 401")
    admin = login("admin")
    op = login("operator")
    coord = login("coordinator")
    unit = login("unit")
    leader = login("leader")

    for c, name in ((admin, "admin"), (unit, "unit")):
        check(c, "GET", "/me", expect=200, label=f"GET /me as {name}")
    check(admin, "GET", "/users", expect=200)
    uname = f"oa{random.randrange(1 << 30):x}"
    check(admin, "POST", "/users", {"username": uname, "display_name": "接口测试", "password": "long-password",
                                     "role": "operator", "scope": "420204000000"}, 201)
    check(admin, "POST", "/users", {"username": uname, "display_name": "x", "password": "long-password",
                                     "role": "operator", "scope": "420204000000"}, 409,
          label="POST /users duplicate -> 409")
    check(admin, "POST", f"/users/{uname}/actions", {"action": "set_role", "role": "coordinator"}, 200)
    check(op, "GET", "/users", expect=403, label="GET /users as operator -> 403")

    check(op, "GET", "/grid", expect=200)
    check(op, "GET", "/grid/420204004000", expect=200)
    check(op, "GET", "/grid/999999999999", expect=404)
    status, cats = check(op, "GET", "/categories", expect=200)
    check(op, "GET", "/units", expect=200)

    categories = (cats or {}).get("categories", []) if isinstance(cats, dict) else []
    normal = [c["code"] for c in categories if not c.get("police_only")] or ["A01"]
    police = [c["code"] for c in categories if c.get("police_only")] or ["P01"]

    _, inc = check(op, "POST", "/incidents", {
        "source": "12345", "received_at": "2026-11-29T16:00:00+08:00", "caller_name": "王五",
        "caller_phone": "13912345678", "address": "广州路 8 号", "grid": GUANGZHOULU,
        "summary": "楼下烧烤油烟扰民", "description": "每晚十点后", "category": normal[0],
        "external_id": f"oa-{random.randrange(1 << 30)}"}, 201)
    inc = inc if isinstance(inc, dict) else {}
    check(op, "POST", "/incidents", {"source": "110", "grid": GUANGZHOULU}, 422,
          label="POST /incidents without summary -> 422")
    check(leader, "POST", "/incidents", {"source": "110", "grid": GUANGZHOULU, "summary": "x"}, 403,
          label="POST /incidents as leader -> 403")
    check(op, "GET", "/incidents?limit=5", expect=200)
    check(op, "GET", "/incidents?limit=0", expect=400, label="GET /incidents?limit=0 -> 400")
    if inc.get("id"):
        check(op, "GET", f"/incidents/{inc['id']}", expect=200)
    check(op, "GET", "/incidents/I000000-999999", expect=404)

    # A repeat (same phone, same community), then not_repeat.
    _, rep = check(op, "POST", "/incidents", {
        "source": "110", "caller_phone": "13912345678", "grid": GUANGZHOULU, "summary": "又来了",
        "address": "别处 1 号"}, 201, label="POST /incidents (a repeat call)")
    if isinstance(rep, dict) and rep.get("id"):
        check(op, "POST", f"/incidents/{rep['id']}/not_repeat", {"rev": rep.get("rev")}, 200)

    # Police-only refused, then divert.
    _, pinc = check(op, "POST", "/incidents", {"source": "110", "grid": GUANGZHOULU, "summary": "持刀威胁"}, 201,
                    label="POST /incidents (police matter)")
    if isinstance(pinc, dict) and pinc.get("id"):
        check(op, "POST", f"/incidents/{pinc['id']}/triage",
              {"decision": "divert", "category": police[0], "grid": GUANGZHOULU, "rev": pinc.get("rev"), "note": "x"},
              422, label="POST triage police-only divert -> 422")
        check(op, "POST", f"/incidents/{pinc['id']}/triage",
              {"decision": "police", "category": police[0], "grid": GUANGZHOULU, "rev": pinc.get("rev"), "note": "警务"},
              200, label="POST triage police -> 200")

    ticket = {}
    if inc.get("id"):
        check(op, "POST", f"/incidents/{inc['id']}/triage",
              {"decision": "divert", "category": normal[0], "grid": GUANGZHOULU, "rev": inc.get("rev") + 5,
               "note": "x"}, 409, label="POST triage stale rev -> 409")
        _, tri = check(op, "POST", f"/incidents/{inc['id']}/triage",
                       {"decision": "divert", "category": normal[0], "grid": GUANGZHOULU, "rev": inc.get("rev"),
                        "note": "分流", "lead_unit": UNIT_STREET}, 200, label="POST triage divert -> 200")
        if isinstance(tri, dict) and isinstance(tri.get("ticket"), dict):
            ticket = tri["ticket"]

    check(coord, "GET", "/tickets?limit=5", expect=200)
    check(coord, "GET", "/tickets?limit=abc", expect=400, label="GET /tickets?limit=abc -> 400")
    if ticket.get("id"):
        tid = ticket["id"]
        _, t = check(coord, "GET", f"/tickets/{tid}", expect=200)
        rev = (t or {}).get("rev") if isinstance(t, dict) else None
        check(coord, "POST", f"/tickets/{tid}/actions", {"action": "close", "rev": rev, "satisfaction": 5}, 409,
              label="POST close on a dispatched ticket -> 409 invalid_transition")
        check(leader, "POST", f"/tickets/{tid}/actions", {"action": "comment", "rev": rev, "note": "x"}, 403,
              label="POST comment as leader -> 403")
        _, t = check(unit, "POST", f"/tickets/{tid}/actions", {"action": "accept", "rev": rev}, 200,
                     label="POST accept as unit -> 200")
        rev = (t or {}).get("rev") if isinstance(t, dict) else rev
        check(unit, "POST", f"/tickets/{tid}/actions", {"action": "progress", "rev": rev, "note": "已到场"}, 200,
              label="POST progress as unit -> 200")
        check(unit, "POST", f"/tickets/{tid}/actions", {"action": "progress", "rev": rev, "note": "旧"}, 409,
              label="POST progress stale -> 409")

        # A convening session on that ticket: called, started, one decision.
        when = (datetime.datetime.now(datetime.timezone.utc)
                + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        _, s = check(coord, "POST", f"/tickets/{tid}/sessions",
                     {"title": "联合会商", "scheduled_at": when, "location": "街道办会议室",
                      "invitees": [UNIT_STREET],
                      "external_participants": [{"name": "王建国", "organisation": "物业公司"}]},
                     201, label="POST /tickets/{id}/sessions -> 201")
        check(coord, "POST", f"/tickets/{tid}/sessions", {"title": "x", "scheduled_at": when, "invitees": []},
              422, label="POST /tickets/{id}/sessions without invitees -> 422")
        check(leader, "POST", f"/tickets/{tid}/sessions", {"title": "x", "scheduled_at": when,
                                                           "invitees": [UNIT_STREET]},
              403, label="POST /tickets/{id}/sessions as leader -> 403")
        if isinstance(s, dict) and s.get("id"):
            sid = s["id"]
            check(coord, "POST", f"/sessions/{sid}/actions", {"action": "conclude", "rev": s.get("rev")}, 409,
                  label="POST conclude on a scheduled session -> 409 invalid_transition")
            _, s = check(unit, "POST", f"/sessions/{sid}/actions", {"action": "check_in", "rev": s.get("rev")},
                         200, label="POST check_in as the invited unit -> 200")
            srev = (s or {}).get("rev") if isinstance(s, dict) else None
            _, s = check(coord, "POST", f"/sessions/{sid}/actions", {"action": "start", "rev": srev}, 200,
                         label="POST start -> 200")
            srev = (s or {}).get("rev") if isinstance(s, dict) else None
            check(coord, "POST", f"/sessions/{sid}/actions",
                  {"action": "add_action_item", "rev": srev, "text": "清理通道",
                   "owner_unit": UNIT_STREET, "due": when}, 200, label="POST add_action_item -> 200")
            check(leader, "POST", f"/sessions/{sid}/actions", {"action": "start", "rev": srev}, 403,
                  label="POST session action as leader -> 403")
            check(coord, "GET", f"/sessions/{sid}", expect=200)
            check(coord, "GET", f"/sessions?ticket={tid}&limit=5", expect=200)
            check(coord, "GET", "/sessions?state=asleep", expect=400, label="GET /sessions?state=asleep -> 400")
        check(coord, "GET", f"/tickets/{tid}", expect=200, label="GET /tickets/{id} with a session")
    check(coord, "GET", "/sessions/S000000-999999", expect=404)
    check(coord, "GET", "/tickets/T000000-999999", expect=404)

    check(leader, "GET", "/changes?since=0&limit=50", expect=200)

    # Each change's data is the record as its own endpoint answers it.
    entity_schema = {
        "incident": "Incident", "ticket": "Ticket", "event": "TimelineEvent", "session": "Session",
        "grid": "GridNode", "unit": "Unit", "category": "Category",
    }
    seen = {}
    since = 0
    for _ in range(100):
        status, page, _ = leader.request("GET", f"/changes?since={since}&limit=1000")
        if status != 200 or not isinstance(page, dict):
            tap.ok(False, "GET /changes while reading the whole feed", f"{status} {page}")
            break
        for change in page.get("changes", []):
            since = change.get("seq", since)
            name = entity_schema.get(change.get("entity"))
            if name is None or change.get("op") != "upsert":
                continue
            problems = seen.setdefault(change["entity"], [])
            if len(problems) < 5:
                for e in spec.validate({"$ref": f"#/components/schemas/{name}"}, change.get("data"))[:3]:
                    where = "/".join(str(p) for p in e.absolute_path)
                    problems.append(f"seq {change.get('seq')} at /{where}: {e.message[:200]}")
        if not page.get("more"):
            break
    for entity in sorted(entity_schema):
        if entity in seen:
            tap.ok(not seen[entity], f"/changes data of entity {entity} matches {entity_schema[entity]}",
                   "\n".join(seen[entity]))
    check(leader, "GET", "/changes?since=x", expect=400, label="GET /changes?since=x -> 400")
    check(admin, "GET", "/audit?limit=20", expect=200)
    check(leader, "GET", "/audit", expect=403, label="GET /audit as leader -> 403")
    # Open311 keys and the hotline import.
    status, key = check(admin, "POST", "/open311_keys", {"name": "conformance"}, 201)
    check(admin, "GET", "/open311_keys", expect=200)
    if isinstance(key, dict) and key.get("id"):
        check(admin, "POST", f"/open311_keys/{key['id']}/revoke", expect=200,
              label="POST /open311_keys/{id}/revoke -> 200")
    check(op, "GET", "/open311_keys", expect=403, label="GET /open311_keys as operator -> 403")
    rows = [{"external_id": f"CONF-{random.randrange(1 << 30)}", "grid": GUANGZHOULU,
             "summary": "路灯不亮"},
            {"external_id": "CONF-BAD", "grid": "999999999999", "summary": "x"}]
    check(op, "POST", "/imports", {"rows": rows, "dry_run": True}, 200,
          label="POST /imports dry run -> 200")
    check(op, "POST", "/imports", {"rows": rows, "dry_run": False}, 400,
          label="POST /imports with an invalid row -> 400")
    check(op, "POST", "/imports", {"rows": rows, "dry_run": False, "skip_invalid": True}, 200,
          label="POST /imports skipping the invalid row -> 200")
    # Metrics and "explain this number".
    period = "from=2026-01-01T00:00:00%2B08:00&to=2027-01-01T00:00:00%2B08:00"
    for what in ("summary", "trend", "units", "categories"):
        check(leader, "GET", f"/metrics/{what}?{period}", expect=200)
    check(leader, "GET", f"/metrics/trend?{period}&bucket=week&grid=420204000000", expect=200,
          label="GET /metrics/trend by week in a district -> 200")
    check(leader, "GET", f"/metrics/records?{period}&metric=non_police_disputes", expect=200)
    check(leader, "GET", f"/metrics/records?{period}&metric=tickets_closed&grid=420204000000", expect=200,
          label="GET /metrics/records of tickets in a district -> 200")
    check(leader, "GET", f"/metrics/records?{period}&metric=nothing", expect=400,
          label="GET /metrics/records unknown metric -> 400")
    check(leader, "GET", f"/metrics/records?{period}&metric=diverted&grid=999999999999", expect=404,
          label="GET /metrics/records unknown grid -> 404")
    check(unit, "GET", f"/metrics/summary?{period}", expect=403, label="GET /metrics/summary as unit -> 403")
    check(leader, "GET", "/metrics/summary?from=x", expect=400, label="GET /metrics/summary bad from -> 400")

    check(op, "POST", "/auth/logout", expect=204)
    check(op, "GET", "/me", expect=401, label="GET /me after logout -> 401")


if __name__ == "__main__":
    sys.exit(main())
