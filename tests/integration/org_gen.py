#!/usr/bin/env python3
"""Writes a large organization import: DIR/units.csv and DIR/people.csv.

    org_gen.py DIR UNITS PEOPLE [TIES_BYTES]

UNITS agencies (u0001...) and PEOPLE cadres spread over them, each with a
declared tie of TIES_BYTES characters (0: none), so that the same row count
can be made as large as a test needs.  Prints the total size in bytes.
"""
import os
import sys


def main():
    out, units, people = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ties = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "units.csv"), "w", encoding="utf-8") as f:
        f.write("code,name,kind,supervised,linked,posts,leadership_posts\n")
        for u in range(units):
            f.write(f"u{u:04d},第{u}派驻组,agency,,,{people // units + 10},2\n")
    with open(os.path.join(out, "people.csv"), "w", encoding="utf-8") as f:
        f.write("unit,name,post,start,new_cadre,ties\n")
        tie = ("配偶在县财政局工作" * (ties // 9 + 1))[:ties]
        for p in range(people):
            f.write(f"u{p % units:04d},干部{p:06d},cadre,2020-01-01,false,{tie}\n")
    print(sum(os.path.getsize(os.path.join(out, n)) for n in ("units.csv", "people.csv")))


if __name__ == "__main__":
    main()
