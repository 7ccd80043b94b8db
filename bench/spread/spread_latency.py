#!/usr/bin/env python3
"""Spread alert latency: from the fifth independent report's 202 to the area contact's webhook.

Starts the real `sakchy` binary on loopback (durable writes, bundled rules and areas) with five
monitor tokens and one contact, the Osh city official, who hears only `high` and above. Each
round, the five monitors post five wordings of a new rumour that no rule rates (a bank-run
rumour with words of its own, so rounds never join one cluster); the cluster's spread signal is
raised at `clusters.spread.people_floor` (high). The time measured is from the 202 of the fifth
report to the arrival of the official's webhook about that cluster, on one monotonic clock (the
receiver runs in this process). Optionally unrelated background reports are posted at a steady
rate meanwhile (--background N per second, from a sixth token).

    bench/spread/spread_latency.py [--bin build/service/sakchy] [--rounds 30] [--background 0]
                                   [--interval 0]

Prints one line per round and the percentiles. The target (issue 25): within 60 s.
"""
import argparse
import hashlib
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SYLLABLES = ["ка", "ло", "ми", "ну", "ру", "се", "ты", "жа", "бе", "до"]


def word(n):
    """A made-up Cyrillic word per number (no rule knows it)."""
    w = "то"
    while True:
        w += SYLLABLES[n % 10]
        n //= 10
        if n == 0:
            return w


def wordings(r):
    """Five wordings of round r's rumour: a bank run with twelve words of its own (rounds share
    few enough words never to join one cluster)."""
    own = [word(1000 + 12 * r + k) for k in range(12)]
    core = ("завтра закроют банк {} {} {} {} в {} {} {} {}, люди снимают деньги {} {} {} {}"
            .format(*own))
    return [
        core.capitalize(),
        "СРОЧНО! " + core,
        core + ", передайте родным",
        core.upper() + "!!!",
        core + ". Передайте родным и друзьям",
    ], own[0]


