# Shared by the bench scripts: free ports and a throw-away PostgreSQL cluster on a Unix socket.
# shellcheck shell=bash

BENCH_PGBIN=/usr/lib/postgresql/15/bin

bench_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL refuses to run as root, so as root its commands run as the postgres user.
bench_pg() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# bench_start_postgres DIR SUPERUSER [-c name=value ...]: initdb + start under DIR/sock (socket only);
# sets BENCH_PGSOCK and BENCH_PGPORT. Stop it with bench_stop_postgres DIR.
bench_start_postgres() {
    local dir=$1 user=$2
    shift 2
    chmod 755 "$dir"
    mkdir -m 777 "$dir/sock"
    BENCH_PGSOCK="$dir/sock"
    BENCH_PGPORT=$(bench_free_port)
    bench_pg "$BENCH_PGBIN/initdb" -D "$dir/sock/pg" -A trust -U "$user" >/dev/null
    bench_pg "$BENCH_PGBIN/pg_ctl" -D "$dir/sock/pg" -l "$dir/sock/pg.log" -w \
        -o "-k $dir/sock -p $BENCH_PGPORT -c listen_addresses='' -c max_connections=200 $*" start >/dev/null
}

bench_stop_postgres() { bench_pg "$BENCH_PGBIN/pg_ctl" -D "$1/sock/pg" -m immediate stop >/dev/null 2>&1 || true; }

# bench_work_dir PREFIX: a temp dir in $work and an EXIT trap that stops the processes listed in $pids
# (TERM, then KILL), closes fd 3 (a mock's command FIFO), stops the PostgreSQL under $work and removes it
# (unless KEEP_WORK is set: then the logs stay for a look).
bench_work_dir() {
    work="$(mktemp -d "/tmp/$1.XXXXXX")"
    pids=()
    trap bench_cleanup EXIT
}
bench_cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 2
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    exec 3>&- 2>/dev/null || true
    bench_stop_postgres "$work"
    if [[ -n ${KEEP_WORK:-} ]]; then echo "kept $work (KEEP_WORK)" >&2; else rm -rf "$work"; fi
}

# bench_start_kafka_mock MOCK_BINARY BROKERS PARTITIONS: starts the mock cluster with its stdin on fd 3 (a FIFO
# in $work), adds it to $pids and sets BOOTSTRAP.
bench_start_kafka_mock() {
    mkfifo "$work/cmd"
    "$1" --brokers "$2" --partitions "$3" --port-file "$work/bootstrap.env" <"$work/cmd" >"$work/mock.out" \
        2>"$work/mock.err" &
    pids+=($!)
    exec 3>"$work/cmd"
    for _ in $(seq 100); do [[ -s $work/bootstrap.env ]] && break; sleep 0.1; done
    source "$work/bootstrap.env"
}

