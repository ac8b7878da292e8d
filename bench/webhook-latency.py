#!/usr/bin/env python3
"""Submit → webhook latency (contract section 7), stdlib only.

usage: webhook-latency.py URL N RATE --receiver-port PORT [--timeout-s 60]

Listens on 127.0.0.1:PORT as the webhook receiver (timestamps each arrival), submits N valid applications
open-loop at RATE per second to URL, and reports, per application, the time from sending its POST to the
arrival of its decision's webhook: p50/p95/p99/max, and how many never arrived within --timeout-s.
The receiver answers 200 at once and does not check signatures (the tests do that).
"""
import argparse
import http.client
import json
import random
import string
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

arrivals = {}
lock = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def do_POST(self):
        now = time.monotonic()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        app = json.loads(body).get("application_id")
        with lock:
            arrivals.setdefault(app, now)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def pan():
    return "".join(random.choices(string.ascii_uppercase, k=5)) + "".join(random.choices(string.digits, k=4)) + \
        random.choice(string.ascii_uppercase)


def submitter(url, sent, plan):
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    for at in plan:
        delay = at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = json.dumps({"pan_number": pan(), "monthly_income_inr": random.choice([30000, 65000, 150000]),
                           "loan_amount_inr": 900000, "loan_type": "PERSONAL"})
        t0 = time.monotonic()
        try:
            conn.request("POST", "/applications", body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
        except OSError:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            continue
        if r.status == 202:
            with lock:
                sent[json.loads(data)["application_id"]] = t0


def pct(values, p):
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("n", type=int)
    ap.add_argument("rate", type=float)
    ap.add_argument("--receiver-port", type=int, required=True)
    ap.add_argument("--timeout-s", type=float, default=60)
    a = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", a.receiver_port), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()

    sent = {}
    start = time.monotonic() + 0.2
    workers = max(1, min(32, int(a.rate / 20) + 1))  # open loop: enough connections that none falls behind
    plans = [[] for _ in range(workers)]
    for i in range(a.n):
        plans[i % workers].append(start + i / a.rate)
    threads = [threading.Thread(target=submitter, args=(a.url, sent, p)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    deadline = time.monotonic() + a.timeout_s
    while time.monotonic() < deadline:
        with lock:
            if all(app in arrivals for app in sent):
                break
        time.sleep(0.05)
    with lock:
        lat = sorted((arrivals[app] - t0) * 1000 for app, t0 in sent.items() if app in arrivals)
        missing = sum(1 for app in sent if app not in arrivals)
    server.shutdown()
    if not lat:
        print(f"accepted {len(sent)}, no webhook arrived")
        return
    print(f"N={a.n} rate={a.rate}/s accepted={len(sent)} arrived={len(lat)} missing={missing}  "
          f"submit→webhook p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms, p99 {pct(lat, 99):.1f} ms, "
          f"max {lat[-1]:.1f} ms")


if __name__ == "__main__":
    main()
