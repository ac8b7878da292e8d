#!/usr/bin/env python3
"""Submit -> long-poll return latency of prequal (stdlib only): the long-poll twin of
../shared/bench/e2e-latency.py, so the two compare directly.

usage: long-poll-latency.py URL N RATE [--wait-s 30] [--timeout-s 30] [--json]

Submits N valid applications open-loop at RATE per second; right after each 202 it sends
GET URL/applications/{id}/status?wait=S on its own connection and, should that return still PENDING
(only at the deadline), asks again until --timeout-s has passed since the POST was sent.

Latency = time the POST was sent -> time the long poll that carried a final status returned.
Reports decision latency p50/p95/p99/max, the number of status requests, unfinished count and outcomes.
"""
import argparse
import asyncio
import json
import random
import string
import sys
import time
from urllib.parse import urlsplit

FINAL = {"PRE_APPROVED", "REJECTED", "MANUAL_REVIEW"}


async def request(host, port, method, path, body=None, conn=None):
    """One HTTP/1.1 request with Content-Length on `conn` (reader, writer) or a new connection; keep-alive."""
    data = json.dumps(body).encode() if body is not None else b""
    reader, writer = conn or await asyncio.open_connection(host, port)
    writer.write((f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(data)}\r\n\r\n").encode() + data)
    status = int((await reader.readline()).split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    return status, await reader.readexactly(length), (reader, writer)


def make_application(rng):
    pan = ("".join(rng.choice(string.ascii_uppercase) for _ in range(5))
           + f"{rng.randrange(10000):04d}" + rng.choice(string.ascii_uppercase))
    income = rng.randint(12000, 400000)
    return {"pan_number": pan, "applicant_name": "Bench Applicant", "monthly_income_inr": income,
            "loan_amount_inr": rng.randint(50, 5000) * 1000, "loan_type": rng.choice(["PERSONAL", "HOME", "AUTO"])}


def pct(vals, p):
    if not vals:
        return float("nan")
    return vals[max(0, min(len(vals) - 1, int(round(p / 100.0 * len(vals) + 0.5)) - 1))]


async def one(host, port, prefix, body, wait_s, timeout_s, res):
    t0 = time.perf_counter()
    try:
        status, payload, conn = await request(host, port, "POST", prefix + "/applications", body)
    except Exception as e:  # noqa: BLE001
        res["errors"].append(repr(e))
        return
    if status != 202:
        res["non202"][status] = res["non202"].get(status, 0) + 1
        conn[1].close()
        return
    app_id = json.loads(payload)["application_id"]
    try:
        while time.perf_counter() - t0 < timeout_s:
            status, payload, conn = await request(host, port, "GET",
                                                  f"{prefix}/applications/{app_id}/status?wait={wait_s}",
                                                  conn=conn)
            res["polls"] += 1
            if status != 200:
                res["non200"] += 1
                continue
            s = json.loads(payload)["status"]
            if s in FINAL:
                res["e2e"].append(time.perf_counter() - t0)
                res["outcomes"][s] = res["outcomes"].get(s, 0) + 1
                return
        res["unfinished"] += 1
    except Exception as e:  # noqa: BLE001
        res["errors"].append(repr(e))
    finally:
        conn[1].close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url")
    ap.add_argument("n", type=int)
    ap.add_argument("rate", type=float)
    ap.add_argument("--wait-s", type=int, default=30)
    ap.add_argument("--timeout-s", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    u = urlsplit(a.url)
    rng = random.Random(a.seed)
    res = {"e2e": [], "non202": {}, "errors": [], "unfinished": 0, "polls": 0, "non200": 0, "outcomes": {}}
    bodies = [make_application(rng) for _ in range(a.n)]
    tasks, start = [], time.perf_counter()
    for i, body in enumerate(bodies):
        delay = start + i / a.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(
            one(u.hostname, u.port or 80, u.path.rstrip("/"), body, a.wait_s, a.timeout_s, res)))
    await asyncio.gather(*tasks)
    e2e = sorted(x * 1000 for x in res["e2e"])
    print(f"target            {a.url}  {a.n} at {a.rate:g}/s, total run {time.perf_counter() - start:.1f} s")
    print(f"e2e_latency_ms    p50 {pct(e2e, 50):.1f} p95 {pct(e2e, 95):.1f} p99 {pct(e2e, 99):.1f} "
          f"max {e2e[-1] if e2e else float('nan'):.1f}  (long poll, wait={a.wait_s})")
    print(f"finished          {len(e2e)}  unfinished {res['unfinished']}  non-202 {res['non202'] or 0}  "
          f"errors {len(res['errors'])}")
    print(f"status requests   {res['polls']} (non-200 {res['non200']})  outcomes {res['outcomes']}")
    if a.json:
        print(json.dumps({"n": a.n, "rate": a.rate, "finished": len(e2e), "polls": res["polls"],
                          "e2e_ms": {"p50": pct(e2e, 50), "p95": pct(e2e, 95), "p99": pct(e2e, 99),
                                     "max": e2e[-1] if e2e else None}}))
    return 0 if res["unfinished"] == 0 and not res["non202"] and not res["errors"] else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
