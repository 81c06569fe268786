#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""An Open311 GeoReport v2 client written from the published specification
only (wiki.open311.org/GeoReport_v2): it finds the endpoint in
discovery.json, lists the services, submits a request form-encoded with its
api_key, and reads the request's status back, as a city's platform would.

Starts a demo server (no history, no feed) in a temporary directory; the key
is issued by the demo administrator through /api/v1/open311_keys. Prints
TAP; skips (77) without the server binary. Standard library only.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

GUANGZHOULU = "420204004011"


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, good, what, detail=""):
        self.n += 1
        print(f"{'ok' if good else 'not ok'} {self.n} - {what}")
        if not good:
            self.failed += 1
            for line in str(detail).splitlines()[:20]:
                print(f"# {line}")
        sys.stdout.flush()


def start_server(binary, base):
    data = os.path.join(base, "data")
    os.mkdir(data)
    out_path = os.path.join(base, "stdout.log")
    out = open(out_path, "wb")
    proc = subprocess.Popen(
        [binary, "--data", data, "--listen", "127.0.0.1:0", "--demo",
         "--demo-history-months", "0", "--demo-feed-rate", "0"],
        stdout=out, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open(out_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        if "\n" in text:
            return proc, text.split("\n", 1)[0][len("LISTENING "):].strip()
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not listen within 60 s")


def http(method, url, body=None, content_type=None, token=None):
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode("utf-8"))


def api(method, base, path, body, token=None):
    data = json.dumps(body).encode("utf-8") if body is not None else None
    return http(method, base + "/api/v1" + path, data,
                "application/json" if data else None, token)


def run(tap, base):
    # The administrator issues a key for the client system.
    status, login = api("POST", base, "/auth/login", {"username": "admin", "password": "demo"})
    tap.ok(status == 200, "the administrator signs in", login)
    status, key = api("POST", base, "/open311_keys", {"name": "12345 平台"}, login.get("token"))
    tap.ok(status == 201 and key.get("api_key"), "a key is issued", key)
    api_key = key["api_key"]

    # From here on, only what the specification says.
    status, discovery = http("GET", base + "/open311/v2/discovery.json")
    endpoints = [e for e in discovery.get("endpoints", [])
                 if "application/json" in e.get("formats", [])]
    tap.ok(status == 200 and endpoints, "discovery lists a JSON endpoint", discovery)
    endpoint = endpoints[0]["url"]

    status, services = http("GET", endpoint + "/services.json")
    tap.ok(status == 200 and isinstance(services, list) and len(services) > 10,
           "services.json lists services", services)
    fields = {"service_code", "service_name", "description", "metadata", "type", "keywords",
              "group"}
    tap.ok(all(fields <= set(s) for s in services), "every service has the fields of the spec")
    service = next(s for s in services if s["service_name"].startswith("道路"))
    if service["metadata"]:
        status, definition = http("GET", f"{endpoint}/services/{service['service_code']}.json")
        tap.ok(status == 200 and definition.get("service_code") == service["service_code"]
               and all({"code", "datatype", "required", "order"} <= set(a)
                       for a in definition.get("attributes", [])),
               "the service definition has its attributes", definition)

    form = urllib.parse.urlencode({
        "api_key": api_key,
        "service_code": service["service_code"],
        "lat": "30.2016", "long": "115.0387",
        "address_string": "黄石市下陆区广州路28号",
        "attribute[grid]": GUANGZHOULU,
        "description": "广州路28号门口路面塌陷一个大坑，晚上看不见",
        "first_name": "明", "last_name": "王", "phone": "13800001111",
    }).encode("utf-8")
    status, created = http("POST", endpoint + "/requests.json", form,
                           "application/x-www-form-urlencoded")
    tap.ok(status in (200, 201) and isinstance(created, list) and created
           and (created[0].get("service_request_id") or created[0].get("token")),
           "a request is submitted", created)
    request_id = created[0].get("service_request_id")
    if request_id is None:
        status, tokens = http("GET", f"{endpoint}/tokens/{created[0]['token']}.json")
        request_id = tokens[0]["service_request_id"]

    status, read = http("GET", f"{endpoint}/requests/{request_id}.json")
    tap.ok(status == 200 and read and read[0]["service_request_id"] == request_id
           and read[0]["status"] in ("open", "closed")
           and read[0]["service_code"] == service["service_code"]
           and read[0]["requested_datetime"],
           "its status reads back", read)

    status, listed = http("GET", f"{endpoint}/requests.json?service_request_id={request_id}")
    tap.ok(status == 200 and [r["service_request_id"] for r in listed] == [request_id],
           "requests.json finds it by id", listed)

    status, error = http("POST", endpoint + "/requests.json",
                         urllib.parse.urlencode({"service_code": service["service_code"],
                                                 "lat": "30.2", "long": "115.0",
                                                 "description": "x"}).encode("utf-8"),
                         "application/x-www-form-urlencoded")
    tap.ok(status in (400, 403) and isinstance(error, list) and error[0].get("code") == status
           and error[0].get("description"), "a request without api_key is refused", error)

    status, error = http("POST", endpoint + "/requests.json",
                         urllib.parse.urlencode({"api_key": api_key, "service_code": "NOPE",
                                                 "lat": "30.2", "long": "115.0",
                                                 "description": "x"}).encode("utf-8"),
                         "application/x-www-form-urlencoded")
    tap.ok(status in (400, 404) and isinstance(error, list) and error[0].get("code") == status,
           "an unknown service_code is refused", error)


def main():
    binary = os.environ.get("FQ_SERVER_BINARY")
    if not binary or not os.access(binary, os.X_OK):
        print(f"1..0 # SKIP server binary not built ({binary})")
        return 77
    base_dir = tempfile.mkdtemp(prefix="fq-open311-")
    tap = Tap()
    proc = None
    try:
        proc, url = start_server(binary, base_dir)
        run(tap, url)
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(base_dir, ignore_errors=True)
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
