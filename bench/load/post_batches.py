#!/usr/bin/env python3
"""Posts NDJSON batches to POST /v1/reports:batch from P parallel connections (the bulk load
script's client). Every batch is made from one template file by replacing its source_ref prefix,
so each report is new however long the run; no batch is generated while the clock runs.

  post_batches.py URL TOKEN TEMPLATE.ndjson (--batches N | --duration S) [--parallel 2]

Prints reports accepted per 10 s window and a total line."""
import argparse
import http.client
import json
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("template")
    ap.add_argument("--batches", type=int, default=0)
    ap.add_argument("--duration", type=float, default=0)
    ap.add_argument("--parallel", type=int, default=2)
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    template = open(a.template, "rb").read()  # source_refs are "bulk-<n>"
    lock = threading.Lock()
    state = {"next": 0, "accepted": 0, "rejected": 0, "window": 0, "batches": 0}
    start = time.monotonic()

    def take():
        with lock:
            if a.batches and state["next"] >= a.batches:
                return None
            if a.duration and time.monotonic() - start >= a.duration:
                return None
            k = state["next"]
            state["next"] += 1
            return k

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        while (k := take()) is not None:
            body = template.replace(b'"source_ref": "bulk-', b'"source_ref": "b%d-' % k)
            conn.request("POST", "/v1/reports:batch", body,
                         {"Authorization": "Bearer " + a.token,
                          "Content-Type": "application/x-ndjson"})
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                raise SystemExit(f"batch {k}: HTTP {r.status}: {data[:200]!r}")
            v = json.loads(data)
            with lock:
                state["accepted"] += v["accepted"]
                state["window"] += v["accepted"]
                state["rejected"] += v["rejected"]
                state["batches"] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(a.parallel)]
    for t in threads:
        t.start()
    last = start
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=0.2)
        now = time.monotonic()
        if now - last >= 10:
            with lock:
                w, state["window"] = state["window"], 0
            print(f"window: {w} reports accepted in {now - last:.1f} s = {w / (now - last):,.0f}/s",
                  flush=True)
            last = now
    took = time.monotonic() - start
    print(f"total: {state['accepted']} reports accepted (durable) in {took:.2f} s = "
          f"{state['accepted'] / took:,.0f}/s; {state['batches']} batches; "
          f"{state['rejected']} lines rejected", flush=True)


if __name__ == "__main__":
    main()
