#!/usr/bin/env bash
# Auth-on vs auth-off POST throughput in one sitting (issue 10: within 5 %). Two `prequal serve` processes on
# one throw-away PostgreSQL (a database each, memory bus, loopback): one with --auth=none, one with
# --auth=api-key and an unlimited key. Runs bench/post-load.sh against them alternately (A B B A ...), each run
# after the previous one's pipeline backlog has drained, and prints every run and the medians: requests/s, and
# the server's CPU time per request (utime + stime from /proc, which other load on a shared machine disturbs
# far less than throughput).
# usage: bench/auth-overhead.sh [BUILD_DIR] [DURATION] [CONNECTIONS] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
build="${1:-$here/../build}"
dur="${2:-15s}"
conn="${3:-16}"
rounds="${4:-4}"
bin="$build/prequal"
[ -x "$bin" ] || { echo "no $bin (build first)" >&2; exit 1; }

bench_work_dir prequal-auth-bench
bench_two_servers "$bin" "" --auth=none "$bin" "" --auth=api-key
key="$("$bin" apikey create --database-url="$(url after)" --name=bench --rate-limit=0 2>/dev/null | head -1)"
bench_ab "$dur" "$conn" "$rounds" "auth off" "$port_before" "$pid_before" "" before \
    "auth on" "$port_after" "$pid_after" "$key" after
