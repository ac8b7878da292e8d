#!/usr/bin/env bash
# Opt-in benchmark: sustained decisions/s and submit→decision latency on --bus=kafka against the
# prequal-kafka-mock cluster (3 brokers, 6 partitions), with 1 replica (all modules) and with 3 replicas
# (1 API-only + 2 workers), on a throw-away PostgreSQL cluster. Needs wrk and python3.
# A short burst of POSTs (post-load.sh) builds a backlog; decisions/s is the number of decisions divided by the
# time from the first to the last one while the workers drain it. Then e2e-latency.py at a moderate rate.
# Usage: bench/kafka-replicas.sh [BUILD_DIR] [BURST_SECONDS (3)] [CONNECTIONS (4)]
#   env: E2E_N (default 500), E2E_RATE (default 100/s), KAFKA_EXTRA (more `prequal serve` flags, e.g.
#        "--kafka-property=consumer.fetch.wait.max.ms=10": the 2.0.2 mock holds every empty fetch for the full
#        fetch.wait.max.ms (500 ms) even when data arrives meanwhile; a real broker answers at once)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build-kafka}" && pwd)"
load_s="${2:-3}"
conns="${3:-4}"
e2e_n="${E2E_N:-500}"
e2e_rate="${E2E_RATE:-100}"
shared="$root/../shared/bench"
source "$root/bench/lib.sh"
bin="$build/prequal"
mock="$build/prequal-kafka-mock"
[[ -x $bin && -x $mock ]] || { echo "build prequal and prequal_kafka_mock with -DPREQUAL_WITH_KAFKA=ON in $build" >&2; exit 1; }

bench_work_dir prequal-kbench

# PostgreSQL: private, unix socket only, fsync off (we measure the bus, not the disk).
bench_start_postgres "$work" prequal -c fsync=off
pgport=$BENCH_PGPORT
db_url() { echo "host=$work/sock port=$pgport user=prequal dbname=$1"; }
sql() { psql -X -A -t -q -h "$work/sock" -p "$pgport" -U prequal -d "$1" -c "$2"; }

# Kafka mock cluster, stdin held open on fd 3.
bench_start_kafka_mock "$mock" 3 6

mapfile -t keys < <("$bin" keygen)
common=(serve --bus=kafka "--kafka-brokers=$BOOTSTRAP" "${keys[@]}" --log-level=warn
        --kafka-property=consumer.session.timeout.ms=6000 --kafka-property=consumer.heartbeat.interval.ms=500
        ${KAFKA_EXTRA:-})

wait_health() { for _ in $(seq 300); do curl -fs "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.1; done; return 1; }
wait_drained() {
    for _ in $(seq 1200); do
        [[ $(sql "$1" "SELECT count(*) FROM applications WHERE status='PENDING'") == 0 ]] && return 0
        sleep 0.25
    done
    echo "still PENDING after 300 s: $(sql "$1" "SELECT count(*) FROM applications WHERE status='PENDING'")" >&2
    return 1
}

# run LABEL MODULES_OF_REPLICA...: the first replica serves the API; all share one fresh database.
run() {
    local label=$1; shift
    local db="bench_$label"
    sql postgres "CREATE DATABASE $db" >/dev/null
    "$bin" migrate "--database-url=$(db_url "$db")" >/dev/null
    local ports=() started=()
    for modules in "$@"; do
        local port; port=$(bench_free_port)
        "$bin" "${common[@]}" "--database-url=$(db_url "$db")" "--listen=127.0.0.1:$port" "--modules=$modules" \
            >>"$work/$label.log" 2>&1 &
        pids+=($!); started+=($!); ports+=("$port")
    done
    for p in "${ports[@]}"; do wait_health "$p"; done
    sleep 8  # let the consumer groups form before measuring
    local url="http://127.0.0.1:${ports[0]}"
    echo "=== $label: modules per replica: $*"
    "$shared/post-load.sh" "$url" "${load_s}s" "$conns" | sed -n '/post-load summary/,$p'
    wait_drained "$db"
    sql "$db" "SELECT 'decisions: ' || count(*) || ', sustained decisions/s (first→last decision): ' ||
               round(count(*) / greatest(extract(epoch FROM max(created_at) - min(created_at)), 0.001), 1)
               FROM audit_log WHERE action = 'DECISION_RECORDED'"
    sql "$db" "SELECT 'applications not decided exactly once: ' || count(*) FROM applications a WHERE
               (SELECT count(*) FROM audit_log l WHERE l.application_id = a.id AND l.action='DECISION_RECORDED') <> 1"
    python3 "$shared/e2e-latency.py" "$url" "$e2e_n" "$e2e_rate" --poll-ms 2
    for p in "${started[@]}"; do kill -TERM "$p"; done
    for p in "${started[@]}"; do wait "$p" || true; done
}

run one_replica api,credit,decision
run three_replicas api credit,decision credit,decision
