#!/usr/bin/env python3
"""Polls GET /healthz over one TLS keep-alive connection until STOPFILE exists.

    healthz_poll.py PORT CAFILE STOPFILE READYFILE [REDIS_SOCKET]

Touches READYFILE once the first answer came back, then asks again as soon
as each answer arrives.  Prints "n=... non200=... p50_ms=... p99_ms=...
max_ms=..." and exits 1 when any answer was not 200 or none came.  With
REDIS_SOCKET, a second thread sends PING to that Redis meanwhile (what any
request needing Redis waits for) and "redis: n=... p99_ms=... max_ms=..."
follows.
"""
import http.client
import os
import socket
import ssl
import sys
import threading
import time


def figures(lat):
    s = sorted(lat)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]
    return f"p50_ms={pick(0.50):.2f} p99_ms={pick(0.99):.2f} max_ms={s[-1]:.2f}"


def ping_redis(path, stop, lat):
    """PING after PING over one connection until stop exists."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    while not os.path.exists(stop):
        t0 = time.monotonic()
        sock.sendall(b"PING\r\n")
        got = b""
        while not got.endswith(b"\r\n"):
            got += sock.recv(64)
        lat.append((time.monotonic() - t0) * 1000.0)
    sock.close()


def main():
    port, ca, stop, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    ctx = ssl.create_default_context(cafile=ca)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
    lat, bad = [], 0
    rlat, pinger = [], None
    if len(sys.argv) > 5:
        pinger = threading.Thread(target=ping_redis, args=(sys.argv[5], stop, rlat))
        pinger.start()
    while not os.path.exists(stop):
        t0 = time.monotonic()
        try:
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            status = r.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
        lat.append((time.monotonic() - t0) * 1000.0)
        bad += status != 200
        if len(lat) == 1:
            open(ready, "w").close()
    if not lat:
        print("n=0")
        return 1
    line = f"n={len(lat)} non200={bad} {figures(lat)}"
    if pinger is not None:
        pinger.join()
        line += f"; redis: n={len(rlat)} {figures(rlat) if rlat else ''}"
    print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
