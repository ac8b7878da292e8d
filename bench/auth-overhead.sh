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
bench_start_postgres "$work" prequal
url() { echo "host=$BENCH_PGSOCK port=$BENCH_PGPORT user=prequal dbname=$1"; }
for db in auth_off auth_on; do bench_pg "$BENCH_PGBIN/createdb" -h "$BENCH_PGSOCK" -p "$BENCH_PGPORT" -U prequal "$db"; done
keys="$("$bin" keygen)"
enc="$(sed -n 's/^--encryption-keys=//p' <<<"$keys")"
pan="$(sed -n 's/^--pan-index-key=//p' <<<"$keys")"

port_off=$(bench_free_port)
port_on=$(bench_free_port)
start() {  # start NAME PORT DB AUTH
    "$bin" serve --database-url="$(url "$3")" --listen="127.0.0.1:$2" --auth="$4" --encryption-keys="$enc" \
        --pan-index-key="$pan" --log-level=warn 2>"$work/$1.log" &
    pids+=($!)
}
start off "$port_off" auth_off none
pid_off=$!
start on "$port_on" auth_on api-key
pid_on=$!
bench_wait_healthy "$port_off" "$port_on"
key="$("$bin" apikey create --database-url="$(url auth_on)" --name=bench --rate-limit=0 2>/dev/null | head -1)"
bench_ab "$dur" "$conn" "$rounds" "auth off" "$port_off" "$pid_off" "" auth_off "auth on" "$port_on" "$pid_on" "$key" auth_on
