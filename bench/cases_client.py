#!/usr/bin/env python3
"""A small load client for bench/cases.sh: registers COUNT leads through
POST /v1/cases/leads over CONNS keep-alive TLS connections (asyncio, one
request in flight per connection), each lead with its own subject, ID
number and reporter, a unit and source drawn at random and a date received
in the past year.  Prints throughput, latency percentiles and the answers
by status.  (wrk measures for a duration; this sends an exact count.)

usage: cases_client.py HOST PORT CA TOKEN TENANT COUNT CONNS [SEED]
"""
import asyncio
import datetime
import json
import random
import ssl
import sys
import time

HOST, PORT, CA, TOKEN, TENANT = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
COUNT, CONNS = int(sys.argv[6]), int(sys.argv[7])
SEED = int(sys.argv[8]) if len(sys.argv) > 8 else 1

UNITS = ["ag1", "ag2", "ag3", "ag4", "ag5", "of1", "tw1"]
SOURCES = ["letters_visits", "inspection_tour", "audit", "judicial", "other_body",
           "self_supervision", "self_investigation"]
TODAY = datetime.date.today()


def body(rnd, n):
    received = TODAY - datetime.timedelta(days=rnd.randint(0, 364))
    return json.dumps({
        "tenant": TENANT, "unit": rnd.choice(UNITS), "source": rnd.choice(SOURCES),
        "received": received.isoformat(), "subject_name": f"某{SEED}-{n}",
        "subject_id_number": f"510681{SEED:04d}{n:08d}", "allegation": f"收受礼金 {n}",
        "reporter_name": f"举报人{n}"}, ensure_ascii=False).encode()


async def conn_loop(ctx, next_n, latencies, statuses):
    reader, writer = await asyncio.open_connection(HOST, PORT, ssl=ctx, server_hostname=HOST)
    rnd = random.Random(SEED * 1000003 + id(writer))
    while True:
        n = next_n()
        if n is None:
            break
        b = body(rnd, n)
        head = (f"POST /v1/cases/leads HTTP/1.1\r\nHost: {HOST}\r\n"
                f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(b)}\r\n\r\n").encode()
        t0 = time.perf_counter()
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
        latencies.append(time.perf_counter() - t0)
        code = status_line.split()[1].decode() if status_line else "0"
        statuses[code] = statuses.get(code, 0) + 1
    writer.close()


async def main():
    ctx = ssl.create_default_context(cafile=CA)
    ctx.check_hostname = False
    counter = iter(range(COUNT))
    latencies, statuses = [], {}

    def next_n():
        return next(counter, None)

    t0 = time.perf_counter()
    await asyncio.gather(*(conn_loop(ctx, next_n, latencies, statuses) for _ in range(CONNS)))
    wall = time.perf_counter() - t0
    lat = sorted(latencies)

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000

    print(f"  {len(lat)} requests in {wall:.1f} s: {len(lat) / wall:.0f} leads/s; "
          f"latency p50 {pct(50):.1f} ms, p90 {pct(90):.1f} ms, p99 {pct(99):.1f} ms, "
          f"max {lat[-1] * 1000:.1f} ms; answers {json.dumps(statuses)}")


asyncio.run(main())
