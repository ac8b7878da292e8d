#!/usr/bin/env bash
# Recovery from a large backlog (issue 9): an API-only replica on --bus=kafka (prequal-kafka-mock, 3 brokers x
# 12 partitions) accepts a POST burst until BACKLOG applications are PENDING; then ONE worker
# (--modules=credit,decision) starts and drains it. Every SAMPLE seconds it prints decisions/s and the CPU
# milliseconds PostgreSQL and the worker spent per decision; at the end the statements by total time
# (pg_stat_statements: calls, mean ms, shared blocks per call) for the drain phase.
# Usage: bench/backlog-recovery.sh [BUILD_DIR] BACKLOG [DRAIN_SECONDS (120)] [SAMPLE (10)]
# env: POST_CONNS (wrk connections of the POST bursts, default 16), PLAN_RATE (auto_explain sample rate during
# the drain, default 0.05; 0 = off): the plans of the sampled statements end up in a statement table
# (bench/plans.py) printed at the end, and in $PLANS_OUT when set.
# Needs wrk, python3 and a build with prequal and prequal-kafka-mock. PostgreSQL runs with default
# durability (fsync on), like the measurement in the issue.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?build dir}" && pwd)"
backlog="${2:?backlog size}"
drain_s="${3:-120}"
sample_s="${4:-10}"
shared="$root/../shared/bench"
source "$root/bench/lib.sh"
bin="$build/prequal"
mock="$build/prequal-kafka-mock"
[[ -x $bin && -x $mock ]] || { echo "need $bin and $mock" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

bench_work_dir prequal-backlog

plan_rate="${PLAN_RATE:-0.05}"
# auto_explain is loaded but off (its log_min_duration defaults to -1) until the drain starts (ALTER SYSTEM:
# a -c option would win over it).
bench_start_postgres "$work" prequal -c shared_preload_libraries=pg_stat_statements,auto_explain \
    -c auto_explain.log_format=json -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on \
    -c auto_explain.log_timing=off
pgport=$BENCH_PGPORT
url_db="host=$work/sock port=$pgport user=prequal dbname=postgres"
sql() { psql -X -A -t -q -h "$work/sock" -p "$pgport" -U prequal -d postgres -c "$1"; }
sql "CREATE EXTENSION pg_stat_statements" >/dev/null
"$bin" migrate "--database-url=$url_db" >/dev/null

bench_start_kafka_mock "$mock" 3 12
mapfile -t keys < <("$bin" keygen)
common=(serve --bus=kafka "--kafka-brokers=$BOOTSTRAP" "${keys[@]}" --log-level=warn "--database-url=$url_db"
        --kafka-property=consumer.session.timeout.ms=6000 --kafka-property=consumer.heartbeat.interval.ms=500
        --kafka-property=consumer.fetch.wait.max.ms=10 ${EXTRA:-})
wait_health() { for _ in $(seq 300); do curl -fs "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.1; done; return 1; }

api_port=$(bench_free_port)
"$bin" "${common[@]}" "--listen=127.0.0.1:$api_port" --modules=api >>"$work/api.log" 2>&1 &
pids+=($!)
wait_health "$api_port"

# Build the backlog: POST bursts until BACKLOG applications exist.
pending() { sql "SELECT count(*) FROM applications"; }
started=$(date +%s)
while (( $(pending) < backlog )); do
    # Bursts of up to 10 s, shorter near the target (roughly 1,000 POSTs/s here) so a small backlog is not overshot.
    burst=$(( (backlog - $(pending)) / 1000 )); (( burst < 1 )) && burst=1; (( burst > 10 )) && burst=10
    wrk -t2 "-c${POST_CONNS:-16}" "-d${burst}s" --timeout 10s -s "$shared/post.lua" "http://127.0.0.1:$api_port" >/dev/null 2>&1 || true
done
echo "backlog: $(pending) applications PENDING after $(( $(date +%s) - started )) s of POSTs"
# Let the API replica's publisher hand every submitted event to the bus.
for _ in $(seq 600); do
    [[ $(sql "SELECT count(*) FROM outbox_events WHERE published_at IS NULL") == 0 ]] && break; sleep 0.5
done

# user+system CPU of every PostgreSQL process, in ms (clock ticks of /proc/PID/stat): the live ones, plus the
# postmaster's cutime/cstime, which holds the CPU of the children that exited (autovacuum and parallel workers,
# closed connections); without it a process that exits takes its CPU out of the sum.
pg_cpu_ms() {
    local pid total=0 hz; hz=$(getconf CLK_TCK)
    local pm; pm=$(head -1 "$work/sock/pg/postmaster.pid")
    read -r -a f < "/proc/$pm/stat"
    total=$(( f[15] + f[16] ))
    for pid in "$pm" $(pgrep -P "$pm"); do
        read -r -a f < "/proc/$pid/stat" 2>/dev/null || continue
        total=$(( total + f[13] + f[14] ))
    done
    echo $(( total * 1000 / hz ))
}
proc_cpu_ms() { local hz; hz=$(getconf CLK_TCK); read -r -a f < "/proc/$1/stat"; echo $(( (f[13] + f[14]) * 1000 / hz )); }
# The worker's own counter: a count(*) over the applications would cost PostgreSQL CPU that grows with the
# backlog (about 1 s per call at 300,000) and be counted against the pipeline.
decided() { curl -fs "http://127.0.0.1:$worker_port/metrics" | awk '$1 == "decisions_recorded_total" {printf "%d", $2; f = 1} END {if (!f) print 0}'; }

sql "SELECT pg_stat_statements_reset(), pg_stat_reset()" >/dev/null
if [[ $plan_rate != 0 ]]; then
    sql "ALTER SYSTEM SET auto_explain.log_min_duration = 0" >/dev/null
    sql "ALTER SYSTEM SET auto_explain.sample_rate = $plan_rate" >/dev/null
    sql "SELECT pg_reload_conf()" >/dev/null
fi
worker_port=$(bench_free_port)
"$bin" "${common[@]}" "--listen=127.0.0.1:$worker_port" --modules=credit,decision >>"$work/worker.log" 2>&1 &
worker=$!
pids+=($worker)
wait_health "$worker_port"
to_decide=$(pending)
t0=$(date +%s.%N); d0=$(decided); pg0=$(pg_cpu_ms); w0=$(proc_cpu_ms "$worker")
first=""
printf '%8s %10s %12s %14s %14s\n' "t(s)" "decided" "decisions/s" "pg_cpu_ms/dec" "worker_ms/dec"
elapsed=0
while (( elapsed < drain_s )); do
    sleep "$sample_s"
    t1=$(date +%s.%N); d1=$(decided); pg1=$(pg_cpu_ms); w1=$(proc_cpu_ms "$worker")
    elapsed=$(python3 -c "print(int($t1 - $t0))")
    dd=$(( d1 - ${dp:-$d0} )); dt=$(python3 -c "print(max($t1 - ${tp:-$t0}, 0.001))")
    python3 -c "
dd=$dd; dt=$dt; pg=$pg1-${pgp:-$pg0}; w=$w1-${wp:-$w0}
print(f'{$elapsed:8d} {$d1:10d} {dd/dt:12.1f} {(pg/dd if dd else float(\"nan\")):14.2f} {(w/dd if dd else float(\"nan\")):14.2f}')"
    dp=$d1; tp=$t1; pgp=$pg1; wp=$w1
    (( d1 >= to_decide )) && break
done
if ! kill -0 "$worker" 2>/dev/null; then
    wait "$worker" && rc=0 || rc=$?
    echo "the worker exited during the drain (status $rc); its last log lines:"; tail -5 "$work/worker.log"
    exit 1
fi
sql "ALTER SYSTEM SET auto_explain.log_min_duration = -1" >/dev/null; sql "SELECT pg_reload_conf()" >/dev/null
total=$(( $(decided) - d0 ))
python3 -c "
import time; t=time.time()-$t0; pg=$(pg_cpu_ms)-$pg0; w=$(proc_cpu_ms "$worker")-$w0
print(f'drain: {$total} decisions in {t:.1f} s = {$total/t:.1f}/s; PostgreSQL {pg/max($total,1):.2f} CPU ms/decision, worker {w/max($total,1):.2f}')"
echo "statements during the drain (pg_stat_statements, by total time):"
sql "SELECT rpad(to_char(calls, 'FM9999999'), 9) || rpad(to_char(round(mean_exec_time::numeric, 3), 'FM99990.000'), 10)
     || rpad(to_char(round((shared_blks_hit + shared_blks_read)::numeric / greatest(calls, 1), 1), 'FM9999990.0'), 11)
     || left(regexp_replace(query, '\s+', ' ', 'g'), 110)
     FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12" | sed '1i calls    mean_ms   blks/call  query'
echo "worker \"outbox batch failed\" lines: $(grep -c "outbox batch failed" "$work/worker.log" || true)"
echo "outbox_events during the drain (pg_stat_user_tables): $(sql "SELECT 'updates ' || n_tup_upd || ', of which HOT '
     || n_tup_hot_upd || ', autovacuums ' || autovacuum_count || ', dead rows now ' || n_dead_tup
     FROM pg_stat_user_tables WHERE relname = 'outbox_events'")"
if [[ $plan_rate != 0 ]]; then
    echo "statement table (auto_explain, sample rate $plan_rate; plan, sampled calls, ms and buffers per call):"
    python3 "$root/bench/plans.py" "$work/sock/pg.log" "$backlog" | tee ${PLANS_OUT:+"$PLANS_OUT"}
fi
