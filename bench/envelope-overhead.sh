#!/usr/bin/env bash
# POST throughput before vs after envelope encryption (issue 13: at most 10 % cost), in one sitting. Two
# `prequal serve` processes on one throw-away PostgreSQL (a database each, memory bus, loopback, --auth=none):
# BEFORE_BIN (a build without per-application data keys, with its own migrations directory) and the binary of
# BUILD_DIR. Runs bench/post-load.sh against them alternately (A B B A ...), each run after the previous one's
# pipeline backlog has drained, and prints every run and the medians: requests/s, and the server's CPU time per
# request (utime + stime from /proc, much less disturbed by other load on a shared machine than throughput).
# usage: bench/envelope-overhead.sh BEFORE_BIN BEFORE_SQL_DIR [BUILD_DIR] [DURATION] [CONNECTIONS] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
before_bin="${1:?usage: bench/envelope-overhead.sh BEFORE_BIN BEFORE_SQL_DIR [BUILD_DIR] [DURATION] [CONN] [ROUNDS]}"
before_sql="${2:?the migrations directory of BEFORE_BIN}"
build="${3:-$here/../build}"
dur="${4:-15s}"
conn="${5:-16}"
rounds="${6:-4}"
bin="$build/prequal"
[ -x "$bin" ] || { echo "no $bin (build first)" >&2; exit 1; }
[ -x "$before_bin" ] || { echo "no $before_bin" >&2; exit 1; }

bench_work_dir prequal-envelope-bench
bench_two_servers "$before_bin" "$before_sql" --auth=none "$bin" "" --auth=none
bench_ab "$dur" "$conn" "$rounds" before "$port_before" "$pid_before" "" before after "$port_after" "$pid_after" "" after
