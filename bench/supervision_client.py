#!/usr/bin/env python3
"""A small load client for bench/supervision.sh, on the shape of
cases_client.py: CONNS keep-alive TLS connections (asyncio, one request in
flight per connection).

  create: issues COUNT rectification items (POST /v1/supervision/items, the
          LEADER token, issuing unit of1), units and dates drawn at random
          in the past year;
  ladder: takes each item id of IDS_FILE up its ladder: plan, start,
          request-close (the STAFF token), review passed, close (LEADER),
          five transitions per item in order on one connection.

Prints throughput, latency percentiles and the answers by status.

usage: supervision_client.py HOST PORT CA STAFF LEADER TENANT CONNS create COUNT [SEED]
       supervision_client.py HOST PORT CA STAFF LEADER TENANT CONNS ladder IDS_FILE
"""
import asyncio
import datetime
import json
import random
import ssl
import sys
import time

HOST, PORT, CA, STAFF, LEADER, TENANT = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
CONNS, MODE, ARG = int(sys.argv[7]), sys.argv[8], sys.argv[9]
SEED = int(sys.argv[10]) if len(sys.argv) > 10 else 1
UNITS = ["ag1", "ag2", "ag3", "ag4", "ag5", "tw1"]
TODAY = datetime.date.today()


def create_job(rnd, n):
    d = TODAY - datetime.timedelta(days=rnd.randint(30, 364))
    unit = rnd.choice(UNITS)
    body = {"tenant": TENANT, "unit": unit, "issuer": "of1", "title": f"问题{n}",
            "date": d.isoformat(), "deadline": (d + datetime.timedelta(days=60)).isoformat()}
    return [(LEADER, "/v1/supervision/items", body)]


def ladder_job(item):
    p = f"/v1/supervision/items/{item}"
    t = {"tenant": TENANT}
    return [(STAFF, p + "/plan", dict(t, plan="p")), (STAFF, p + "/start", t),
            (STAFF, p + "/request-close", dict(t, evidence="e")),
            (LEADER, p + "/review", dict(t, result="passed")), (LEADER, p + "/close", t)]


async def request(reader, writer, token, path, body):
    b = json.dumps(body, ensure_ascii=False).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(b)}\r\n\r\n").encode()
    writer.write(head + b)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode().partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    if length:
        await reader.readexactly(length)
    return status_line.split()[1].decode() if status_line else "0"


async def conn_loop(ctx, next_job, latencies, statuses):
    reader, writer = await asyncio.open_connection(HOST, PORT, ssl=ctx, server_hostname=HOST)
    while True:
        job = next_job()
        if job is None:
            break
        for token, path, body in job:
            t0 = time.perf_counter()
            code = await request(reader, writer, token, path, body)
            latencies.append(time.perf_counter() - t0)
            statuses[code] = statuses.get(code, 0) + 1
    writer.close()


async def main():
    ctx = ssl.create_default_context(cafile=CA)
    ctx.check_hostname = False
    rnd = random.Random(SEED)
    if MODE == "create":
        jobs = iter(create_job(rnd, n) for n in range(int(ARG)))
        what = "items issued"
    else:
        jobs = iter(ladder_job(line.strip()) for line in open(ARG) if line.strip())
        what = "transitions"
    latencies, statuses = [], {}
    t0 = time.perf_counter()
    await asyncio.gather(*(conn_loop(ctx, lambda: next(jobs, None), latencies, statuses)
                           for _ in range(CONNS)))
    wall = time.perf_counter() - t0
    lat = sorted(latencies)

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000

    print(f"  {len(lat)} {what} in {wall:.1f} s: {len(lat) / wall:.0f}/s; "
          f"latency p50 {pct(50):.1f} ms, p90 {pct(90):.1f} ms, p99 {pct(99):.1f} ms, "
          f"max {lat[-1] * 1000:.1f} ms; answers {json.dumps(statuses)}")


asyncio.run(main())