class Receiver(http.server.BaseHTTPRequestHandler):
    arrivals = []  # (monotonic ns, body)
    lock = threading.Lock()

    def do_POST(self):
        t = time.monotonic_ns()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Receiver.lock:
            Receiver.arrivals.append((t, body.decode("utf-8", "replace")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def post(base, token, text, ref):
    req = urllib.request.Request(
        base + "/v1/reports",
        data=json.dumps({"text": text, "source_ref": ref, "area": "KG-GO"}).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as res:
        if res.status != 202:
            raise RuntimeError("HTTP %d for %s" % (res.status, ref))
        return json.loads(res.read())["id"]


def get(base, token, target):
    req = urllib.request.Request(base + target, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


posted_background = [0]


def background(base, token, rate, stop):
    n = 0
    while not stop.is_set():
        start = time.monotonic()
        try:
            post(base, token, "Фоновое сообщение %s %s %s про погоду и дороги" %
                 (word(10**6 + 3 * n), word(10**6 + 3 * n + 1), word(10**6 + 3 * n + 2)),
                 "bg-%d" % n)
        except Exception as e:  # noqa: BLE001 - report and go on
            print("background: %s" % e, file=sys.stderr)
        n += 1
        posted_background[0] = n
        stop.wait(max(0.0, 1.0 / rate - (time.monotonic() - start)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "service", "sakchy"))
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--background", type=float, default=0.0, help="unrelated reports per second")
    ap.add_argument("--interval", type=float, default=0.0, help="seconds between rounds")
    args = ap.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = "http://127.0.0.1:%d/official" % server.server_address[1]

    work = tempfile.mkdtemp(prefix="sakchy-spread-")
    tokens = ["spread-bench-monitor-%d-0123456789" % i for i in range(6)]
    analyst = "spread-bench-analyst-0123456789"
    token_yaml = "".join("  - {name: monitor-%d, role: monitor, sha256: %s}\n" %
                         (i, hashlib.sha256(t.encode()).hexdigest()) for i, t in enumerate(tokens))
    token_yaml += "  - {name: analyst, role: analyst, sha256: %s}\n" % (
        hashlib.sha256(analyst.encode()).hexdigest())
    with open(os.path.join(work, "sakchy.yaml"), "w") as f:
        f.write(f"""server: {{listen: 127.0.0.1:0}}
storage: {{data_dir: {work}/data, sync_writes: true}}
classifier: {{rules: {ROOT}/config/defaults/rules, areas: {ROOT}/config/defaults/areas.yaml}}
alerts: {{min_severity: high}}
logging: {{level: warn}}
contacts:
  - id: osh-official
    name: Osh city official
    language: ru
    areas: [KG-GO]
    min_severity: high
    channels:
      - {{type: webhook, url: "{hook}", secret_env: SPREAD_BENCH_SECRET}}
tokens:
{token_yaml}""")
    env = dict(os.environ, SPREAD_BENCH_SECRET="spread-bench-webhook-secret")
    out = open(os.path.join(work, "out"), "w+")
    proc = subprocess.Popen([args.bin, "serve", "--config", os.path.join(work, "sakchy.yaml")],
                            stdout=out, stderr=subprocess.STDOUT, env=env)
    stop = threading.Event()
    try:
        base = None
        for _ in range(300):
            out.seek(0)
            m = re.search(r"listening on (http://[0-9.]+:[0-9]+)", out.read())
            if m:
                base = m.group(1)
                break
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        if base is None:
            out.seek(0)
            sys.exit("sakchy did not start:\n" + out.read())
        if args.background > 0:
            threading.Thread(target=background, args=(base, tokens[5], args.background, stop),
                             daemon=True).start()
        print("load: %s" % os.getloadavg().__repr__())
        latencies = []
        from_sent = []
        started = time.monotonic()
        for r in range(args.rounds):
            if r > 0 and args.interval > 0:
                time.sleep(args.interval)
            texts, marker = wordings(r)
            ids = [post(base, tokens[i], text, "round-%d-%d" % (r, i))
                   for i, text in enumerate(texts[:4])]
            sent = time.monotonic_ns()
            ids.append(post(base, tokens[4], texts[4], "round-%d-4" % r))
            fifth = time.monotonic_ns()
            deadline = time.monotonic() + 60
            arrived = None
            while arrived is None and time.monotonic() < deadline:
                with Receiver.lock:
                    for t, body in Receiver.arrivals:
                        if marker in body and '"kind":"signal"' in body:
                            arrived = t
                            break
                time.sleep(0.001)
            if arrived is None:
                clusters = [get(base, analyst, "/v1/events/" + i).get("cluster_id") for i in ids]
                print("round %2d: NO ALERT within 60 s (clusters of its reports: %s)" %
                      (r, ", ".join(str(c) for c in clusters)))
                continue
            ms = (arrived - fifth) / 1e6
            latencies.append(ms)
            from_sent.append((arrived - sent) / 1e6)
            print("round %2d: %8.1f ms after the 202 (%6.1f ms after sending the report)" %
                  (r, ms, from_sent[-1]))
        stop.set()
        if args.background > 0:
            print("background: %d reports in %.1f s" % (posted_background[0],
                                                         time.monotonic() - started))
        def summary(what, values):
            q = (statistics.quantiles(values, n=100, method="inclusive")
                 if len(values) > 1 else values * 99)
            print("%s ms: min %.1f p50 %.1f p90 %.1f p99 %.1f max %.1f" %
                  (what, min(values), statistics.median(values), q[89], q[98], max(values)))

        print("rounds %d, alerted %d" % (args.rounds, len(latencies)))
        if latencies:
            # Below 0: the webhook arrived before this client had read its 202 (both are in
            # flight at once; the report is durable and being scored when the 202 leaves).
            summary("  fifth report's 202 -> webhook", latencies)
            summary("  fifth report sent  -> webhook", from_sent)
        return 0 if len(latencies) == args.rounds else 1
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=30)
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
