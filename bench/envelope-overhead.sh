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
bench_start_postgres "$work" prequal
url() { echo "host=$BENCH_PGSOCK port=$BENCH_PGPORT user=prequal dbname=$1"; }
for db in before after; do bench_pg "$BENCH_PGBIN/createdb" -h "$BENCH_PGSOCK" -p "$BENCH_PGPORT" -U prequal "$db"; done
keys="$("$bin" keygen)"
enc="$(sed -n 's/^--encryption-keys=//p' <<<"$keys")"
pan="$(sed -n 's/^--pan-index-key=//p' <<<"$keys")"

port_before=$(bench_free_port)
port_after=$(bench_free_port)
start() {  # start NAME BIN PORT DB [EXTRA]
    "$2" serve --database-url="$(url "$4")" --listen="127.0.0.1:$3" --auth=none --encryption-keys="$enc" \
        --pan-index-key="$pan" --log-level=warn ${5:+"$5"} 2>"$work/$1.log" &
    pids+=($!)
}
start before "$before_bin" "$port_before" before --sql-dir="$before_sql"
pid_before=$!
start after "$bin" "$port_after" after
pid_after=$!
bench_wait_healthy "$port_before" "$port_after"
bench_ab "$dur" "$conn" "$rounds" before "$port_before" "$pid_before" "" before after "$port_after" "$pid_after" "" after
