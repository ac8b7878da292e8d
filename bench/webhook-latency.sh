#!/usr/bin/env bash
# Submit → webhook latency at 50/s and 500/s (bench/RESULTS.md): a throw-away prequal (memory bus, private
# PostgreSQL in a temp dir, --webhook-allow-private), the anonymous client's webhook pointed at the bench
# receiver of webhook-latency.py on 127.0.0.1, then N applications at each rate.
# Usage: bench/webhook-latency.sh [BUILD_DIR] [N]   (PREQUAL_BIN overrides the binary)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/bench/lib.sh"
bin="${PREQUAL_BIN:-$root/${1:-build}/prequal}"
n="${2:-1000}"
[ -x "$bin" ] || { echo "build first: $bin missing" >&2; exit 1; }
data="$(mktemp -d /tmp/prequal-webhook-bench.XXXXXX)"
chmod 755 "$data"
port=$(bench_free_port)
receiver=$(bench_free_port)
"$bin" serve --data-dir="$data" --listen="127.0.0.1:$port" --log-level=warn --webhook-allow-private \
    --default-rate-limit=0 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
"$bin" webhook set --data-dir="$data" --client=anonymous --url="http://127.0.0.1:$receiver/hook" \
    --allow-private >/dev/null 2>&1
for rate in 50 500; do
    python3 "$root/bench/webhook-latency.py" "http://127.0.0.1:$port" "$n" "$rate" --receiver-port="$receiver"
done
