#!/usr/bin/env bash
# Runs a bench command against a local PostgreSQL 15 that this script starts and stops (issue 17):
#     SCALE=national bash bench/postgres.sh .venv/bin/python bench/run.py      (or: make bench DB=postgres)
# The cluster lives in var/bench-postgres/ and is kept between runs, so a scale is generated once; its database is
# haven_<scale>. The server listens on 127.0.0.1 only, on the first free port from 54400, with the settings of a
# machine given to the bench (fsync stays on: what is measured is what a deployment would see).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DATA="$ROOT/var/bench-postgres"
SCALE=${SCALE:-program}
run_pg() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ ! -f "$DATA/PG_VERSION" ]]; then
    mkdir -p "$DATA"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$DATA"
    run_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
PORT=54400
while port_in_use "$PORT"; do PORT=$((PORT + 1)); done
SOCKETS=$(mktemp -d /tmp/haven-bench-pg.XXXXXX)
[[ $(id -u) -eq 0 ]] && chown postgres: "$SOCKETS"
stop() {
    run_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$SOCKETS"
}
trap stop EXIT
trap 'exit 143' INT TERM
# A server left running by an interrupted run is stopped first (it listens on a socket dir that is gone).
run_pg "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1 && run_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
run_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $SOCKETS -c shared_buffers=1GB -c work_mem=64MB -c maintenance_work_mem=512MB -c max_wal_size=8GB ${PG_OPTIONS:-}" \
    >/dev/null
NAME="haven_$SCALE"
if ! run_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$NAME'" | grep -q 1; then
    run_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$NAME"
fi
echo "PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$PORT, database $NAME, data in var/bench-postgres"
export BENCH_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/$NAME"
"$@"
