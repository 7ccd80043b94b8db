#!/usr/bin/env python3
"""Delivery happens once (docs/ARCHITECTURE.md "Cluster mode"): three sakchy nodes on three NATS
JetStream servers (scripts/cluster.sh), ALL with the same webhook contact. Reports that alert are
posted round-robin while one sakchy node is killed with SIGKILL; every alert reaches the webhook:
the distinct Idempotency-Keys it receives are exactly the notifications the nodes computed (one
per report), a re-send always carries the same key, and every request is signed with the shared
secret. The receiver answers 503 to the first request of some notifications, so a retry handed
back to the queue (and maybe taken by another node) is part of the run. After the killed node is
restarted (it publishes its pending copies again), no new notification appears.

Exit 77 (skipped) only when nats-server is not installed. Usage: notify_test.py --binary PATH
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test import ANALYST, MONITOR, cluster, log, request, tear_down, wait_until  # noqa: E402

TOTAL = 60             # reports posted, each alerts the Osh contact once
KILL_AT = 20           # sakchy node 2 is killed after this many posts
SECRET = "cluster-notify-test-secret-0001"
DEADLINE_S = 120       # for every alert to arrive (includes one ack wait of a killed taker)


class Receiver:
    """A webhook receiver: records (Idempotency-Key, alert_id, event_id) of every request and
    answers 503 to the first request of every third notification (by key)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []        # (key, alert_id, kind, status answered)
        self.problems = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key = self.headers.get("Idempotency-Key", "")
                ts = self.headers.get("X-Sakchy-Timestamp", "")
                sig = self.headers.get("X-Sakchy-Signature", "")
                want = "v1=" + hmac.new(SECRET.encode(), ts.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
                status = 200
                with receiver.lock:
                    try:
                        doc = json.loads(body)
                    except ValueError:
                        doc = {}
                    if not key:
                        receiver.problems.append("a request without Idempotency-Key")
                    if sig != want:
                        receiver.problems.append(f"bad signature for {key}")
                    if doc.get("idempotency_key") != key:
                        receiver.problems.append(f"body key {doc.get('idempotency_key')} != {key}")
                    first = all(k != key for k, *_ in receiver.requests)
                    if first and int(hashlib.sha256(key.encode()).hexdigest(), 16) % 3 == 0:
                        status = 503
                    receiver.requests.append((key, doc.get("alert_id"), doc.get("kind"), status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered_keys(self):
        """Keys of the per-event notifications delivered (an area's tension spike may add a
        signal notification, which this test does not count)."""
        with self.lock:
            return {k for k, _, kind, status in self.requests if status == 200 and kind == "event"}

    def snapshot(self):
        with self.lock:
            return list(self.requests)


def post_all(urls, dead):
    """Posts TOTAL alerting reports round-robin over the nodes not in `dead`; a refused or
    unanswered one goes again (same source_ref) to the next node. Returns {source_ref: id}."""
    ids = {}
    node = 0
    for i in range(TOTAL):
        if i == KILL_AT:
            cluster("kill", WORK, "sakchy", "2")
            dead.add(1)
        ref = f"notify-test/{i}"
        body = {"text": f"Говорят, в Оше беспорядки, передайте всем! сообщение {i}",
                "source_ref": ref}
        give_up = time.monotonic() + 45
        while True:
            idx = node % 3
            node += 1
            if idx in dead:
                continue
            status, doc, _ = request(urls[idx], "POST", "/v1/reports", MONITOR, body)
            if status == 202 or (status == 200 and doc.get("status") == "duplicate"):
                ids[ref] = doc["id"]
                break
            if time.monotonic() > give_up:
                raise RuntimeError(f"report {ref} not accepted within 45 s: {status} {doc}")
            time.sleep(0.05)
    return ids


def computed_keys(url, report_ids):
    """The idempotency keys of the webhook notifications one node computed for the reports."""
    keys = {}
    for rid in report_ids:
        status, doc, _ = request(url, "GET", f"/v1/alerts?event_id={rid}", ANALYST)
        if status != 200:
            return None
        for a in doc["alerts"]:
            if a.get("channel") == "webhook" and a.get("contact_id") == "osh-duty" and \
                    a.get("kind") == "event":
                keys[a["idempotency_key"]] = a["id"]
    return keys


def metric(url, name):
    status, text, _ = request(url, "GET", "/metrics", ANALYST)
    if status != 200 or not isinstance(text, str):
        return None
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def main():
    global WORK
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the cluster's directory")
    args = ap.parse_args()
    if shutil.which("nats-server") is None and not os.path.exists("/usr/sbin/nats-server"):
        print("SKIP: nats-server is not installed (apt install nats-server)")
        return 77

    receiver = Receiver()
    WORK = tempfile.mkdtemp(prefix="sakchy-notify-")
    extra = os.path.join(WORK, "shared.yaml")
    with open(extra, "w") as f:
        f.write(f"""alerts:
  min_severity: medium
  allow_private_targets: [127.0.0.1/32]
  timeout_ms: 2000
  backoff_initial_ms: 300
  backoff_max_ms: 1000
clusters:
  enabled: false
contacts:
  - id: osh-duty
    name: Osh duty officer
    role: analyst_on_duty
    areas: [KG-O, KG-GO]
    min_severity: info
    channels:
      - type: webhook
        url: http://127.0.0.1:{receiver.port}/hook
        secret_env: SAKCHY_WEBHOOK_CLUSTER_SECRET
""")
    os.environ["SAKCHY_BIN"] = args.binary
    os.environ["SAKCHY_TOKENS"] = f"monitor:{MONITOR},analyst:{ANALYST}"
    os.environ["SAKCHY_EXTRA_CONFIG"] = extra
    os.environ["SAKCHY_WEBHOOK_CLUSTER_SECRET"] = SECRET
    started = time.monotonic()
    ok = False
    try:
        cluster("start", WORK)
        env = dict(line.strip().split("=", 1) for line in open(os.path.join(WORK, "nodes.env"))
                   if "=" in line)
        urls = [env[f"NODE{n}_URL"] for n in (1, 2, 3)]
        dead = set()
        ids = post_all(urls, dead)
        assert len(ids) == TOTAL and len(set(ids.values())) == TOTAL, "one id per report"
        log(f"posted {TOTAL} reports (node 2 killed after {KILL_AT})")

        # What the live nodes computed: the same notifications (same keys, same ids), one per
        # report, on both.
        expected = {}
        for n in (1, 3):
            url = urls[n - 1]
            wait_until(f"node {n} to route every report",
                       lambda url=url: (computed_keys(url, ids.values()) or {}).__len__() == TOTAL,
                       60)
            keys = computed_keys(url, ids.values())
            if not expected:
                expected = keys
            assert keys == expected, f"node {n} computed other notifications than node 1"
        log(f"nodes 1 and 3 computed the same {len(expected)} notifications")

        # Every notification reaches the receiver, although node 2 died with its share.
        try:
            wait_until("every alert at the webhook",
                       lambda: receiver.delivered_keys() >= set(expected), DEADLINE_S)
        except AssertionError:
            missing = set(expected) - receiver.delivered_keys()
            log(f"{len(missing)} of {len(expected)} never delivered, e.g. {sorted(missing)[:3]}")
            raise
        everything = receiver.snapshot()
        reqs = [r for r in everything if r[2] == "event"]
        keys_seen = {k for k, *_ in reqs}
        assert keys_seen == set(expected), \
            f"unexpected keys at the receiver: {sorted(keys_seen - set(expected))[:5]}"
        # A re-send carries the same key and the same notification.
        for key, alert_id, _, _ in reqs:
            assert alert_id == expected[key], f"{key}: alert_id {alert_id} != {expected[key]}"
        # Any other notification (e.g. a tension spike's signal): re-sent only with its own key.
        ids_of = {}
        for key, alert_id, _, _ in everything:
            assert ids_of.setdefault(key, alert_id) == alert_id, f"{key} re-sent as {alert_id}"
        assert not receiver.problems, receiver.problems[:5]
        refused = sum(1 for *_, status in reqs if status == 503)
        assert refused > 0, "the receiver refused nothing: the retry path was not exercised"
        # Delivered once: a notification answered 200 is sent again only when the node that took
        # it was killed before acknowledging it, so only one about a report posted before the kill.
        before_kill = computed_keys(urls[0], [ids[f"notify-test/{i}"] for i in range(KILL_AT)])
        assert before_kill is not None and len(before_kill) == KILL_AT
        ok_count = {}
        for key, _, _, status in reqs:
            if status == 200:
                ok_count[key] = ok_count.get(key, 0) + 1
        resent = {k for k, c in ok_count.items() if c > 1}
        assert resent <= set(before_kill), \
            f"delivered more than once without a node dying: {sorted(resent - set(before_kill))[:5]}"
        log(f"{len(expected)} alerts delivered, {len(reqs)} requests ({refused} answered 503, "
            f"{len(reqs) - refused - len(expected)} re-sends of delivered ones)")

        # The copies collapsed in the queue; the work was shared.
        dups = sum(metric(urls[n - 1], "sakchy_cluster_notify_duplicates_total") or 0
                   for n in (1, 3))
        taken = {n: metric(urls[n - 1], "sakchy_cluster_notify_taken_total") for n in (1, 3)}
        log(f"duplicates collapsed (nodes 1, 3): {dups}; taken: {taken}")
        assert dups >= len(expected) - 5, "the nodes' copies did not collapse in the queue"

        # Node 2 comes back and publishes its pending copies again: they collapse, so no new
        # notification reaches the receiver (re-sends keep their key).
        cluster("restart", WORK, "sakchy", "2")
        wait_until("node 2 to route every report",
                   lambda: len(computed_keys(urls[1], ids.values()) or {}) == TOTAL, 60)
        assert computed_keys(urls[1], ids.values()) == expected, "node 2 computed others"
        time.sleep(3.0)
        assert {k for k, _, kind, _ in receiver.snapshot() if kind == "event"} == set(expected)
        assert not receiver.problems, receiver.problems[:5]
        log(f"passed in {time.monotonic() - started:.1f} s")
        ok = True
    finally:
        tear_down(WORK, ok, args.keep)
        receiver.server.shutdown()
    return 0


WORK = None

if __name__ == "__main__":
    sys.exit(main())
