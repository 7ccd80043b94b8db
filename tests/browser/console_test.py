#!/usr/bin/env python3
"""Browser tests of the web console (/ui/) in a real headless Chromium (Debian's chromium,
chromium-driver and python3-selenium), against the real sakchy binary on 127.0.0.1, port 0.

    console_test.py --binary build/service/sakchy [--screenshots docs/screenshots]

Exit code 77 (CTest: skipped) with a message when Chromium, chromedriver or Selenium is absent.
"""

import argparse
import gzip
import http.client
import http.server
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

MONITOR = "monitor-token-0123456789"
ANALYST = "analyst-token-0123456789"
ADMIN = "admin-token-0123456789ab"
OSH_OFFICIAL = "osh-official-token-0123456789"      # area A: Osh region and Osh city
NARYN_OFFICIAL = "naryn-official-token-0123456789"  # area B: Naryn region
OSH_AREAS = ("KG-O", "KG-GO")

# Texts the bundled rules score high (alerts at min_severity high).
OSH_TEXT = "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу! Бейте их камнями"
NARYN_TEXT = "Срочно! В Нарыне толпа собирается громить рынок, выходите все с палками, передайте всем, будет резня"

ARGS = None


def skip(msg):
    print("SKIPPED: " + msg, flush=True)
    sys.exit(77)


try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover
    webdriver = None


class Sink(http.server.BaseHTTPRequestHandler):
    """The contacts' webhook: accepts every alert (200)."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Service_:
    """The real sakchy binary with a config in a temp dir."""

    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="sakchy-browser-")
        self.sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        threading.Thread(target=self.sink.serve_forever, daemon=True).start()
        hook = "http://127.0.0.1:%d" % self.sink.server_address[1]
        cfg = os.path.join(self.dir, "sakchy.yaml")
        with open(cfg, "w") as f:
            f.write(f"""server:
  listen: 127.0.0.1:0
storage:
  data_dir: {self.dir}/data
  sync_writes: false
classifier:
  rules: {SOURCE_DIR}/config/defaults/rules
  areas: {SOURCE_DIR}/config/defaults/areas.yaml
analytics:
  area_polygons: {SOURCE_DIR}/config/defaults/areas.geojson
alerts:
  min_severity: high
  timeout_ms: 2000
  backoff_initial_ms: 100
  backoff_max_ms: 500
contacts:
  - id: osh-duty
    name: Osh duty officer
    role: analyst_on_duty
    areas: [KG-O, KG-GO]
    min_severity: info
    channels:
      - {{type: webhook, url: "{hook}/osh", secret_env: SAKCHY_TEST_WEBHOOK_SECRET}}
  - id: naryn-duty
    name: Naryn duty officer
    role: analyst_on_duty
    areas: [KG-N]
    channels:
      - {{type: webhook, url: "{hook}/naryn", secret_env: SAKCHY_TEST_WEBHOOK_SECRET}}
""")
        env = dict(os.environ)
        env["SAKCHY_TOKENS"] = (f"monitor:{MONITOR},analyst:{ANALYST},admin:{ADMIN},"
                                f"official@KG-O+KG-GO:{OSH_OFFICIAL},official@KG-N:{NARYN_OFFICIAL}")
        env["SAKCHY_TEST_WEBHOOK_SECRET"] = "webhook-secret-for-tests"
        self.log = open(os.path.join(self.dir, "sakchy.log"), "w")
        self.proc = subprocess.Popen([binary, "serve", "--config", cfg, "--listen", "127.0.0.1:0"],
                                     cwd=self.dir, env=env, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.proc.stdout], daemon=True).start()
        deadline = time.time() + 60
        self.base = None
        while time.time() < deadline and self.base is None:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line.startswith("sakchy listening on "):
                self.base = line.split()[-1].strip()
        if not self.base:
            self.stop()
            raise RuntimeError("sakchy did not start; see " + self.log.name)

    def call(self, method, path, token=None, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, method, path, token, body=None):
        status, _, raw = self.call(method, path, token, body)
        return status, (json.loads(raw) if raw else None)

    def report(self, text, area=None, source_ref=None):
        body = {"text": text}
        if area:
            body["area"] = area
        if source_ref:
            body["source_ref"] = source_ref
        status, doc = self.json("POST", "/v1/reports", MONITOR, body)
        assert status in (200, 202), (status, doc)
        return doc["id"]

    def wait(self, fn, timeout=20, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = fn()
            if got:
                return got
            time.sleep(0.1)
        raise AssertionError("timed out waiting for " + what)

    def wait_scored(self, event_id):
        def scored():
            status, e = self.json("GET", "/v1/events/" + event_id, ANALYST)
            return e if status == 200 and e["status"] == "scored" else None
        return self.wait(scored, what="event %s scored" % event_id)

    def wait_alert(self, event_id):
        def alert():
            status, doc = self.json("GET", "/v1/alerts?event_id=" + event_id, ANALYST)
            return doc["alerts"][0] if status == 200 and doc["alerts"] else None
        return self.wait(alert, what="an alert for event %s" % event_id)

    def stop(self):
        """Stops the binary with SIGTERM (live streams still open) and returns its exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.sink.shutdown()
        self.log.close()
        return self.proc.returncode


