#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for the test suite.
#
#   .ci/postgres.sh start    installs Debian's postgresql when missing, starts
#                            (or finds running) a cluster and prints its URL:
#                            postgres://authgate:authgate@127.0.0.1:PORT/authgate
#   .ci/postgres.sh url      prints the URL of the running cluster
#   .ci/postgres.sh status   exit 0 when the cluster runs
#   .ci/postgres.sh stop     stops the cluster and deletes its files
#   .ci/postgres.sh run CMD  starts a private cluster (new directory, free
#                            port), runs CMD with TEST_DATABASE_URL set, then
#                            stops and deletes the cluster, also when CMD
#                            fails or is interrupted; exits with CMD's status
#
# Settings (environment):
#   AUTHGATE_PG_DIR   where the cluster lives (default /tmp/authgate-pg); one
#                     cluster per directory, so parallel runs use their own
#   AUTHGATE_PG_PORT  port (default: the first free one from 55432)
#
# The role `authgate` (password `authgate`) owns the database `authgate` and
# may CREATE DATABASE: the tests give each app a database of its own.
# PostgreSQL refuses to run as root, so as root the server runs as the
# `postgres` system user. Idempotent: `start` on a running cluster only
# prints the URL. Only the URL goes to stdout; progress goes to stderr.
set -euo pipefail

DIR="${AUTHGATE_PG_DIR:-/tmp/authgate-pg}"
DATA="$DIR/data"
SOCK="$DIR/sock"
LOG="$DIR/server.log"
URL_FILE="$DIR/url"
ROLE=authgate
PASSWORD=authgate
DATABASE=authgate

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

# The newest installed server binaries (/usr/local/bin/pg_ctl may be a
# wrapper, and Debian keeps the real ones out of PATH).
pg_bindir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
    fi
}

install_postgresql() {
    say "installing Debian's postgresql"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -qq
        -o Dpkg::Options::=--force-confold --no-install-recommends)
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # postgresql-common first, told not to create and start the default
    # cluster on port 5432: the tests bring their own.
    $SUDO "${apt[@]}" install postgresql-common >/dev/null
    if [ -f /etc/postgresql-common/createcluster.conf ]; then
        $SUDO sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
            /etc/postgresql-common/createcluster.conf
    fi
    $SUDO "${apt[@]}" install postgresql >/dev/null
}

# Runs a command as the cluster's owner: `postgres` when we are root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running() {
    [ -d "$DATA" ] && [ -n "$(pg_bindir)" ] \
        && as_owner "$(pg_bindir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

url_of() {
    echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$1/$DATABASE"
}

psql_admin() {
    as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres -d postgres "$@"
}

start() {
    if running && [ -f "$URL_FILE" ]; then
        cat "$URL_FILE"
        return
    fi
    BIN="$(pg_bindir)"
    if [ -z "$BIN" ]; then
        install_postgresql
        BIN="$(pg_bindir)"
        [ -n "$BIN" ] || die "postgresql is installed but no initdb under /usr/lib/postgresql/*/bin"
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        die "the postgres system user is missing (it comes with Debian's postgresql-common)"
    fi

    mkdir -p "$DIR" "$SOCK"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$DIR" "$SOCK"
    fi
    chmod 0700 "$DIR" "$SOCK"
    if [ ! -f "$DATA/PG_VERSION" ]; then
        say "initdb in $DATA"
        rm -rf "$DATA"
        as_owner "$BIN/initdb" -D "$DATA" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
            --auth-local=trust --auth-host=scram-sha-256 >"$DIR/initdb.log" 2>&1 \
            || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    fi

    # The first free port (or the one asked for); retried when another
    # cluster takes it between the check and the start.
    local attempt
    PORT="${AUTHGATE_PG_PORT:-55432}"
    for attempt in $(seq 1 20); do
        while [ -z "${AUTHGATE_PG_PORT:-}" ] && port_in_use "$PORT"; do
            PORT=$((PORT + 1))
        done
        # Durability is pointless for a throwaway test cluster; speed is
        # not. AUTHGATE_PG_DURABLE=1 keeps PostgreSQL's defaults (fsync and
        # synchronous commit on), for benchmarks that must be honest.
        local speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        if [ "${AUTHGATE_PG_DURABLE:-0}" = 1 ]; then
            speed=""
        fi
        # A test's database is dropped while a connection of its app may
        # still be half-open; authentication_timeout bounds how long that
        # backend (and so the DROP DATABASE) waits for it (default 60 s).
        if as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o \
            "-p $PORT -k $SOCK -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700 \
             -c max_connections=300 -c authentication_timeout=5s $speed" >/dev/null; then
            break
        fi
        if [ -n "${AUTHGATE_PG_PORT:-}" ] || [ "$attempt" -eq 20 ]; then
            tail -n 20 "$LOG" >&2 || true
            die "could not start PostgreSQL on port $PORT"
        fi
        PORT=$((PORT + 1))
    done

    if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
        psql_admin -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
    fi
    if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
        psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE"
    fi
    url_of "$PORT" >"$URL_FILE"
    say "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (files in $DIR)"
    cat "$URL_FILE"
}

stop() {
    local bin
    bin="$(pg_bindir)"
    if [ -n "$bin" ] && [ -f "$DATA/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    # Only ever delete a directory that holds one of our clusters.
    if [ -f "$DATA/PG_VERSION" ] || [ -f "$URL_FILE" ] || [ -d "$SOCK" ]; then
        rm -rf "$DIR"
        say "stopped and removed $DIR"
    fi
}

# `run`: a cluster of its own for one command, so parallel runs (two
# checkouts, two engineers) never stop each other's database.
run() {
    [ "$#" -gt 0 ] || die "usage: $0 run COMMAND [ARGS...]"
    if [ -z "${AUTHGATE_PG_DIR:-}" ]; then
        DIR="$(mktemp -d /tmp/authgate-pg.XXXXXX)"
        DATA="$DIR/data" SOCK="$DIR/sock" LOG="$DIR/server.log" URL_FILE="$DIR/url"
    fi
    trap stop EXIT
    local started=$SECONDS url child status=0
    url="$(start)"
    say "cluster ready in $((SECONDS - started)) s; running: $*"
    # In the background so a signal to this script is handled at once
    # (bash runs traps only between foreground commands); passed on.
    TEST_DATABASE_URL="$url" "$@" &
    child=$!
    trap 'kill -INT "$child" 2>/dev/null; wait "$child"; exit 130' INT
    trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
    wait "$child" || status=$?
    return "$status"
}

case "${1:-start}" in
    start) start ;;
    run)
        shift
        run "$@"
        ;;
    stop) stop ;;
    url)
        running && [ -f "$URL_FILE" ] || die "no cluster running in $DIR"
        cat "$URL_FILE"
        ;;
    status) running ;;
    *) die "usage: $0 start|stop|url|status|run COMMAND..." ;;
esac
