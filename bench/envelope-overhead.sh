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
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
for p in "$port_before" "$port_after"; do
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$p/health" >/dev/null && break; sleep 0.1; done
done

drained() {  # waits until the server on port $1 has no PENDING application (at most 120 s)
    for _ in $(seq 1200); do
        pending=$(curl -sf "http://127.0.0.1:$1/metrics" | awk '$1=="applications_pending"{print $2}')
        [[ "${pending:-0}" == "0" ]] && return 0
        sleep 0.1
    done
}
run() {  # run before|after → prints "requests/s CPU-µs-per-request" (CPU until the backlog has drained)
    local port=$port_before pid=$pid_before
    [[ $1 == after ]] && { port=$port_after; pid=$pid_after; }
    drained "$port"
    local b a
    b=$(cpu_ticks "$pid")
    "$here/post-load.sh" "http://127.0.0.1:$port" "$dur" "$conn" >"$work/run.out" 2>&1
    drained "$port"
    a=$(cpu_ticks "$pid")
    local rps non202 total cpu
    rps=$(awk '/^requests_per_sec/{print $2}' "$work/run.out")
    non202=$(awk '/^non_202/{print $2}' "$work/run.out")
    total=$(awk '/^requests_total/{print $2}' "$work/run.out")
    cpu=$(awk -v t=$((a - b)) -v n="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.0f", t / hz / n * 1e6}')
    echo "$1 $rps req/s, $cpu µs CPU/request, non202=$non202" >&2
    echo "$rps $cpu"
}

echo "warm-up" >&2
"$here/post-load.sh" "http://127.0.0.1:$port_before" 3s "$conn" >/dev/null 2>&1
"$here/post-load.sh" "http://127.0.0.1:$port_after" 3s "$conn" >/dev/null 2>&1
before=()
after=()
before_cpu=()
after_cpu=()
record() {  # record before|after
    local r
    r=$(run "$1")
    if [[ $1 == before ]]; then before+=("${r% *}"); before_cpu+=("${r#* }"); else after+=("${r% *}"); after_cpu+=("${r#* }"); fi
}
for i in $(seq "$rounds"); do
    if (( i % 2 )); then record before; record after; else record after; record before; fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
change() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%+.1f %%", (a/b-1)*100}'; }
m_b=$(median "${before[@]}")
m_a=$(median "${after[@]}")
c_b=$(median "${before_cpu[@]}")
c_a=$(median "${after_cpu[@]}")
echo "before runs (req/s): ${before[*]}   CPU µs/request: ${before_cpu[*]}"
echo "after  runs (req/s): ${after[*]}   CPU µs/request: ${after_cpu[*]}"
echo "median req/s: before $m_b, after $m_a ($(change "$m_a" "$m_b"))"
echo "median server CPU µs/request: before $c_b, after $c_a ($(change "$c_a" "$c_b"))"
