#!/usr/bin/env python3
"""Posts one report (POST /v1/reports) after DELAY seconds, in the middle of a bulk load, and
polls GET /v1/events/{id} until it is scored: the time from its 202 to its scored commit, which
carries its alert ticket in the same atomic write (the bulk load script's alert-latency probe).

  probe_report.py URL MONITOR_TOKEN ANALYST_TOKEN DELAY_S"""
import http.client
import json
import sys
import time
import urllib.parse

TEXT = "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу! Вооружённые люди стреляют"


def main():
    url, monitor, analyst, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    u = urllib.parse.urlparse(url)
    time.sleep(delay)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    body = json.dumps({"text": TEXT, "source_ref": "probe-%d" % time.time_ns()})
    sent = time.monotonic()
    conn.request("POST", "/v1/reports", body,
                 {"Authorization": "Bearer " + monitor, "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    accepted = time.monotonic()
    if r.status != 202:
        print(f"probe: POST answered {r.status}: {data[:200]!r}")
        return
    event_id = json.loads(data)["id"]
    while True:
        conn.request("GET", "/v1/events/" + event_id, headers={"Authorization": "Bearer " + analyst})
        g = conn.getresponse()
        e = json.loads(g.read())
        if g.status == 200 and e.get("status") == "scored":
            break
        time.sleep(0.002)
    scored = time.monotonic()
    print(f"probe: severity {e.get('severity')}, 202 after {(accepted - sent) * 1e3:.1f} ms, "
          f"scored {(scored - accepted) * 1e3:.1f} ms after its 202")


if __name__ == "__main__":
    main()
