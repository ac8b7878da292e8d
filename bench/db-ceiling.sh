#!/usr/bin/env bash
# How close prequal (memory bus) gets to the PostgreSQL ceiling for this workload, measured in one sitting on
# one throw-away PostgreSQL cluster with its default durability (fsync on, synchronous_commit on):
#   1. ../shared/bench/db-limit.sh: pgbench doing the minimal durable writes of one application as five
#      separate commits: the applications/s a one-commit-per-step design cannot beat on this server;
#   2. prequal serve --bus=memory on the same server: a POST burst builds a backlog, then the sustained
#      accepted/s and decided/s (first → last DECISION_RECORDED) while the pipeline drains it.
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
bench_start_postgres "$work" postgres
pgport=$BENCH_PGPORT
sql() { psql -X -A -t -q -h "$work/sock" -p "$pgport" -U postgres -d "$1" -c "$2"; }

echo "=== 1. PostgreSQL ceiling (../shared/bench/db-limit.sh, ${seconds} s per client count)"
PGUSER=postgres "$shared/db-limit.sh" "$work/sock" "$pgport" "$seconds" "${DBLIMIT_CLIENTS:-4 16}"

echo "=== 2. prequal serve --bus=memory on the same server (POST burst ${seconds} s x ${conns} connections)"
sql postgres "CREATE DATABASE prequal" >/dev/null
url="host=$work/sock port=$pgport user=postgres dbname=prequal"
port=$(bench_free_port)
mapfile -t keys < <("$bin" keygen)
"$bin" serve --bus=memory "--database-url=$url" "${keys[@]}" "--listen=127.0.0.1:$port" --log-level=warn \
    >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
# CPU seconds (user + system) of prequal and of every PostgreSQL process, to see who is the bottleneck.
# /proc/PID/stat fields 14 and 15 are user and system time in clock ticks (the comm field has no spaces here).
cpu_of() { cat $(printf '/proc/%s/stat ' "$@") 2>/dev/null | awk -v hz="$(getconf CLK_TCK)" '{s += $14 + $15} END {print s / hz}'; }
postmaster=$(head -1 "$work/sock/pg/postmaster.pid")
pg_cpu() { cpu_of "$postmaster" $(pgrep -P "$postmaster"); }
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
sql prequal "SELECT 'accepted: ' || count(*) || ', accepted/s (first → last submission): ' ||
             round(count(*) / greatest(extract(epoch FROM max(created_at) - min(created_at)), 0.001), 1)
             FROM applications"
sql prequal "SELECT 'decided: ' || count(*) || ', decided/s (first → last decision): ' ||
             round(count(*) / greatest(extract(epoch FROM max(created_at) - min(created_at)), 0.001), 1)
             FROM audit_log WHERE action = 'DECISION_RECORDED'"
sql prequal "SELECT 'still PENDING: ' || count(*) FROM applications WHERE status = 'PENDING'"
sql prequal "SELECT 'commits during the run (pg_stat_database.xact_commit): ' || xact_commit
             FROM pg_stat_database WHERE datname = 'prequal'"
