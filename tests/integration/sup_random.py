#!/usr/bin/env python3
"""A randomized run against the supervision plugin, for t_supervision_recount.sh.

Drives items up and down their ladder (returns, extensions, look-backs with
rebounds), talks, letters, rules, orders with assessments and findings,
from several threads over keep-alive HTTPS connections with bearer tokens:
STAFF (a staff member of every unit: the rectifying side) and LEADER (the
issuing side, approvals).  Event dates are back-dated and mostly in order;
some steps race on the same record.  Prints a JSON summary; any 5xx answer
makes the run fail (exit 1).

usage: sup_random.py DIR API_PORT TENANT OPERATIONS STAFF_TOKEN LEADER_TOKEN [THREADS] [SEED]
"""
import datetime
import http.client
import json
import random
import ssl
import sys
import threading

DIR, PORT, TENANT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
OPS = int(sys.argv[4])
STAFF, LEADER = sys.argv[5], sys.argv[6]
THREADS = int(sys.argv[7]) if len(sys.argv) > 7 else 4
SEED = int(sys.argv[8]) if len(sys.argv) > 8 else 7

UNITS = ["ag1", "ag2", "ag3", "tw1"]
TODAY = datetime.date.today()
# the step (item_step's k) an item's state allows; closed: a look-back
NEXT = {"issued": 0, "plan_filed": 1, "in_progress": 2, "closure_requested": 3, "reviewed": 4,
        "closed": 7}
START = TODAY - datetime.timedelta(days=700)


class Client:
    def __init__(self):
        self.ctx = ssl.create_default_context(cafile=f"{DIR}/tls/ca.crt")
        self.ctx.check_hostname = False
        self.conn = None

    def call(self, token, method, path, body=None):
        for _ in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection("127.0.0.1", PORT, context=self.ctx,
                                                            timeout=30)
                data = json.dumps(body) if body is not None else None
                headers = {"Authorization": f"Bearer {token}"}
                if data:
                    headers["Content-Type"] = "application/json"
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                text = r.read()
                return r.status, json.loads(text) if text else {}
            except (OSError, http.client.HTTPException):
                self.conn = None
        return 599, {}


lock = threading.Lock()
items, tasks, findings, sources = [], [], [], []
stats = {"ops": 0, "by_status": {}}
bad = []


def later(d, rnd):
    span = (TODAY - d).days
    return d + datetime.timedelta(days=rnd.randint(0, min(span, 20))) if span > 0 else d


def post(cl, tok, path, body):
    body["tenant"] = TENANT
    st, ans = cl.call(tok, "POST", path, body)
    with lock:
        stats["ops"] += 1
        stats["by_status"][str(st)] = stats["by_status"].get(str(st), 0) + 1
        if st >= 500:
            bad.append([path, st, ans])
    return st, ans


def new_item(cl, rnd):
    d = START + datetime.timedelta(days=rnd.randint(0, 650))
    unit, issuer = rnd.sample(UNITS, 2)
    dl = d + datetime.timedelta(days=rnd.randint(0, 120))
    body = {"unit": unit, "issuer": issuer, "title": "t", "date": d.isoformat(),
            "deadline": dl.isoformat()}
    with lock:
        if sources and rnd.random() < 0.3:
            body["source"] = rnd.choice(sources)
    st, ans = post(cl, STAFF, "/v1/supervision/items", body)
    if st == 201:
        with lock:
            items.append({"id": ans["id"], "d": d})


def item_step(cl, rnd):
    with lock:
        if not items:
            return
        it = rnd.choice(items)
    d = later(it["d"], rnd)
    p = f"/v1/supervision/items/{it['id']}"
    # mostly the step the item's state allows, sometimes any step (409s)
    k = NEXT.get(it.get("s", "issued"), 0) if rnd.random() < 0.7 else rnd.randrange(10)
    ans = None
    if k == 0:
        st, ans = post(cl, STAFF, p + "/plan", {"plan": "p", "date": d.isoformat()})
    elif k == 1:
        st, ans = post(cl, STAFF, p + "/start", {"date": d.isoformat()})
    elif k == 2:
        st, ans = post(cl, STAFF, p + "/request-close", {"evidence": "e", "date": d.isoformat()})
    elif k == 3:
        res = rnd.choice(["passed", "passed", "returned"])
        st, ans = post(cl, LEADER, p + "/review", {"result": res, "reason": "r", "date": d.isoformat()})
    elif k == 4:
        st, ans = post(cl, LEADER, p + "/close", {"date": d.isoformat()})
    elif k == 5:
        st, ans = post(cl, STAFF, p + "/extend", {"days": rnd.randint(1, 30), "reason": "r",
                                               "date": d.isoformat()})
    elif k == 6:
        st, ans = post(cl, LEADER, p + "/extension", {"approve": rnd.random() < 0.7,
                                                   "date": d.isoformat()})
    elif k in (7, 8):
        d = later(it["d"] + datetime.timedelta(days=90), rnd)
        res = rnd.choice(["passed", "rebound"])
        body = {"result": res, "date": d.isoformat()}
        if res == "rebound":
            body["deadline"] = (d + datetime.timedelta(days=30)).isoformat()
        if d < it["d"] + datetime.timedelta(days=90):
            return
        st, ans = post(cl, LEADER, p + "/lookback", body)
    else:
        st, ans = post(cl, STAFF, "/v1/supervision/findings",
                       {"source": f"item:{it['id']}", "unit": rnd.choice(UNITS),
                        "subject_name": "x", "allegation": "y", "date": d.isoformat()})
        if st == 201:
            with lock:
                findings.append({"id": ans["id"], "d": d})
    if st == 200:
        with lock:
            it["d"] = max(it["d"], d)
            if isinstance(ans, dict) and ans.get("state"):
                it["s"] = ans["state"]


