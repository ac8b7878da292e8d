#!/usr/bin/env bash
# How close prequal (memory bus) gets to the PostgreSQL ceiling for this workload, measured in one sitting on
# one throw-away PostgreSQL cluster with its default durability (fsync on, synchronous_commit on):
#   1. ../shared/bench/db-limit.sh: pgbench doing the minimal durable writes of one application as five
#      separate commits: the applications/s a one-commit-per-step design cannot beat on this server;
#   2. prequal serve --bus=memory on the same server: a POST burst builds a backlog, then the sustained
#      accepted/s and decided/s (first → last DECISION_RECORDED) while the pipeline drains it.
# Both report PostgreSQL CPU milliseconds per application (every PostgreSQL process, /proc/PID/stat), and
# prequal's ratio to the reference (issue 9: goal ≤ 1.5×); then prequal's statements per application
# (pg_stat_statements over the burst and the drain: calls, ms and buffers per application).
# Usage: bench/db-ceiling.sh [BUILD_DIR (build)] [SECONDS (10)] [CONNECTIONS (16)]
#   env: DBLIMIT_CLIENTS (pgbench client counts, default "4 16")
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
seconds="${2:-10}"
conns="${3:-16}"
shared="$root/../shared/bench"
source "$root/bench/lib.sh"
bin="$build/prequal"
[[ -x $bin ]] || { echo "build prequal first: $bin missing" >&2; exit 1; }
command -v wrk >/dev/null && command -v pgbench >/dev/null || { echo "needs wrk and pgbench (postgresql-client)" >&2; exit 1; }

work="$(mktemp -d /tmp/prequal-ceiling.XXXXXX)"
server=""
cleanup() {
    [[ -n $server ]] && { kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }
    bench_stop_postgres "$work"
    rm -rf "$work"
}
trap cleanup EXIT
bench_start_postgres "$work" postgres -c shared_preload_libraries=pg_stat_statements
pgport=$BENCH_PGPORT
sql() { psql -X -A -t -q -h "$work/sock" -p "$pgport" -U postgres -d "$1" -c "$2"; }
# CPU seconds (user + system) of prequal and of every PostgreSQL process, to see who is the bottleneck.
# /proc/PID/stat fields 14 and 15 are user and system time in clock ticks (the comm field has no spaces here).
cpu_of() { cat $(printf '/proc/%s/stat ' "$@") 2>/dev/null | awk -v hz="$(getconf CLK_TCK)" '{s += $14 + $15} END {print s / hz}'; }
postmaster=$(head -1 "$work/sock/pg/postmaster.pid")
# Plus the postmaster's cutime/cstime (fields 16, 17): the CPU of children that exited (pgbench's backends
# are gone when db-limit.sh returns; autovacuum and parallel workers come and go).
pg_cpu() {
    echo "$(cpu_of "$postmaster" $(pgrep -P "$postmaster")) $(awk -v hz="$(getconf CLK_TCK)" '{print ($16 + $17) / hz}' "/proc/$postmaster/stat")" |
        awk '{print $1 + $2}'
}

echo "=== 1. PostgreSQL ceiling (../shared/bench/db-limit.sh, ${seconds} s per client count)"
ref_ms=""
for c in ${DBLIMIT_CLIENTS:-4 16}; do
    cpu0=$(pg_cpu)
    out=$(PGUSER=postgres "$shared/db-limit.sh" "$work/sock" "$pgport" "$seconds" "$c")
    cpu1=$(pg_cpu)
    echo "$out" | { [[ $c == "${DBLIMIT_CLIENTS:-4 16}" || $c == "${DBLIMIT_CLIENTS%% *}" ]] && cat || tail -1; }
    apps=$(echo "$out" | awk -v c="$c" -v s="$seconds" '$1 == c && $2 ~ /^[0-9.]+$/ {printf "%d", $2 * s}')
    ref_ms=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$apps" 'BEGIN {printf "%.3f", 1000 * (b - a) / n}')
    echo "  $c clients: PostgreSQL $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.1f", b - a}') CPU s for $apps applications = $ref_ms CPU ms per application"
