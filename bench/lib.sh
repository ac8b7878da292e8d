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
