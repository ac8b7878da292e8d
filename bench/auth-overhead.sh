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
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
for p in "$port_off" "$port_on"; do
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$p/health" >/dev/null && break; sleep 0.1; done
done
key="$("$bin" apikey create --database-url="$(url auth_on)" --name=bench --rate-limit=0 2>/dev/null | head -1)"

drained() {  # waits until the server on port $1 has no PENDING application (at most 120 s)
    for _ in $(seq 1200); do
        pending=$(curl -sf "http://127.0.0.1:$1/metrics" | awk '$1=="applications_pending"{print $2}')
        [[ "${pending:-0}" == "0" ]] && return 0
        sleep 0.1
    done
}
run() {  # run off|on → prints "requests/s CPU-µs-per-request" (CPU until the backlog has drained)
    local port=$port_off pid=$pid_off k=""
    [[ $1 == on ]] && { port=$port_on; pid=$pid_on; k=$key; }
    drained "$port"
    local before after
    before=$(cpu_ticks "$pid")
    PREQUAL_API_KEY="$k" "$here/post-load.sh" "http://127.0.0.1:$port" "$dur" "$conn" >"$work/run.out" 2>&1
    drained "$port"
    after=$(cpu_ticks "$pid")
    local rps non202 total cpu
    rps=$(awk '/^requests_per_sec/{print $2}' "$work/run.out")
    non202=$(awk '/^non_202/{print $2}' "$work/run.out")
    total=$(awk '/^requests_total/{print $2}' "$work/run.out")
    cpu=$(awk -v t=$((after - before)) -v n="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.0f", t / hz / n * 1e6}')
    echo "$1 $rps req/s, $cpu µs CPU/request, non202=$non202" >&2
    echo "$rps $cpu"
}

echo "warm-up" >&2
PREQUAL_API_KEY="" "$here/post-load.sh" "http://127.0.0.1:$port_off" 3s "$conn" >/dev/null 2>&1
PREQUAL_API_KEY="$key" "$here/post-load.sh" "http://127.0.0.1:$port_on" 3s "$conn" >/dev/null 2>&1
off=()
on=()
off_cpu=()
on_cpu=()
record() {  # record off|on
    local r
    r=$(run "$1")
    if [[ $1 == off ]]; then off+=("${r% *}"); off_cpu+=("${r#* }"); else on+=("${r% *}"); on_cpu+=("${r#* }"); fi
}
for i in $(seq "$rounds"); do
    if (( i % 2 )); then record off; record on; else record on; record off; fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
change() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%+.1f %%", (a/b-1)*100}'; }
m_off=$(median "${off[@]}")
m_on=$(median "${on[@]}")
c_off=$(median "${off_cpu[@]}")
c_on=$(median "${on_cpu[@]}")
echo "auth off runs (req/s): ${off[*]}   CPU µs/request: ${off_cpu[*]}"
echo "auth on  runs (req/s): ${on[*]}   CPU µs/request: ${on_cpu[*]}"
echo "median req/s: auth off $m_off, auth on $m_on ($(change "$m_on" "$m_off"))"
echo "median server CPU µs/request: auth off $c_off, auth on $c_on ($(change "$c_on" "$c_off"))"
