#!/usr/bin/env python3
"""For bench/registrations.sh: reads a redis-cli MONITOR capture and prints,
as one Lua script, the commands the first audited script writing a lead ran (the
lines tagged "lua" after an EVALSHA that appends to an ":audit" stream), the
record's id replaced by ARGV[1] so that each call writes a fresh record.
The command count goes to stderr.

usage: script_shape.py MONITOR-FILE > shape.lua
"""
import re
import shlex
import sys

ESC = {"\\": b"\\", '"': b'"', "n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b"}


def unrepr(s):
    """MONITOR's quoting (sdscatrepr) back to bytes."""
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == "\\" and s[i + 1] == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif s[i] == "\\":
            out += ESC.get(s[i + 1], s[i + 1].encode())
            i += 2
        else:
            out += s[i].encode()
            i += 1
    return bytes(out)


def lua_str(b):
    return '"' + "".join(chr(c) if 32 <= c < 127 and chr(c) not in '"\\' else "\\%d" % c
                         for c in b) + '"'


def args_of(line):
    quoted = line.split("]", 1)[1]
    return [unrepr(a) for a in re.findall(r'"((?:[^"\\]|\\.)*)"', quoted)]


LEAD = re.compile(rb"lead:([0-9a-f]{32})$")


def first_audited(lines):
    cur = None
    for line in lines:
        if "[0 lua]" in line:
            if cur is not None:
                cur.append(args_of(line))
            continue
        if cur and any(c[0] == b"XADD" and c[1].endswith(b":audit") for c in cur) and any(
                c[0] == b"HSET" and LEAD.search(c[1]) for c in cur):
            return cur
        cur = [] if '"EVALSHA"' in line else None
    return cur


def main():
    lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
    cmds = first_audited(lines)
    rec = next(LEAD.search(c[1]).group(1) for c in cmds if c[0] == b"HSET")
    print("local r = ARGV[1]")
    for c in cmds:
        parts = []
        for a in c:
            pieces = a.split(rec)
            parts.append(" .. r .. ".join(lua_str(p) for p in pieces))
        print("redis.call(%s)" % ", ".join(parts))
    print("return 1")
    reads = sum(c[0] in (b"TYPE", b"HGET", b"HMGET", b"GET", b"EXISTS", b"XREVRANGE") for c in cmds)
    print("%d commands, %d of them reads" % (len(cmds), reads), file=sys.stderr)


main()
