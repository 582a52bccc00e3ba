#!/usr/bin/env python3
"""The Redis side of one registration, as a script redis-benchmark can run:
reads `redis-cli MONITOR` output taken while jiandud registered one lead,
takes the commands its mutation script ran (the "[0 lua]" lines after the
EVALSHA) and writes a Lua script that runs the same commands, in the same
order, with the same arguments, on keys of its own ("jdb:" for "jd:", and
ARGV[1] appended, which redis-benchmark fills with __rand_int__, so each
call writes a lead's worth of fresh keys like a registration does).  An
explicit stream ID becomes "*".

usage: script_shape.py MONITOR-FILE [MARK] > shape.lua   (stderr: the command count)
MARK picks the EVALSHA (default ':lead:', a key of the registration).
"""
import re
import sys

TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"')
ESC = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b", '"': b'"', "\\": b"\\"}


def unrepr(s):
    """The bytes of an argument as MONITOR quotes it (sdscatrepr)."""
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "x":
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            out += ESC.get(n, n.encode())
            i += 2
            continue
        out += c.encode()
        i += 1
    return bytes(out)


def lua_str(b):
    """A Lua 5.1 string literal (decimal escapes only)."""
    return '"' + "".join(chr(x) if 32 <= x < 127 and chr(x) not in '"\\' else "\\%d" % x
                         for x in b) + '"'


def arg(b, cmd, prev):
    if b.startswith(b"jd:"):
        return lua_str(b"jdb:" + b[3:] + b":") + " .. s"
    if cmd == "XADD" and prev is not None and re.fullmatch(rb"\d+-\d+", b):
        return '"*"'
    return lua_str(b)


def main():
    cmds, inside = [], False
    mark = sys.argv[2] if len(sys.argv) > 2 else ":lead:"
    for line in open(sys.argv[1], encoding="latin-1"):
        if '"EVALSHA"' in line and mark in line and not inside and not cmds:
            inside = True
            continue
        if inside and " lua]" not in line:
            if cmds:
                break
            continue
        if inside:
            cmds.append([unrepr(t) for t in TOKEN.findall(line)])
    if not cmds:
        sys.exit("script_shape.py: no script commands in the MONITOR output")
    print("-- the commands of one registration's mutation script (bench/script_shape.py)")
    print("local s = ARGV[1]")
    for c in cmds:
        name = c[0].decode().upper()
        args = [arg(b, name, c[i] if i else None) for i, b in enumerate(c[1:])]
        print("redis.call(%s)" % ", ".join([lua_str(c[0])] + args))
    print("return 1")
    print(len(cmds), file=sys.stderr)


main()
