#!/usr/bin/env bash
# POST-only load test of the Loan Prequalification HTTP contract.
# usage: post-load.sh URL DURATION CONNECTIONS
#   URL          base URL of the service, e.g. http://127.0.0.1:8080 (POSTs go to URL/applications)
#   DURATION     wrk duration, e.g. 20s (default 20s)
#   CONNECTIONS  concurrent keep-alive connections (default 16)
# env: WRK_THREADS (default 2, capped at CONNECTIONS), WRK_TIMEOUT (default 10s),
#      PREQUAL_API_KEY (sent as `Authorization: Bearer ...` on every request when set)
# Copy of ../shared/bench/post-load.sh using bench/post.lua (the same load, plus the optional API key).
# Prints wrk's own report followed by a "post-load summary" block with requests/s,
# latency p50/p90/p99 and the number of non-202 responses (by status code).
set -euo pipefail
URL=${1:?usage: post-load.sh URL DURATION CONNECTIONS}
DUR=${2:-20s}
CONN=${3:-16}
THREADS=${WRK_THREADS:-2}
if (( THREADS > CONN )); then THREADS=$CONN; fi
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 2; }
exec wrk -t"$THREADS" -c"$CONN" -d"$DUR" --timeout "${WRK_TIMEOUT:-10s}" --latency \
    -s "$DIR/post.lua" "$URL"