# The A/B runner of the overhead benchmarks (auth-overhead.sh, envelope-overhead.sh): two servers already
# serving, each on its own database of the bench cluster, measured with post-load.sh alternately (A B B A ...),
# each run after the previous one's pipeline backlog has drained. Reports per run and as medians: requests/s,
# the server's CPU time per request, and the CPU time per request of the server plus its PostgreSQL backends
# (utime + stime from /proc over the run and the drain; other load on a shared machine disturbs CPU time far
# less than throughput, and on a small machine the database's CPU is half of what limits throughput).
# bench_ab DURATION CONNECTIONS ROUNDS LABEL_A PORT_A PID_A KEY_A DB_A LABEL_B PORT_B PID_B KEY_B DB_B
# (KEY_*: an API key sent as Bearer, or "" for none; DB_*: the server's database name, owned by user prequal).
# Needs $work (bench_work_dir).
bench_ab() {
    local dur=$1 conn=$2 rounds=$3
    local -a label=("$4" "$9") port=("$5" "${10}") pid=("$6" "${11}") key=("$7" "${12}") db=("$8" "${13}")
    local -a rps_a=() rps_b=() cpu_a=() cpu_b=() all_a=() all_b=()
    local here_dir
    here_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    echo "warm-up" >&2
    for s in 0 1; do
        PREQUAL_API_KEY="${key[$s]}" "$here_dir/post-load.sh" "http://127.0.0.1:${port[$s]}" 3s "$conn" >/dev/null 2>&1
    done
    local i s order r rest
    for i in $(seq "$rounds"); do
        if (( i % 2 )); then order="0 1"; else order="1 0"; fi
        for s in $order; do
            r=$(bench_ab_run "${label[$s]}" "${port[$s]}" "${pid[$s]}" "${key[$s]}" "$dur" "$conn" "${db[$s]}")
            rest=${r#* }
            if (( s == 0 )); then
                rps_a+=("${r%% *}"); cpu_a+=("${rest% *}"); all_a+=("${rest#* }")
            else
                rps_b+=("${r%% *}"); cpu_b+=("${rest% *}"); all_b+=("${rest#* }")
            fi
        done
    done
    local m_a m_b c_a c_b t_a t_b
    m_a=$(bench_median "${rps_a[@]}")
    m_b=$(bench_median "${rps_b[@]}")
    c_a=$(bench_median "${cpu_a[@]}")
    c_b=$(bench_median "${cpu_b[@]}")
    t_a=$(bench_median "${all_a[@]}")
    t_b=$(bench_median "${all_b[@]}")
    echo "${label[0]} runs (req/s): ${rps_a[*]}   server CPU µs/request: ${cpu_a[*]}   with PostgreSQL: ${all_a[*]}"
    echo "${label[1]} runs (req/s): ${rps_b[*]}   server CPU µs/request: ${cpu_b[*]}   with PostgreSQL: ${all_b[*]}"
    echo "median req/s: ${label[0]} $m_a, ${label[1]} $m_b ($(bench_change "$m_b" "$m_a"))"
    echo "median server CPU µs/request: ${label[0]} $c_a, ${label[1]} $c_b ($(bench_change "$c_b" "$c_a"))"
    echo "median server + PostgreSQL CPU µs/request: ${label[0]} $t_a, ${label[1]} $t_b ($(bench_change "$t_b" "$t_a"))"
}

# Waits until the server on port $1 has no PENDING application (at most 120 s).
bench_drained() {
    local pending
    for _ in $(seq 1200); do
        pending=$(curl -sf "http://127.0.0.1:$1/metrics" | awk '$1=="applications_pending"{print $2}')
        [[ "${pending:-0}" == "0" ]] && return 0
        sleep 0.1
    done
}

# CPU ticks (utime + stime) of the PostgreSQL backends connected to database $1 as user prequal.
bench_db_ticks() {
    local total=0 p t
    for p in $(pgrep -f "^postgres: prequal $1 " || true); do
        t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
        total=$((total + t))
    done
    echo "$total"
}

# bench_ab_run LABEL PORT PID KEY DURATION CONNECTIONS DB → prints "requests/s server-CPU-µs/request
# server+PostgreSQL-CPU-µs/request". (Backends are the pool's long-lived connections, so a sum over the live
# ones before and after covers the run.)
bench_ab_run() {
    local here_dir s0 s1 d0 d1 rps non202 total cpu all hz
    here_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    hz=$(getconf CLK_TCK)
    bench_drained "$2"
    s0=$(awk '{print $14 + $15}' "/proc/$3/stat")
    d0=$(bench_db_ticks "$7")
    PREQUAL_API_KEY="$4" "$here_dir/post-load.sh" "http://127.0.0.1:$2" "$5" "$6" >"$work/run.out" 2>&1
    bench_drained "$2"
    s1=$(awk '{print $14 + $15}' "/proc/$3/stat")
    d1=$(bench_db_ticks "$7")
    rps=$(awk '/^requests_per_sec/{print $2}' "$work/run.out")
    non202=$(awk '/^non_202/{print $2}' "$work/run.out")
    total=$(awk '/^requests_total/{print $2}' "$work/run.out")
    cpu=$(awk -v t=$((s1 - s0)) -v n="$total" -v hz="$hz" 'BEGIN{printf "%.0f", t / hz / n * 1e6}')
    all=$(awk -v t=$((s1 - s0 + d1 - d0)) -v n="$total" -v hz="$hz" 'BEGIN{printf "%.0f", t / hz / n * 1e6}')
    echo "$1 $rps req/s, $cpu µs server CPU/request, $all µs with PostgreSQL, non202=$non202" >&2
    echo "$rps $cpu $all"
}

bench_median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
bench_change() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%+.1f %%", (a/b-1)*100}'; }

# Waits (at most 30 s) until GET /health on each port answers.
bench_wait_healthy() {
    local p
    for p in "$@"; do
        for _ in $(seq 300); do curl -sf "http://127.0.0.1:$p/health" >/dev/null && break; sleep 0.1; done
    done
}
