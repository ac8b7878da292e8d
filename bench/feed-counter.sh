#!/usr/bin/env bash
# The event feed's cost (docs/event-feed.md): commits per second of a decision-sized transaction with and
# without the per-client feed counter, at default durability (fsync and synchronous_commit on), with pgbench.
#   bench/feed-counter.sh [SECONDS] [CLIENTS]
# "none": insert an event row and commit. "one client": the same plus the counter upsert of one client
# (every transaction serialises on one row: the single-client worst case, e.g. --auth=none). "per client":
# the counter of one of 16 clients, so commits of different clients still overlap.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
seconds=${1:-10}
clients=${2:-16}
command -v pgbench >/dev/null || { echo "needs pgbench (postgresql-client)" >&2; exit 1; }
bench_work_dir feed-counter
bench_start_postgres "$work" postgres
sql() { psql -X -A -t -q -h "$BENCH_PGSOCK" -p "$BENCH_PGPORT" -U postgres -d postgres -c "$1"; }
sql "CREATE TABLE counters (client text PRIMARY KEY, last_seq bigint NOT NULL);
     CREATE TABLE events (id bigserial PRIMARY KEY, client text NOT NULL, seq bigint, payload text NOT NULL)"
payload=$(printf 'x%.0s' {1..400})
cat >"$work/none.sql" <<SQL
BEGIN;
INSERT INTO events (client, payload) VALUES ('anonymous', '$payload');
COMMIT;
SQL
cat >"$work/one.sql" <<SQL
BEGIN;
WITH n AS (INSERT INTO counters AS c (client, last_seq) VALUES ('anonymous', 1) ON CONFLICT (client) DO UPDATE SET last_seq = c.last_seq + 1 RETURNING last_seq) INSERT INTO events (client, seq, payload) SELECT 'anonymous', last_seq, '$payload' FROM n;
COMMIT;
SQL
cat >"$work/per.sql" <<SQL
\set c random(1, 16)
BEGIN;
WITH n AS (INSERT INTO counters AS c (client, last_seq) VALUES ('client' || :c, 1) ON CONFLICT (client) DO UPDATE SET last_seq = c.last_seq + 1 RETURNING last_seq) INSERT INTO events (client, seq, payload) SELECT 'client' || :c, last_seq, '$payload' FROM n;
COMMIT;
SQL
chmod 644 "$work"/*.sql
for round in 1 2; do
    for script in none one per; do
        tps=$(bench_pg pgbench -n -h "$BENCH_PGSOCK" -p "$BENCH_PGPORT" -U postgres -c "$clients" -j 2 \
            -T "$seconds" -f "$work/$script.sql" postgres 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
        echo "round $round  $script: $tps commits/s"
    done
done
