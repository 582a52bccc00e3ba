#!/usr/bin/env python3
"""A bounded write load through jiandud's api, and the read-back of what it wrote.

  load.py write DIR PORT TENANT LABEL OUT STOP MAX_WRITES MAX_SECONDS WORKERS RATE
      POSTs /v1/example/notes from WORKERS kept-alive connections (the
      instance's admin client certificate, 127.0.0.1 only), at most RATE
      requests a second in all, until the file STOP exists, MAX_WRITES requests were sent or MAX_SECONDS passed.  Every
      request is counted by its answer: a status code, or "none" (connection
      refused, reset or timed out: no answer).  Acknowledged writes (201) are
      kept with their id and title.  OUT (JSON) is rewritten as it goes, so
      the caller can watch progress, and a last time at the end ("done": true).

  load.py read DIR PORT TENANT OUT
      Reads back every acknowledged write of OUT by id
      (GET /v1/example/notes/{id}) and prints a JSON summary: found, missing
      (404 or a different title), and unanswered reads after a few tries.
"""
import http.client
import json
import os
import ssl
import sys
import threading
import time


def context(d):
    ctx = ssl.create_default_context(cafile=os.path.join(d, "tls", "ca.crt"))
    ctx.load_cert_chain(os.path.join(d, "tls", "admin.crt"), os.path.join(d, "tls", "admin.key"))
    return ctx


class Client:
    """One kept-alive connection, reopened after any failure."""

    def __init__(self, ctx, port):
        self.ctx, self.port, self.conn = ctx, port, None

    def request(self, method, path, body=None):
        """(status, parsed body) or (None, reason) when nothing answered."""
        try:
            if self.conn is None:
                # longer than the daemon's command timeout: a slow Redis is answered, not abandoned
                self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                                        timeout=15)
            hdr = {"Content-Type": "application/json"} if body is not None else {}
            self.conn.request(method, path, body=body, headers=hdr)
            r = self.conn.getresponse()
            raw = r.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = None
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, parsed
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return None, type(e).__name__

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def write(d, port, tenant, label, out, stop, max_writes, max_seconds, workers, rate):
    ctx = context(d)
    lock = threading.Lock()
    st = {"label": label, "sent": 0, "codes": {}, "acked": [], "done": False, "codes_500": []}
    deadline = time.monotonic() + max_seconds

    def dump():
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(st, f)
        os.replace(tmp, out)

    def more():
        with lock:
            if st["sent"] >= max_writes or time.monotonic() > deadline or os.path.exists(stop):
                return None
            st["sent"] += 1
            return st["sent"]

    def worker(w):
        c = Client(ctx, port)
        step, due = workers / rate, time.monotonic()
        while (n := more()) is not None:
            # paced: the same load whatever the machine's speed, so the faults strike it midway
            due += step
            if due > time.monotonic():
                # the clock moves between the test and the sleep
                time.sleep(max(0.0, due - time.monotonic()))
            else:
                due = time.monotonic()
            title = "%s-%d-%d" % (label, w, n)
            body = json.dumps({"tenant": tenant, "title": title})
            code, res = c.request("POST", "/v1/example/notes", body)
            key = "none" if code is None else str(code)
            with lock:
                st["codes"][key] = st["codes"].get(key, 0) + 1
                if code == 201:
                    st["acked"].append([res["id"], title])
                elif code == 500 and len(st["codes_500"]) < 5:
                    st["codes_500"].append(res)
                if n % 10 == 0:
                    dump()
            if code is None:
                # nothing listens (jiandud restarting): bound the request rate, not the wait
                time.sleep(0.05)
        c.close()

    ts = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    st["done"] = True
    dump()


def read(d, port, tenant, out):
    acked = json.load(open(out))["acked"]
    c = Client(context(d), port)
    found, missing, unanswered = 0, [], []
    for nid, title in acked:
        for _ in range(5):
            code, res = c.request("GET", "/v1/example/notes/%s?tenant=%s" % (nid, tenant))
            if code in (200, 404):
                break
        if code == 200 and res.get("title") == title:
            found += 1
        elif code in (200, 404):
            missing.append([nid, title, code])
        else:
            unanswered.append([nid, code])
    c.close()
    print(json.dumps({"found": found, "missing": missing[:20], "n_missing": len(missing),
                      "unanswered": len(unanswered)}))


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "write":
        write(a[2], int(a[3]), a[4], a[5], a[6], a[7], int(a[8]), float(a[9]), int(a[10]), float(a[11]))
    elif a[1] == "read":
        read(a[2], int(a[3]), a[4], a[5])
    else:
        sys.exit("usage: load.py write|read ...")