def other(cl, rnd):
    d = START + datetime.timedelta(days=rnd.randint(0, 650))
    k = rnd.randrange(6)
    if k == 0:
        n = rnd.randint(1, 9)
        lead = rnd.randint(0, n)
        st, ans = post(cl, STAFF, "/v1/supervision/talks",
                       {"unit": rnd.choice(UNITS), "supervised": "s", "persons": n,
                        "leaders": lead, "key_posts": rnd.randint(0, n - lead), "reason": "r",
                        "content": "c", "date": d.isoformat()})
        if st == 201:
            with lock:
                sources.append("talk:" + ans["id"])
    elif k == 1:
        body = {"kind": rnd.choice(["prompt", "recommendation"]), "unit": rnd.choice(UNITS),
                "supervised": "s", "reply_due": later(d, rnd).isoformat(), "date": d.isoformat()}
        if rnd.random() < 0.5:  # the problems found, each an item of the rectifying unit
            body["problems"] = ";".join(f"p{i}" for i in range(rnd.randint(1, 3)))
            body["rectifier"] = rnd.choice([u for u in UNITS if u != body["unit"]])
        st, ans = post(cl, STAFF, "/v1/supervision/letters", body)
        if st == 201:
            with lock:
                sources.append("letter:" + ans["id"])
    elif k == 2:
        post(cl, STAFF, "/v1/supervision/rules", {"unit": rnd.choice(UNITS), "title": "r",
                                                 "date": d.isoformat()})
    elif k == 3:
        units = rnd.sample(["ag1", "ag2", "ag3"], rnd.randint(1, 3))
        st, ans = post(cl, STAFF, "/v1/supervision/tasks",
                       {"group": rnd.choice(["tf1", "m1"]), "title": "t",
                        "kind": "coordinated_supervision", "units": ",".join(units),
                        "due": later(d, rnd).isoformat(), "date": d.isoformat()})
        if st == 201:
            with lock:
                tasks.append({"id": ans["id"], "d": d, "units": units})
    elif k == 4:
        with lock:
            if not tasks:
                return
            t = rnd.choice(tasks)
        d = later(t["d"], rnd)
        # each unit signs and submits (some steps repeated: 409), then assessments
        for u in t["units"]:
            for step in rnd.sample(["sign", "progress", "submit"], 3) + ["sign", "submit"]:
                st, _ = post(cl, LEADER, f"/v1/supervision/tasks/{t['id']}/{step}",
                             {"unit": u, "note": "n", "date": d.isoformat()})
        for u in t["units"] + [None]:
            body = {"score": rnd.randint(0, 100), "date": later(d, rnd).isoformat()}
            if u is not None:
                body["unit"] = u
            post(cl, LEADER, f"/v1/supervision/tasks/{t['id']}/assess", body)
    else:
        with lock:
            if not findings:
                return
            f = rnd.choice(findings)
        post(cl, LEADER, f"/v1/supervision/findings/{f['id']}/decide",
             {"approve": rnd.random() < 0.6, "date": later(f["d"], rnd).isoformat()})


def worker(n, seed):
    rnd = random.Random(seed)
    cl = Client()
    for _ in range(n):
        r = rnd.random()
        if r < 0.25:
            new_item(cl, rnd)
        elif r < 0.75:
            item_step(cl, rnd)
        else:
            other(cl, rnd)


threads = [threading.Thread(target=worker, args=(OPS // THREADS, SEED + i)) for i in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
stats["items"] = len(items)
stats["bad"] = bad[:5]
print(json.dumps(stats))
sys.exit(1 if bad else 0)
