#!/usr/bin/env python3
"""A randomized run against the cases plugin, for t_cases_recount.sh.

Drives leads and cases through random legal and illegal steps, from
several threads over keep-alive HTTPS connections (the admin's
certificate), with back-dated event dates in order, some steps raced on
the same record.  Prints a JSON summary: operations sent, answers by
status, leads and cases made.  Any 5xx answer, or a 2xx where the state
machine forbids it, makes the run fail (exit 1).

usage: cases_random.py DIR API_PORT TENANT OPERATIONS [THREADS] [SEED]
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
THREADS = int(sys.argv[5]) if len(sys.argv) > 5 else 4
SEED = int(sys.argv[6]) if len(sys.argv) > 6 else 42

UNITS = ["ag1", "ag2", "ag3", "of1", "tw1"]
SOURCES = ["letters_visits", "inspection_tour", "audit", "judicial", "other_body",
           "self_supervision", "self_investigation"]
WAYS = ["talk_inquiry", "prelim_verification", "hold_pending", "close"]
PARTY = ["none", "warning", "serious_warning", "removal_from_party_post", "probation",
         "expulsion"]
GOV = ["none", "warning", "demerit", "major_demerit", "demotion", "dismissal", "expulsion"]
TODAY = datetime.date.today()
START = datetime.date(2025, 1, 1)


def context():
    ctx = ssl.create_default_context(cafile=f"{DIR}/tls/ca.crt")
    ctx.load_cert_chain(f"{DIR}/tls/admin.crt", f"{DIR}/tls/admin.key")
    ctx.check_hostname = False
    return ctx


class Client:
    def __init__(self):
        self.ctx = context()
        self.conn = None

    def call(self, method, path, body=None):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection("127.0.0.1", PORT, context=self.ctx,
                                                            timeout=30)
                data = json.dumps(body) if body is not None else None
                headers = {"Content-Type": "application/json"} if data else {}
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                text = r.read()
                return r.status, json.loads(text) if text else {}
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 2:
                    raise
        return 0, {}


lock = threading.Lock()
stats = {"ops": 0, "status": {}, "leads": 0, "cases": 0, "errors": []}
leads = []  # [id, last date]
cases = []  # [number, last date, persons]


def note(status, what, body):
    with lock:
        stats["ops"] += 1
        stats["status"][str(status)] = stats["status"].get(str(status), 0) + 1
        if status >= 500 or status == 0:
            stats["errors"].append(f"{what}: {status} {body}")


def later(d, rnd):
    d = d + datetime.timedelta(days=rnd.randint(0, 4))
    return min(d, TODAY)


def iso(d):
    return d.isoformat()


def worker(n, seed):
    rnd = random.Random(seed)
    c = Client()
    for _ in range(n):
        with lock:
            have_leads = list(leads)
            have_cases = list(cases)
        r = rnd.random()
        if r < 0.12 or not have_leads:
            d = START + datetime.timedelta(days=rnd.randint(0, (TODAY - START).days - 30))
            body = {"tenant": TENANT, "unit": rnd.choice(UNITS), "source": rnd.choice(SOURCES),
                    "received": iso(d), "subject_name": f"某{rnd.randint(1, 300)}",
                    "subject_id_number": f"5106811980{rnd.randint(10000000, 10000300)}",
                    "allegation": "x"}
            s, b = c.call("POST", "/v1/cases/leads", body)
            note(s, "create", b)
            if s == 201:
                with lock:
                    leads.append([b["id"], d])
                    stats["leads"] += 1
            continue
        if r < 0.80 or not have_cases:
            lead = rnd.choice(have_leads)
            lead_step(c, rnd, lead)
        else:
            case_step(c, rnd, rnd.choice(have_cases))


def post(c, path, body, what):
    body["tenant"] = TENANT
    s, b = c.call("POST", path, body)
    note(s, what, b)
    return s, b


def lead_step(c, rnd, lead):
    lid, last = lead
    s, b = c.call("GET", f"/v1/cases/leads/{lid}?tenant={TENANT}")
    note(s, "show", b)
    if s != 200:
        return
    state, pending = b.get("state"), b.get("pending")
    base = f"/v1/cases/leads/{lid}"
    d = later(last, rnd)
    if pending:
        verb = "approve" if rnd.random() < 0.85 else "reject"
        s, _ = post(c, f"{base}/{verb}", {"date": iso(d)}, verb)
        if s == 200 and verb == "approve":
            lead[1] = d
        return
    if rnd.random() < 0.05:  # an illegal step: must be refused
        s, b = post(c, f"{base}/outcome", {"outcome": "file", "report": "r"}, "illegal")
        if state != "verifying" and s < 400:
            stats["errors"].append(f"illegal outcome accepted in {state}")
        return
    if state == "registered":
        way = rnd.choice(WAYS)
        if way == "prelim_verification":
            post(c, f"{base}/assign-override", {"team": "s2,s3", "reason": "random"}, "team")
        post(c, f"{base}/dispose", {"way": way}, "dispose")
    elif state == "inquiring":
        out = rnd.choice(["cleared", "reminder", "criticism", "escalate"])
        if out == "escalate":
            post(c, f"{base}/assign-override", {"team": "s2,s3", "reason": "random"}, "team")
        post(c, f"{base}/outcome", {"outcome": out}, "outcome")
    elif state == "verifying":
        post(c, f"{base}/outcome", {"outcome": rnd.choice(["file", "file", "close", "hold"]),
                                    "report": "r"}, "outcome")
    elif state == "held":
        s, _ = post(c, f"{base}/reactivate", {"date": iso(d)}, "reactivate")
        if s == 200:
            lead[1] = d
    elif state == "to_file":
        joint = "ag1" if rnd.random() < 0.2 else ""
        body = {"date": iso(d)}
        if joint:
            body["joint_units"] = joint
        s, b = post(c, f"{base}/file", body, "file")
        if s in (200, 201) and not b.get("replayed"):
            lead[1] = d
            with lock:
                cases.append([b["case"], d])
                stats["cases"] += 1


def case_step(c, rnd, case):
    no, last = case
    s, b = c.call("GET", f"/v1/cases/cases/{no}?tenant={TENANT}")
    note(s, "case show", b)
    if s != 200:
        return
    state, pending = b.get("state"), b.get("pending")
    base = f"/v1/cases/cases/{no}"
    d = later(last, rnd)
    if pending:
        s, _ = post(c, f"{base}/approve", {"date": iso(d)}, "case approve")
        if s == 200:
            case[1] = d
        return
    if state == "filed":
        post(c, f"{base}/plan", {"plan": "p"}, "plan")
    elif state == "investigating":
        if rnd.random() < 0.3:
            post(c, f"{base}/measure", {"kind": "talk", "date": iso(last)}, "measure")
        else:
            post(c, f"{base}/conclude", {"report": "r"}, "conclude")
    elif state == "concluded":
        for p in range(1, len(b.get("persons", [])) + 1):
            if "decision" in b["persons"][p - 1]:
                continue
            s, _ = post(c, f"{base}/decide", {"person": p, "party": rnd.choice(PARTY),
                                              "government": rnd.choice(GOV), "date": iso(d)},
                        "decide")
            break


def main():
    per = OPS // THREADS
    ts = [threading.Thread(target=worker, args=(per, SEED + i)) for i in range(THREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(json.dumps({k: v if k != "errors" else v[:10] for k, v in stats.items()}))
    sys.exit(1 if stats["errors"] else 0)


main()
