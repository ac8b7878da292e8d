#!/usr/bin/env bash
# Starts a throw-away prequal (memory bus, private PostgreSQL in a temp dir) for load measurements and
# prints its URL; stop it with Ctrl-C. Usage: bench/serve.sh [PORT] [extra serve flags...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${1:-18090}"
shift || true
bin="${PREQUAL_BIN:-$root/build/prequal}"
[ -x "$bin" ] || { echo "build first (scripts/run or cmake --build build): $bin missing" >&2; exit 1; }
data="$(mktemp -d /tmp/prequal-bench.XXXXXX)"
chmod 755 "$data"
trap 'rm -rf "$data"' EXIT
echo "serving on http://127.0.0.1:$port (data in $data)" >&2
"$bin" serve --data-dir="$data" --listen="127.0.0.1:$port" --log-level=warn "$@"
