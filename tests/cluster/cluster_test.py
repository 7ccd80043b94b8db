#!/usr/bin/env python3
"""Three sakchy nodes on three NATS JetStream servers (scripts/cluster.sh): reports posted
round-robin while one sakchy node and then one NATS server are killed with SIGKILL and restarted;
afterwards every node has stored and scored every accepted report exactly once.

Exit 77 (skipped) only when nats-server is not installed. Usage: cluster_test.py --binary PATH
"""
import argparse
import datetime
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER_SH = os.path.join(ROOT, "scripts", "cluster.sh")
MONITOR = "cluster-test-monitor-token-0001"
ANALYST = "cluster-test-analyst-token-0001"
TOTAL = 240          # reports posted
DEADLINE_S = 60      # for every node to converge after the last post


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def request(url, method, path, token, body=None, timeout=5.0):
    """(status, parsed JSON or text); status 0 on a connection error."""
    host = url.split("//", 1)[1]
    conn = http.client.HTTPConnection(host, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw), dict(resp.getheaders())
        except ValueError:
            return resp.status, raw.decode(errors="replace"), dict(resp.getheaders())
    except (OSError, http.client.HTTPException):
        return 0, None, {}
    finally:
        conn.close()


class Poster(threading.Thread):
    """Posts TOTAL reports round-robin; a report refused (503, or a node down) is sent again,
    same source_ref, to the next node until it is accepted (202) or found a duplicate (200)."""

    def __init__(self, urls):
        super().__init__(daemon=True)
        self.urls = urls
        self.posted = 0
        self.accepted = {}     # source_ref -> id (202)
        self.duplicates = {}   # source_ref -> id (200 after an unanswered/503 attempt)
        self.refusals = 0
        self.problems = []
        self.error = None

    def run(self):
        try:
            node = 0
            for i in range(TOTAL):
                ref = f"cluster-test/{i}"
                body = {"text": f"Говорят, в Оше беспорядки, передайте всем! сообщение {i}",
                        "source_ref": ref}
                give_up = time.monotonic() + 45
                while True:
                    url = self.urls[node % 3]
                    node += 1
                    status, doc, headers = request(url, "POST", "/v1/reports", MONITOR, body)
                    if status == 202:
                        self.accepted[ref] = doc["id"]
                        break
                    if status == 200 and doc.get("status") == "duplicate":
                        self.duplicates[ref] = doc["id"]
                        break
                    if status == 503:
                        self.refusals += 1
                        # never a silent loss: a refusal is a problem+json with Retry-After
                        if "Retry-After" not in headers or not isinstance(doc, dict) or \
                                doc.get("status") != 503:
                            self.problems.append(f"503 without Retry-After/problem: {headers} {doc}")
                    elif status != 0:
                        self.problems.append(f"unexpected {status}: {doc}")
                        self.refusals += 1
                    if time.monotonic() > give_up:
                        raise RuntimeError(f"report {ref} not accepted within 45 s")
                    time.sleep(0.05)
                self.posted = i + 1
        except Exception as e:  # reported by the main thread
            self.error = e


def wait_until(what, predicate, deadline_s):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def cluster(*args):
    log("cluster.sh " + " ".join(args[:1] + args[2:]))
    subprocess.run(["bash", CLUSTER_SH, *args], check=True, stdout=sys.stdout, stderr=sys.stderr)


def tear_down(work, ok, keep):
    """Stops the cluster in `work`; after a failure prints the end of every node's log; removes
    `work` unless asked to keep it."""
    try:
        cluster("stop", work)
    except subprocess.CalledProcessError:
        pass
    if not ok:
        for name in sorted(os.listdir(work)):
            if name.endswith(".log"):
                print(f"--- {name} (last 30 lines)")
                with open(os.path.join(work, name), errors="replace") as f:
                    print("".join(f.readlines()[-30:]))
    if not keep:
        shutil.rmtree(work, ignore_errors=True)


