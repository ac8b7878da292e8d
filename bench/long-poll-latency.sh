#!/usr/bin/env bash
# Submit → decision latency seen by a client, long poll vs polling every 2 ms, at 50/s and 500/s, in one
# sitting against one throw-away `prequal serve` (memory bus, private PostgreSQL in a temp dir).
# Usage: bench/long-poll-latency.sh [BUILD_DIR] [PORT]   (N_SLOW / N_FAST override the application counts)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
port="${2:-18095}"
shared="${PREQUAL_SHARED_BENCH:-$root/../shared/bench}"
n_slow="${N_SLOW:-500}"
n_fast="${N_FAST:-3000}"
bin="$build/prequal"
[ -x "$bin" ] || { echo "build first: $bin missing" >&2; exit 1; }
[ -f "$shared/e2e-latency.py" ] || { echo "missing $shared/e2e-latency.py (set PREQUAL_SHARED_BENCH)" >&2; exit 1; }
data="$(mktemp -d /tmp/prequal-longpoll.XXXXXX)"
chmod 755 "$data"
"$bin" serve --data-dir="$data" --listen="127.0.0.1:$port" --log-level=warn 2>"$data/serve.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
url="http://127.0.0.1:$port"
python3 "$shared/e2e-latency.py" "$url" 200 50 --poll-ms 2 >/dev/null  # warm-up (pool, caches)
for spec in "50 $n_slow" "500 $n_fast"; do
    set -- $spec
    echo "=== $1/s, $2 applications: polling every 2 ms (e2e-latency.py) ==="
    python3 "$shared/e2e-latency.py" "$url" "$2" "$1" --poll-ms 2 | grep -E "submitted|e2e_latency|finished|polls" || true
    echo "=== $1/s, $2 applications: long poll (?wait=30) ==="
    python3 "$root/bench/long-poll-latency.py" "$url" "$2" "$1" || true
done
