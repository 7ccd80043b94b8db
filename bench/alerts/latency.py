#!/usr/bin/env python3
"""Joins the alert stream's sends (n,send_ns,status) with the webhook receiver's arrivals
(n,arrival_ns) and prints one line of figures: delivered, throughput, latency percentiles.
   latency.py NAME SENDS.csv ARRIVALS.csv"""
import sys


def main():
    name, sends_path, arrivals_path = sys.argv[1:4]
    sent = {}
    for line in open(sends_path):
        n, ns, status = line.strip().split(",")
        sent[int(n)] = int(ns)
    first = {}
    for line in open(arrivals_path):
        n, ns = line.strip().split(",")
        n, ns = int(n), int(ns)
        if n >= 0 and n not in first:
            first[n] = ns
    lat = sorted((first[n] - sent[n]) / 1e6 for n in first if n in sent)
    if not lat:
        print(f"{name}: nothing arrived")
        return

    def pct(p):
        return lat[min(len(lat) - 1, round(p / 100 * (len(lat) - 1)))]

    span = (max(first.values()) - min(sent.values())) / 1e9
    print(f"{name:14s} sent {len(sent):6d}  delivered {len(first):6d}  "
          f"({len(first) / span:7.0f}/s over {span:5.1f} s)  latency ms: "
          f"p50 {pct(50):8.2f}  p90 {pct(90):8.2f}  p99 {pct(99):8.2f}  max {lat[-1]:8.2f}")


if __name__ == "__main__":
    main()