def scored_total(url):
    now = datetime.datetime.now(datetime.timezone.utc)
    frm = (now - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    to = (now + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, doc, _ = request(url, "GET", f"/v1/trends?area=KG&bucket=day&from={frm}&to={to}",
                             ANALYST)
    if status != 200:
        return None
    return sum(s["total"] for s in doc["series"] if s["area"] == "KG")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the cluster's directory")
    args = ap.parse_args()
    if shutil.which("nats-server") is None and not os.path.exists("/usr/sbin/nats-server"):
        print("SKIP: nats-server is not installed (apt install nats-server)")
        return 77

    work = tempfile.mkdtemp(prefix="sakchy-cluster-")
    os.environ["SAKCHY_BIN"] = args.binary
    os.environ["SAKCHY_TOKENS"] = f"monitor:{MONITOR},analyst:{ANALYST}"
    started = time.monotonic()
    ok = False
    try:
        cluster("start", work)
        env = dict(line.strip().split("=", 1) for line in open(os.path.join(work, "nodes.env"))
                   if "=" in line)
        urls = [env[f"NODE{n}_URL"] for n in (1, 2, 3)]

        # The cluster as every node sees it: three nodes, a stream with three replicas.
        for url in urls:
            status, doc, _ = request(url, "GET", "/v1/cluster", ANALYST)
            assert status == 200, (status, doc)
            assert doc["mode"] == "cluster" and doc["stream"]["replicas"] == 3, doc
            assert doc["nats"]["connected"] is True, doc
        status, doc, _ = request(urls[0], "GET", "/v1/cluster", MONITOR)
        assert status == 403, "GET /v1/cluster is for analysts"

        poster = Poster(urls)
        poster.start()
        wait_until("60 posts", lambda: poster.posted >= 60 or poster.error, 60)
        cluster("kill", work, "sakchy", "2")
        wait_until("100 posts", lambda: poster.posted >= 100 or poster.error, 60)
        cluster("restart", work, "sakchy", "2")
        wait_until("140 posts", lambda: poster.posted >= 140 or poster.error, 60)
        cluster("kill", work, "nats", "1")
        wait_until("180 posts", lambda: poster.posted >= 180 or poster.error, 60)
        cluster("restart", work, "nats", "1")
        poster.join(120)
        assert not poster.is_alive(), "posting did not finish"
        if poster.error:
            raise poster.error
        assert not poster.problems, poster.problems[:5]
        ids = {**poster.accepted, **poster.duplicates}
        log(f"posted {TOTAL}: {len(poster.accepted)} accepted (202), {len(poster.duplicates)} "
            f"found as duplicates after a refused attempt, {poster.refusals} refusals retried")
        assert len(ids) == TOTAL and len(set(ids.values())) == TOTAL, "one id per report"

        # Every node converges to the same count of stored and scored reports: the number of
        # reports accepted, each counted once.
        expected = len(ids)
        for n, url in enumerate(urls, 1):
            try:
                wait_until(f"node {n} to count {expected} scored reports",
                           lambda url=url: scored_total(url) == expected, DEADLINE_S)
            except AssertionError:
                for m, u in enumerate(urls, 1):
                    log(f"node {m} counts {scored_total(u)}; cluster view: "
                        f"{request(u, 'GET', '/v1/cluster', ANALYST)[1]}")
                raise
            log(f"node {n}: {expected} scored reports counted")
        # Each report by id, on every node: stored and scored.
        for n, url in enumerate(urls, 1):
            for ref, rid in ids.items():
                status, doc, _ = request(url, "GET", f"/v1/events/{rid}", ANALYST)
                assert status == 200, f"node {n}: {ref} ({rid}): {status} {doc}"
                assert doc["status"] == "scored", f"node {n}: {ref} not scored: {doc}"
        # Nothing counted twice, even after a while (a late redelivery would show here).
        time.sleep(1.0)
        for n, url in enumerate(urls, 1):
            assert scored_total(url) == expected, f"node {n} counts {scored_total(url)}"
        # The cluster view: every node's consumer has applied the whole stream; reconnects seen.
        status, doc, _ = request(urls[0], "GET", "/v1/cluster", ANALYST)
        assert status == 200, doc
        assert doc["stream"]["last_sequence"] >= expected, doc
        names = sorted(c["name"] for c in doc["nodes"])
        assert names == ["node-1", "node-2", "node-3"], doc
        wait_until("every node's lag to be 0",
                   lambda: all(c["lag"] == 0 for c in request(urls[0], "GET", "/v1/cluster",
                                                               ANALYST)[1]["nodes"]), 30)
        # Node 1 prefers NATS server 1 (scripts/cluster.sh): it saw the kill and reconnected.
        status, doc, _ = request(urls[0], "GET", "/v1/cluster", ANALYST)
        assert doc["nats"]["connected"] and doc["nats"]["reconnects"] >= 1, doc["nats"]
        status, metrics, _ = request(urls[0], "GET", "/metrics", ANALYST)
        assert "sakchy_cluster_nats_reconnects_total" in metrics

        # Partition: without any NATS server a node refuses intake (503 problem+json with
        # Retry-After) and is not ready, rather than accepting what it cannot replicate.
        for n in ("1", "2", "3"):
            cluster("kill", work, "nats", n)
        refused = {}

        def refuses():
            status, doc, headers = request(urls[0], "POST", "/v1/reports", MONITOR,
                                           {"text": "после разрыва", "source_ref": "partition/1"})
            refused.update(status=status, doc=doc, headers=headers)
            return status == 503
        wait_until("a refusal without NATS", refuses, 20)
        assert refused["headers"].get("Content-Type") == "application/problem+json", refused
        assert "Retry-After" in refused["headers"], refused
        status, doc, _ = request(urls[0], "GET", "/readyz", ANALYST)
        assert status == 503 and doc.get("nats") == "reconnecting", (status, doc)
        log(f"passed in {time.monotonic() - started:.1f} s")
        ok = True
    finally:
        tear_down(work, ok, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