done

echo "=== 2. prequal serve --bus=memory on the same server (POST burst ${seconds} s x ${conns} connections)"
sql postgres "CREATE DATABASE prequal" >/dev/null
sql prequal "CREATE EXTENSION pg_stat_statements" >/dev/null
url="host=$work/sock port=$pgport user=postgres dbname=prequal"
port=$(bench_free_port)
mapfile -t keys < <("$bin" keygen)
"$bin" serve --bus=memory "--database-url=$url" "${keys[@]}" "--listen=127.0.0.1:$port" --log-level=warn \
    >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
sql prequal "SELECT pg_stat_statements_reset()" >/dev/null
prequal_cpu0=$(cpu_of "$server"); pg_cpu0=$(pg_cpu); wall0=$(date +%s.%N)
"$shared/post-load.sh" "http://127.0.0.1:$port" "${seconds}s" "$conns" | sed -n '/post-load summary/,$p'
for _ in $(seq 1200); do
    [[ $(sql prequal "SELECT count(*) FROM applications WHERE status='PENDING'") == 0 ]] && break
    sleep 0.25
done
prequal_cpu1=$(cpu_of "$server"); pg_cpu1=$(pg_cpu); wall1=$(date +%s.%N)
n=$(sql prequal "SELECT count(*) FROM applications")
awk -v a="$prequal_cpu0" -v b="$prequal_cpu1" -v c="$pg_cpu0" -v d="$pg_cpu1" -v w0="$wall0" -v w1="$wall1" -v n="$n" \
    'BEGIN { printf "CPU over %.1f s: prequal %.1f s (%.2f ms per application), PostgreSQL %.1f s (%.2f ms per application)\n",
             w1 - w0, b - a, 1000 * (b - a) / n, d - c, 1000 * (d - c) / n }'
awk -v c="$pg_cpu0" -v d="$pg_cpu1" -v n="$n" -v r="$ref_ms" \
    'BEGIN { printf "PostgreSQL CPU per application: prequal %.3f ms, db-limit.sh (last client count) %s ms: %.2fx\n",
             1000 * (d - c) / n, r, (1000 * (d - c) / n) / r }'
echo "prequal's statements per application (pg_stat_statements over the burst and the drain, by total time):"
sql prequal "SELECT rpad(to_char(calls::numeric / $n, 'FM990.00'), 8) || rpad(to_char(total_exec_time / $n, 'FM990.000'), 9)
     || rpad(to_char((shared_blks_hit + shared_blks_read)::numeric / greatest(calls, 1), 'FM99990.0'), 9)
     || rpad(to_char(wal_bytes::numeric / $n, 'FM9999990'), 9) || left(regexp_replace(query, '\s+', ' ', 'g'), 100)
     FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT 25" \
     | sed '1i calls/app ms/app  blks/call WAL/app  query'
sql prequal "SELECT 'all statements: ' || round(sum(calls)::numeric / $n, 2) || ' calls, '
     || round(sum(total_exec_time)::numeric / $n, 3) || ' ms of execution, ' || round(sum(wal_bytes) / $n) || ' WAL bytes per application'
     FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'"
sql prequal "SELECT 'accepted: ' || count(*) || ', accepted/s (first → last submission): ' ||
             round(count(*) / greatest(extract(epoch FROM max(created_at) - min(created_at)), 0.001), 1)
             FROM applications"
sql prequal "SELECT 'decided: ' || count(*) || ', decided/s (first → last decision): ' ||
             round(count(*) / greatest(extract(epoch FROM max(created_at) - min(created_at)), 0.001), 1)
             FROM audit_log WHERE action = 'DECISION_RECORDED'"
sql prequal "SELECT 'still PENDING: ' || count(*) FROM applications WHERE status = 'PENDING'"
sql prequal "SELECT 'commits during the run (pg_stat_database.xact_commit): ' || xact_commit
             FROM pg_stat_database WHERE datname = 'prequal'"
