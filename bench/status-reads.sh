#!/usr/bin/env bash
# GET …/status throughput before vs after "reads write nothing" (issue 13 item 5), in one sitting. Two
# `prequal serve` processes on one throw-away PostgreSQL (a database each, memory bus, loopback, --auth=none):
# BEFORE_BIN (a build whose status read writes an audit row, with its own migrations directory) and the binary
# of BUILD_DIR (the read is a SELECT; the access trail writes in batches). Each server decides one application;
# then wrk reads its status for DURATION with CONNECTIONS connections, alternately (A B B A ...). Prints every
# run and the medians: requests/s, the server's CPU time per request (utime + stime from /proc), and the rows
# and INSERT statements the reads caused (audit_log rows before; access_trail rows and flushes after).
# usage: bench/status-reads.sh BEFORE_BIN BEFORE_SQL_DIR [BUILD_DIR] [DURATION] [CONNECTIONS] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
before_bin="${1:?usage: bench/status-reads.sh BEFORE_BIN BEFORE_SQL_DIR [BUILD_DIR] [DURATION] [CONN] [ROUNDS]}"
before_sql="${2:?the migrations directory of BEFORE_BIN}"
build="${3:-$here/../build}"
dur="${4:-10s}"
conn="${5:-16}"
rounds="${6:-4}"
bin="$build/prequal"
[ -x "$bin" ] || { echo "no $bin (build first)" >&2; exit 1; }
[ -x "$before_bin" ] || { echo "no $before_bin" >&2; exit 1; }

bench_work_dir prequal-status-bench
bench_two_servers "$before_bin" "$before_sql" --auth=none "$bin" "" --auth=none
psql_value() { bench_pg "$BENCH_PGBIN/psql" -h "$BENCH_PGSOCK" -p "$BENCH_PGPORT" -U prequal -d "$1" -tAc "$2"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks

# One decided application per server.
declare -A app
for p in "$port_before" "$port_after"; do
    id=$(curl -sf -H 'Content-Type: application/json' \
        -d '{"pan_number":"ABCDE1234F","monthly_income_inr":120000,"loan_amount_inr":500000}' \
        "http://127.0.0.1:$p/applications" | python3 -c 'import json,sys; print(json.load(sys.stdin)["application_id"])')
    for _ in $(seq 300); do
        curl -sf "http://127.0.0.1:$p/applications/$id/status" | grep -q '"status":"PENDING"' || break
        sleep 0.1
    done
    app[$p]=$id
done

metric() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1==m{print $2}'; }
rows() {  # rows the reads write: before → audit_log rows, after → access_trail rows
    if [[ $1 == before ]]; then psql_value before "SELECT count(*) FROM audit_log"
    else psql_value after "SELECT count(*) FROM access_trail"; fi
}
run() {  # run 0 (before) | 1 (after) → prints "requests/s CPU-µs-per-request"
    local port=$port_before pid=$pid_before side=before
    [[ $1 == 1 ]] && { port=$port_after; pid=$pid_after; side=after; }
    local b a rows_b rows_a flushes_b flushes_a dropped_b dropped_a
    rows_b=$(rows "$side")
    flushes_b=$(metric "$port" access_trail_flushes_total)
    dropped_b=$(metric "$port" access_trail_dropped_total)
    b=$(cpu_ticks "$pid")
    wrk -t2 -c"$conn" -d"$dur" "http://127.0.0.1:$port/applications/${app[$port]}/status" >"$work/run.out" 2>&1
    a=$(cpu_ticks "$pid")
    sleep 1.5  # the last access-trail flush
    rows_a=$(rows "$side")
    flushes_a=$(metric "$port" access_trail_flushes_total)
    dropped_a=$(metric "$port" access_trail_dropped_total)
    local rps total non2xx cpu
    rps=$(awk '/^Requests\/sec:/{print $2}' "$work/run.out")
    total=$(awk '/requests in/{print $1}' "$work/run.out")
    non2xx=$(awk '/Non-2xx/{print $NF}' "$work/run.out")
    cpu=$(awk -v t=$((a - b)) -v n="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.0f", t / hz / n * 1e6}')
    echo "$side $rps req/s, $cpu µs CPU/request, $total reads → $((rows_a - rows_b)) rows," \
        "$(( ${flushes_a:-0} - ${flushes_b:-0} )) trail INSERTs, $(( ${dropped_a:-0} - ${dropped_b:-0} )) dropped," \
        "non2xx=${non2xx:-0}" >&2
    echo "$rps $cpu"
}

echo "warm-up" >&2
for p in "$port_before" "$port_after"; do
    wrk -t2 -c"$conn" -d3s "http://127.0.0.1:$p/applications/${app[$p]}/status" >/dev/null 2>&1
done
bench_alternate "$rounds" run before after "reads/s" "server CPU µs/read"
