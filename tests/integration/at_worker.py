#!/usr/bin/env python3
"""at_worker.py CA PORT PID PROBE_TOKEN XFF PATH [BODY] [BEARER]

Sends one request to the worker process PID of a `workers = N` daemon:
opens connections to 127.0.0.1:PORT until /v1/status (read with the valid
PROBE_TOKEN) names PID, then sends on that same connection a POST of the
JSON BODY to PATH, or a GET of PATH with the bearer token BEARER.  Both
requests carry X-Forwarded-For: XFF.  Prints "<probe status> <status>";
exits 1 when no connection reached PID in 500 tries.
"""
import http.client
import json
import ssl
import sys


def main():
    ca, port, want, probe, xff, path = sys.argv[1:7]
    body = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] else None
    bearer = sys.argv[8] if len(sys.argv) > 8 else None
    ctx = ssl.create_default_context(cafile=ca)
    for _ in range(500):
        c = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx, timeout=30)
        c.request("GET", "/v1/status",
                  headers={"Authorization": "Bearer " + probe, "X-Forwarded-For": xff})
        r = c.getresponse()
        raw = r.read()
        pid = json.loads(raw).get("pid") if r.status == 200 else None
        if str(pid) != want:
            c.close()
            if r.status != 200:  # the probe is a valid token: it must pass
                print(r.status, "-")
                return 0
            continue
        headers = {"X-Forwarded-For": xff}
        if body is not None:
            headers["Content-Type"] = "application/json"
            c.request("POST", path, body=body, headers=headers)
        else:
            headers["Authorization"] = "Bearer " + bearer
            c.request("GET", path, headers=headers)
        s = c.getresponse()
        s.read()
        c.close()
        print(r.status, s.status)
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
