#!/usr/bin/env python3
"""Converts a labelled CSV into the NDJSON `sakchy model train | eval` read (docs/MODELS.md).

  scripts/csv_to_ndjson.py FILE.csv --text COL --label COL [--map V=LABEL,...] [--keep COL,...]

Each row becomes {"text": ..., "label": ..., <kept columns>...}. --map renames label values
(e.g. 1=rumour,0=non_rumour); with --map, rows whose value is not mapped are dropped (counted on
stderr). Reads only; writes standard output.
"""
import argparse
import csv
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("--text", required=True, help="text column")
    ap.add_argument("--label", required=True, help="label column")
    ap.add_argument("--map", default="", help="V=LABEL,... renames label values")
    ap.add_argument("--keep", default="", help="columns copied as they are (e.g. event,tweet_id)")
    args = ap.parse_args()
    mapping = dict(p.split("=", 1) for p in args.map.split(",") if p)
    keep = [c for c in args.keep.split(",") if c]
    csv.field_size_limit(sys.maxsize)
    written = dropped = 0
    with open(args.csv, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            value = row[args.label]
            if mapping:
                if value not in mapping:
                    dropped += 1
                    continue
                value = mapping[value]
            out = {"text": row[args.text], "label": value}
            for c in keep:
                out[c] = row[c]
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            written += 1
    print(f"{written} lines written, {dropped} rows with unmapped labels dropped", file=sys.stderr)


if __name__ == "__main__":
    main()