class ConsoleTest(unittest.TestCase):
    svc = None
    d = None

    @classmethod
    def setUpClass(cls):
        cls.svc = Service_(ARGS.binary)
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        cls.profile = tempfile.mkdtemp(prefix="sakchy-chromium-")
        for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--user-data-dir=" + cls.profile,
                  "--window-size=1280,900", "--lang=en-US"]:
            opts.add_argument(a)
        opts.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
        cls.d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        cls.d.set_script_timeout(20)

    @classmethod
    def tearDownClass(cls):
        # The service stops cleanly while the console's live stream is still open.
        cls.d.get(cls.svc.base + "/ui/#/alerts")
        code = cls.svc.stop()
        cls.d.quit()
        shutil.rmtree(cls.profile, ignore_errors=True)
        if code != 0:
            with open(cls.svc.log.name) as f:
                tail = f.read()[-4000:]
            raise AssertionError("sakchy exited with %s on SIGTERM:\n%s" % (code, tail))

    # Helpers ------------------------------------------------------------------------------------

    def wait(self, fn, timeout=20, what="the page"):
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.1,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: fn())
        except TimeoutException:
            self.fail("timed out waiting for %s (at %s)" % (what, self.d.current_url))

    def css(self, selector):
        return self.d.find_elements(By.CSS_SELECTOR, selector)

    def visible_text(self, selector):
        return self.js(selector, "el.innerText.trim()") or ""

    def js(self, selector, expr):
        """`expr` evaluated on the element matching `selector` (found afresh: views re-render)."""
        return self.d.execute_script("const el = document.querySelector(arguments[0]);"
                                     "return el ? (" + expr + ") : null;", selector)

    def open(self, route):
        self.d.get(self.svc.base + "/ui/" + route)

    def sign_in(self, token, route="#/"):
        """Signs in with the keyboard only: the token field has the focus, Enter submits."""
        self.open(route)
        self.d.execute_script("sessionStorage.clear(); location.reload();")
        self.wait(lambda: self.css("#token"), what="the sign-in form")
        active = self.d.switch_to.active_element
        self.assertEqual(active.get_attribute("id"), "token", "the token field has the focus")
        active.send_keys(token + Keys.ENTER)
        self.wait(lambda: not self.css("#signin") and self.css("main h1"), what="signed in")

    def shot(self, name, width=1280, height=900, show=None):
        if not ARGS.screenshots:
            return
        os.makedirs(ARGS.screenshots, exist_ok=True)
        self.d.set_window_size(width, height)
        time.sleep(0.6)  # layout settles after the resize (a screenshot only, no assertion)
        if show is not None:  # a selector: lists re-render, so an element found earlier may be gone
            self.d.execute_script("const el = document.querySelector(arguments[0]);"
                                  "if (el) el.scrollIntoView({block: 'center'})", show)
        self.d.save_screenshot(os.path.join(ARGS.screenshots, name + ".png"))
        self.d.set_window_size(1280, 900)

    # Tests --------------------------------------------------------------------------------------

    def test_01_security_headers_and_size(self):
        status, headers, _ = self.svc.call("GET", "/ui/")
        self.assertEqual(status, 200)
        csp = headers["Content-Security-Policy"]
        script_src = [p for p in csp.split(";") if p.strip().startswith("script-src")][0]
        self.assertNotIn("unsafe-inline", script_src)
        self.assertNotIn("unsafe-eval", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(headers["Referrer-Policy"], "no-referrer")
        self.assertEqual(headers["X-Frame-Options"], "DENY")
        conn = http.client.HTTPConnection(self.svc.base.split("//")[1], timeout=10)
        conn.request("GET", "/")
        root = conn.getresponse()
        self.assertEqual((root.status, root.getheader("Location")), (301, "/ui/"))
        conn.close()
        # The first load: the page, its style sheet and every module of the console, compressed.
        files = ["index.html", "app.css", "favicon.svg"]
        for root, _, names in os.walk(os.path.join(SOURCE_DIR, "ui", "web", "js")):
            rel = os.path.relpath(root, os.path.join(SOURCE_DIR, "ui", "web"))
            files += [os.path.join(rel, n) for n in names if n.endswith(".js")]
        total = 0
        for f in files:
            status, headers, body = self.svc.call("GET", "/ui/" + f, headers={"Accept-Encoding": "gzip"})
            self.assertEqual(status, 200, f)
            self.assertEqual(headers.get("Content-Encoding"), "gzip", f)
            gzip.decompress(body)
            total += len(body)
        print("first load: %d files, %d bytes compressed" % (len(files), total), flush=True)
        self.assertLessEqual(total, 300 * 1024)

    def test_02_monitor_report_is_scored_and_seen_by_the_analyst(self):
        self.sign_in(MONITOR, "#/report")
        self.assertIn("#/report", self.d.current_url)
        self.shot("report-phone", 360, 780)
        text = OSH_TEXT + " (console)"
        self.css("#report-text")[0].send_keys(text)
        self.css("#report-send")[0].click()
        self.wait(lambda: self.css("#outbox .outbox-item.state-accepted"), what="202 accepted")
        self.assertIn("202", self.js("#outbox .outbox-item", "el.textContent"))
        event_id = self.js("#outbox .outbox-item code", "el.textContent")
        self.svc.wait_scored(event_id)
        # The analyst finds it in the search and opens it: scored, terms highlighted.
        self.sign_in(ANALYST, "#/events")
        self.wait(lambda: self.css('#ev-results li[data-id="%s"]' % event_id), what="the event in the search")
        self.shot("events")
        self.open("#/events/" + event_id)
        self.wait(lambda: self.visible_text("#event-status") == "scored", what="the scored event")
        self.assertEqual(self.d.execute_script("return document.getElementById('event-text').textContent"), text)
        marks = self.css("#event-text mark.match")
        self.assertTrue(marks, "matched terms are highlighted")
        # The highlights sit on the terms the API matched (UTF-8 byte offsets converted).
        status, event = self.svc.json("GET", "/v1/events/" + event_id, ANALYST)
        excerpts = {m["excerpt"] for m in event["matches"]}
        for m in marks:
            self.assertIn(m.text, excerpts)
        self.shot("event")

    def test_03_report_with_html_is_shown_as_text(self):
        text = ('<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> '
                '<b>bold</b> ' + OSH_TEXT)
        event_id = self.svc.report(text, source_ref="xss-1")
        self.svc.wait_scored(event_id)
        self.sign_in(ANALYST, "#/events/" + event_id)
        self.wait(lambda: self.visible_text("#event-status") == "scored", what="the event")
        self.assertEqual(self.js("#event-text", "el.textContent"), text)
        self.assertFalse(self.css("#event-text img, #event-text script, #event-text b"))
        self.open("#/events?q=script")
        self.wait(lambda: self.css('#ev-results li[data-id="%s"]' % event_id), what="the search result")
        self.assertIn("<script>", self.js('#ev-results li[data-id="%s"] a' % event_id, "el.textContent"))
        self.assertIsNone(self.d.execute_script("return window.__xss"))
        self.assertFalse(self.css("main img"))

    def test_04_alert_reaches_the_inbox_live_and_is_acknowledged(self):
        self.sign_in(OSH_OFFICIAL, "#/alerts")
        self.wait(lambda: self.css('#live[data-state="on"]'), what="the live stream")
        self.d.execute_script("window.__marker = 'no reload'")
        before = len(self.css("#inbox .alert-row"))
        event_id = self.svc.report(OSH_TEXT + " (live)", area="KG-O")
        alert = self.svc.wait_alert(event_id)
        row = '#inbox .alert-row.new[data-id="%s"]' % alert["id"]
        self.wait(lambda: self.css(row), what="the alert arriving over the stream")
        self.assertEqual(self.d.execute_script("return window.__marker"), "no reload")
        self.assertGreater(len(self.css("#inbox .alert-row")), before)
        self.assertIn("unack", self.js(row, "el.className"))
        self.shot("inbox")
        self.wait(lambda: self.css(row + " a"), what="the row")[0].click()
        self.wait(lambda: self.css("#ack-button"), what="the alert page")
        self.assertIn("#/alerts/" + alert["id"], self.d.current_url)
        self.wait(lambda: self.css("#alert-events .event-card"), what="the alert's events")
        self.assertTrue(self.css("#recipients tbody tr"), "who was notified")
        self.css("#ack-button")[0].click()
        self.wait(lambda: self.visible_text("#ack-state") == "Acknowledged", what="the acknowledgement")
        status, detail = self.svc.json("GET", "/v1/alerts/" + alert["id"], ANALYST)
        self.assertTrue(detail["acknowledged"])
        self.assertEqual(detail["acks"][0]["actor"], "env-official-1")
        self.shot("alert")
        # Back in the inbox the incident is no longer highlighted as unacknowledged.
        self.open("#/alerts")
        self.wait(lambda: self.css('#inbox .alert-row.acked[data-id="%s"]' % alert["id"]), what="acknowledged row")

    def test_05_official_of_area_a_never_sees_area_b(self):
        self.sign_in(OSH_OFFICIAL, "#/alerts")
        self.wait(lambda: self.css('#live[data-state="on"]'), what="the live stream")
        naryn_event = self.svc.report(NARYN_TEXT, area="KG-N", source_ref="naryn-1")
        naryn_alert = self.svc.wait_alert(naryn_event)
        self.svc.report(NARYN_TEXT + "!", area="KG-N", source_ref="naryn-2")  # a cluster of two
        # A later Osh alert arrives over the same stream: Naryn's, created before it, did not.
        osh_event = self.svc.report(OSH_TEXT + " (barrier)", area="KG-GO")
        osh_alert = self.svc.wait_alert(osh_event)
        self.wait(lambda: self.css('#inbox .alert-row[data-id="%s"]' % osh_alert["id"]), what="the Osh alert")
        self.assertFalse(self.css('#inbox .alert-row[data-id="%s"]' % naryn_alert["id"]))
        for row in self.css("#inbox .alert-row"):
            area = row.get_attribute("data-area")
            self.assertTrue(area in OSH_AREAS or area.startswith("KG-O-"), area)
        # A shared link to B's alert or event shows a refusal, never its content.
        self.open("#/alerts/" + naryn_alert["id"])
        self.wait(lambda: self.css("main .error"), what="the refusal")
        self.open("#/events/" + naryn_event)
        self.wait(lambda: self.css("main .error"), what="the refusal")
        self.assertNotIn("Нарын", self.js("main", "el.textContent"))
        # Clusters and the event search hold nothing of B.
        cluster = self.svc.wait_scored(naryn_event)["cluster_id"]
        def listed():
            status, doc = self.svc.json("GET", "/v1/clusters?sort=recent", ANALYST)
            return any(c["id"] == cluster for c in doc["clusters"])
        self.svc.wait(listed, what="the Naryn cluster listed for the analyst")
        self.open("#/clusters?sort=recent")
        self.wait(lambda: self.css("#clusters tbody tr"), what="the cluster list")
        self.assertFalse(self.css('#clusters tr[data-id="%s"]' % cluster))
        self.open("#/events?hours=24")
        self.wait(lambda: self.css("#ev-status") and self.visible_text("#ev-status"), what="the search")
        self.assertFalse(self.css('#ev-results li[data-id="%s"]' % naryn_event))
        self.assertNotIn("Нарын", self.js("main", "el.textContent"))
        # The official of B does see it.
        self.sign_in(NARYN_OFFICIAL, "#/alerts")
        self.wait(lambda: self.css('#inbox .alert-row[data-id="%s"]' % naryn_alert["id"]), what="B's alert for B")

    def test_06_map_renders_polygons_and_drills_down(self):
        self.sign_in(ANALYST, "#/map")
        self.wait(lambda: len(self.css("#map path.leaflet-interactive")) >= 7, timeout=30, what="polygons")
        self.assertEqual(len(self.css("#map-table tbody tr")), 9)  # 7 oblasts and 2 cities
        self.shot("map")
        self.css('#map-table tr[data-code="KG-O"] th a')[0].click()
        self.wait(lambda: self.css('#map-table tr[data-code="KG-O-ARAVAN"]'), what="the raions of Osh region")
        self.wait(lambda: len(self.css("#map path.leaflet-interactive")) >= 5, what="raion polygons")
        self.open("#/trends?area=KG-O")
        self.wait(lambda: self.css("svg.chart"), what="the trend charts")
        self.shot("trends")

    def test_07_offline_queue_sends_once_after_reconnecting(self):
        self.sign_in(MONITOR, "#/report")
        self.d.execute_cdp_cmd("Network.enable", {})
        offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        self.d.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
        try:
            text = "Офлайн: " + OSH_TEXT
            self.css("#report-text")[0].send_keys(text)
            self.css("#report-send")[0].click()
            self.wait(lambda: self.css("#outbox .outbox-item.state-queued"), what="queued offline")
            ref = self.js("#outbox .outbox-item.state-queued", "el.dataset.ref")
            self.shot("report-offline", 360, 780, show='#outbox .outbox-item[data-ref="%s"]' % ref)
        finally:
            online = dict(offline, offline=False)
            self.d.execute_cdp_cmd("Network.emulateNetworkConditions", online)
        self.wait(lambda: self.css('#outbox .outbox-item.state-accepted[data-ref="%s"]' % ref), timeout=30,
                  what="sent after reconnecting")
        self.assertEqual(len(self.css('#outbox .outbox-item[data-ref="%s"]' % ref)), 1)
        event_id = self.js('#outbox .outbox-item[data-ref="%s"] code' % ref, "el.textContent")
        # Stored once: the same source_ref again is a duplicate of that event.
        status, doc = self.svc.json("POST", "/v1/reports", MONITOR, {"text": text, "source_ref": ref})
        self.assertEqual((status, doc["status"], doc["id"]), (200, "duplicate", event_id))
        status, _, csv = self.svc.call("GET", "/v1/export/events.csv", ANALYST)
        self.assertEqual(csv.decode().count(ref), 1)

    def test_08_language_switch_changes_strings(self):
        self.sign_in(ANALYST, "#/alerts")
        self.wait(lambda: self.css("#inbox"), what="the inbox")
        self.assertEqual(self.visible_text("main h1"), "Alert inbox")
        lang = Select(self.css("#lang")[0])
        lang.select_by_value("ru")
        self.wait(lambda: self.visible_text("main h1") == "Входящие тревоги", what="Russian")
        self.assertEqual(self.visible_text('#nav a[href="#/map"]'), "Карта")
        self.assertEqual(self.d.execute_script("return document.documentElement.lang"), "ru")
        Select(self.css("#lang")[0]).select_by_value("ky")
        self.wait(lambda: self.visible_text("main h1") == "Кирүүчү эскертүүлөр", what="Kyrgyz")
        self.shot("inbox-ky")
        Select(self.css("#lang")[0]).select_by_value("en")
        self.wait(lambda: self.visible_text("main h1") == "Alert inbox", what="English")
        # Every string exists in all three languages.
        missing = self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "import('/ui/js/i18n.js').then((m) => done(m.missingKeys()), (e) => done(String(e)));")
        self.assertEqual(missing, [])

    def test_09_admin_views(self):
        self.sign_in(ADMIN, "#/admin/rules")
        self.wait(lambda: self.css("#rules-info"), what="the rules")
        self.css("#rules-reload")[0].click()
        self.wait(lambda: self.css("#reload-result p"), what="the reload result")
        self.open("#/admin/contacts")
        self.wait(lambda: self.css('#contacts tr[data-id="osh-duty"]'), what="the contacts")
        self.shot("contacts")


    def test_10_keyboard_only(self):
        """An official opens an alert from the inbox and acknowledges it with Tab and Enter."""
        alert = self.svc.wait_alert(self.svc.report(OSH_TEXT + " (keyboard)", area="KG-O"))
        self.sign_in(OSH_OFFICIAL, "#/alerts")
        self.wait(lambda: self.css('#inbox .alert-row[data-id="%s"]' % alert["id"]), what="the alert")

        def tab_to(pred, limit=80):
            for _ in range(limit):
                self.d.switch_to.active_element.send_keys(Keys.TAB)
                if pred(self.d.switch_to.active_element):
                    return True
            return False

        target = "#/alerts/" + alert["id"]
        self.assertTrue(tab_to(lambda el: (el.get_attribute("href") or "").endswith(target)),
                        "the alert's row is reachable with Tab")
        self.d.switch_to.active_element.send_keys(Keys.ENTER)
        self.wait(lambda: self.css("#ack-button"), what="the alert page")
        self.assertTrue(tab_to(lambda el: el.get_attribute("id") == "ack-button"),
                        "the Acknowledge button is reachable with Tab")
        self.d.switch_to.active_element.send_keys(Keys.ENTER)
        self.wait(lambda: self.visible_text("#ack-state") == "Acknowledged", what="the acknowledgement")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--screenshots", default=os.environ.get("SAKCHY_SCREENSHOTS"))
    ARGS, rest = parser.parse_known_args()
    ARGS.binary = os.path.abspath(ARGS.binary)
    if webdriver is None:
        skip("python3-selenium is not installed (scripts/bootstrap.sh --with-test-tools)")
    if not os.access(CHROMIUM, os.X_OK) or not os.access(CHROMEDRIVER, os.X_OK):
        skip("chromium and chromium-driver are not installed (scripts/bootstrap.sh --with-test-tools)")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
