#!/usr/bin/env python3
"""Test webhook receiver: an HTTP server on 127.0.0.1 that checks Prequal-Signature with Python's own hmac
(an implementation independent of prequal's) and logs every request as one JSON line.

Options: --port (0: any; the bound port is written to --port-file), --log FILE, --secrets FILE (one secret a
line, re-read at each request so a test can write it after `prequal webhook set`), --fail-first N (answer 500
to the first N requests), --hang (never answer in time), --delay S (sleep before answering).
"""
import argparse
import hashlib
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
lock = threading.Lock()
served = 0


def secrets():
    try:
        with open(args.secrets, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]
    except (OSError, TypeError):
        return []


def check(signature, body):
    """The signed time, the v1 signatures, and which configured secrets one of them matches."""
    parts = [p.split("=", 1) for p in signature.split(",") if "=" in p]
    t = next((v for k, v in parts if k == "t"), None)
    v1 = [v for k, v in parts if k == "v1"]
    valid = []
    for s in secrets():
        expected = hmac.new(s.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        valid.append(any(hmac.compare_digest(expected, v) for v in v1))
    return t, v1, valid


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def do_POST(self):
        global served
        arrived = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            served += 1
            n = served
        status = 500 if n <= args.fail_first else 200
        t, v1, valid = check(self.headers.get("Prequal-Signature", ""), body)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        record = {"n": n, "arrived": arrived, "event_id": self.headers.get("Prequal-Event-Id"),
                  "content_type": self.headers.get("Content-Type"), "t": t, "v1": len(v1), "valid": valid,
                  "body": parsed, "status": status, "traceparent": self.headers.get("traceparent")}
        with lock, open(args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if args.hang:
            time.sleep(60)
        if args.delay:
            time.sleep(args.delay)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--secrets")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--hang", action="store_true")
    p.add_argument("--delay", type=float, default=0)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    # Bounded: a test receiver never outlives its test by long.
    stopper = threading.Timer(600, server.shutdown)
    stopper.daemon = True
    stopper.start()
    server.serve_forever()


if __name__ == "__main__":
    main()
