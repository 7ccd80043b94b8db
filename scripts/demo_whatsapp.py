#!/usr/bin/env python3
"""The first run's WhatsApp: a citizen who asks and an answer that arrives (scripts/run.sh).

  demo_whatsapp.py serve [PORT]    a stand-in for WhatsApp's Graph API on 127.0.0.1:PORT (8098):
                                   prints each message Sakchy sends to a reporter and answers as
                                   the Cloud API does (POST /v21.0/<phone id>/messages)
  demo_whatsapp.py send URL SECRET FROM TEXT
                                   posts TEXT from the number FROM to Sakchy's webhook
                                   URL/v1/ingest/whatsapp as a Cloud API `messages` notification,
                                   signed with SECRET (X-Hub-Signature-256); prints the status

Only for the demo: Sakchy's tests use their own wire-format fake (tests/fakes/whatsapp_fake.*).
"""
import hashlib
import hmac
import http.server
import json
import sys
import time
import urllib.request


class GraphApi(http.server.BaseHTTPRequestHandler):
    sent = 0

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        try:
            msg = json.loads(body)
        except ValueError:
            msg = {}
        text = (msg.get("text") or {}).get("body", "")
        if not text and msg.get("type") == "template":
            text = "(template %s)" % (msg.get("template") or {}).get("name", "?")
        print("    WhatsApp -> +%s: %s" % (msg.get("to", "?"), text), flush=True)
        GraphApi.sent += 1
        out = json.dumps({"messaging_product": "whatsapp",
                          "contacts": [{"input": msg.get("to", ""), "wa_id": msg.get("to", "")}],
                          "messages": [{"id": "wamid.demo.%d" % GraphApi.sent}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):  # quiet: only the messages are printed
        pass


def serve(port):
    http.server.ThreadingHTTPServer(("127.0.0.1", port), GraphApi).serve_forever()


def send(url, secret, sender, text):
    now = int(time.time())
    body = json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "996312000000",
                         "phone_number_id": "100000000000001"},
            "contacts": [{"profile": {"name": "demo"}, "wa_id": sender}],
            "messages": [{"from": sender, "id": "wamid.demo.in.%d" % now,
                          "timestamp": str(now), "type": "text", "text": {"body": text}}]}}]}],
    }, ensure_ascii=False).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(url.rstrip("/") + "/v1/ingest/whatsapp", data=body, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "X-Hub-Signature-256": signature})
    with urllib.request.urlopen(req, timeout=10) as resp:
        print("    the webhook answered %d (stored before the answer)" % resp.status)


def main(argv):
    if len(argv) >= 2 and argv[1] == "serve":
        serve(int(argv[2]) if len(argv) > 2 else 8098)
    elif len(argv) == 6 and argv[1] == "send":
        send(*argv[2:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
