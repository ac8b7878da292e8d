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
