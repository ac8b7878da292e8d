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

# Two `prequal serve` processes to compare, on one throw-away PostgreSQL (a database each, memory bus,
# loopback, the same keys), already serving when it returns.
# bench_two_servers BIN_A SQL_A OPTION_A BIN_B SQL_B OPTION_B: databases `before` (A) and `after` (B); SQL_* is
# a migrations directory ("": the binary's own), OPTION_* the server's --auth option (e.g. --auth=none). Sets
# url(), port_before, port_after, pid_before, pid_after. Needs $work (bench_work_dir).
bench_two_servers() {
    bench_start_postgres "$work" prequal
    url() { echo "host=$BENCH_PGSOCK port=$BENCH_PGPORT user=prequal dbname=$1"; }
    local db
    for db in before after; do
        bench_pg "$BENCH_PGBIN/createdb" -h "$BENCH_PGSOCK" -p "$BENCH_PGPORT" -U prequal "$db"
    done
    local keys enc pan
    keys="$("$4" keygen)"
    enc="$(sed -n 's/^--encryption-keys=//p' <<<"$keys")"
    pan="$(sed -n 's/^--pan-index-key=//p' <<<"$keys")"
    port_before=$(bench_free_port)
    port_after=$(bench_free_port)
    "$1" serve --database-url="$(url before)" --listen="127.0.0.1:$port_before" "$3" --encryption-keys="$enc" \
        --pan-index-key="$pan" --log-level=warn ${2:+"--sql-dir=$2"} 2>"$work/before.log" &
    pid_before=$!
    pids+=("$pid_before")
    "$4" serve --database-url="$(url after)" --listen="127.0.0.1:$port_after" "$6" --encryption-keys="$enc" \
        --pan-index-key="$pan" --log-level=warn ${5:+"--sql-dir=$5"} 2>"$work/after.log" &
    pid_after=$!
    pids+=("$pid_after")
    bench_wait_healthy "$port_before" "$port_after"
}

# bench_alternate ROUNDS RUN LABEL_A LABEL_B FIGURE...: calls `RUN 0` (A) and `RUN 1` (B) alternately (A B B A
# ...); each call prints one number per FIGURE (e.g. "req/s" "server CPU µs/request") on stdout. Then prints
# every run's figures and, per figure, the medians and B's change against A.
bench_alternate() {
    local rounds=$1 run=$2 label_a=$3 label_b=$4
    shift 4
    local -a figures=("$@") runs_a=() runs_b=()
    local i s order
    for i in $(seq "$rounds"); do
        if (( i % 2 )); then order="0 1"; else order="1 0"; fi
        for s in $order; do
            if (( s == 0 )); then runs_a+=("$("$run" 0)"); else runs_b+=("$("$run" 1)"); fi
        done
    done
    local f a b
    for f in "${!figures[@]}"; do
        a=$(printf '%s\n' "${runs_a[@]}" | awk -v f=$((f + 1)) '{print $f}' | tr '\n' ' ')
        b=$(printf '%s\n' "${runs_b[@]}" | awk -v f=$((f + 1)) '{print $f}' | tr '\n' ' ')
        echo "${figures[$f]}: $label_a runs ${a% }; $label_b runs ${b% }"
        # shellcheck disable=SC2086  # word-splitting the runs is the point
        a=$(bench_median $a)
        # shellcheck disable=SC2086
        b=$(bench_median $b)
        echo "median ${figures[$f]}: $label_a $a, $label_b $b ($(bench_change "$b" "$a"))"
    done
}

# The A/B runner of the POST overhead benchmarks (auth-overhead.sh, envelope-overhead.sh): two servers already
# serving, each on its own database of the bench cluster, measured with post-load.sh alternately, each run
# after the previous one's pipeline backlog has drained. Reports per run and as medians: requests/s, the
# server's CPU time per request, and the CPU time per request of the server plus its PostgreSQL backends
# (utime + stime from /proc over the run and the drain; other load on a shared machine disturbs CPU time far
# less than throughput, and on a small machine the database's CPU is half of what limits throughput).
# bench_ab DURATION CONNECTIONS ROUNDS LABEL_A PORT_A PID_A KEY_A DB_A LABEL_B PORT_B PID_B KEY_B DB_B
# (KEY_*: an API key sent as Bearer, or "" for none; DB_*: the server's database name, owned by user prequal).
# Needs $work (bench_work_dir).
bench_ab() {
    _ab_dur=$1 _ab_conn=$2
    local rounds=$3
    _ab_label=("$4" "$9") _ab_port=("$5" "${10}") _ab_pid=("$6" "${11}") _ab_key=("$7" "${12}") _ab_db=("$8" "${13}")
    local here_dir s
    here_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    echo "warm-up" >&2
    for s in 0 1; do
        PREQUAL_API_KEY="${_ab_key[$s]}" "$here_dir/post-load.sh" "http://127.0.0.1:${_ab_port[$s]}" 3s "$_ab_conn" \
            >/dev/null 2>&1
    done
    bench_alternate "$rounds" _bench_ab_side "$4" "$9" "req/s" "server CPU µs/request" \
        "server + PostgreSQL CPU µs/request"
}
_bench_ab_side() {
    bench_ab_run "${_ab_label[$1]}" "${_ab_port[$1]}" "${_ab_pid[$1]}" "${_ab_key[$1]}" "$_ab_dur" "$_ab_conn" \
        "${_ab_db[$1]}"
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
