#!/usr/bin/env bash
# HTTP fuzzing of the JSON endpoints: schemathesis (from PyPI) reads
# /openapi.json from an authgate binary started on 127.0.0.1 with a fresh
# database and sends it generated and mutated requests. Bounded in
# examples per operation and by a hard timeout. Fails on any 5xx
# (`not_a_server_error`), a request that hangs, a panic in the log, or a
# server that is not healthy (GET /health 200) afterwards.
#
#   .ci/fuzz.sh target/release/authgate                        # fresh SQLite file
#   .ci/postgres.sh run .ci/fuzz.sh target/release/authgate    # fresh PostgreSQL
#
# The database is TEST_DATABASE_URL when set (a throwaway PostgreSQL
# database: it must be empty), else a new SQLite file.
# FUZZ_MAX_EXAMPLES (default 25), FUZZ_TIMEOUT (seconds, default 60) and
# FUZZ_SEED (reproduce a run; the seed is printed) tune it. Schemathesis is
# installed once into a venv under ~/.cache/authgate (AUTHGATE_FUZZ_VENV).
set -euo pipefail
BIN=$(realpath "${1:?usage: .ci/fuzz.sh path/to/authgate}")
cd "$(dirname "$0")/.."
VENV=${AUTHGATE_FUZZ_VENV:-$HOME/.cache/authgate/venv}
SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-25}
TIMEOUT=${FUZZ_TIMEOUT:-60}
CLIENT_ID=fuzz-cli
HOOKS_DIR=$(realpath .ci)

log() { echo "fuzz: $*" >&2; }

install_schemathesis() {
    if [ -x "$VENV/bin/schemathesis" ] &&
        "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q " $SCHEMATHESIS_VERSION\$"; then
        return
    fi
    # Debian ships venv's ensurepip separately (python3-venv).
    if ! python3 -c 'import ensurepip' 2>/dev/null; then
        log "installing Debian's python3-venv"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}

install_schemathesis

WORK=$(mktemp -d)
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -KILL "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# A fresh database, nothing from the developer's environment or .env.
(
    cd "$WORK"
    exec env -i PATH="$PATH" HOME="$WORK" \
        DATABASE_URL="${TEST_DATABASE_URL:-sqlite://$WORK/authgate.db}" \
        SERVER_ADDR=127.0.0.1:0 \
        LOG_FORMAT=json \
        CLI_CLIENT_ID="$CLIENT_ID" \
        RATE_LIMIT_DEVICE_CODE=0 \
        REQUEST_TIMEOUT=10s \
        "$BIN" server >"$WORK/server.log" 2>&1
) &
PID=$!

ADDR=""
for _ in $(seq 1 300); do
    ADDR=$(grep -o '"addr":"127\.0\.0\.1:[0-9]*"' "$WORK/server.log" | head -n1 | cut -d'"' -f4 || true)
    [ -n "$ADDR" ] && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log" >&2; log "the server did not start"; exit 1; }
    sleep 0.1
done
[ -n "$ADDR" ] || { log "the server did not log its address"; exit 1; }
BASE="http://$ADDR"
DB_KIND=sqlite
[ -n "${TEST_DATABASE_URL:-}" ] && DB_KIND=postgres
log "fuzzing $BASE ($DB_KIND) with at most $MAX_EXAMPLES examples per operation, ${TIMEOUT}s at most"

SEED=${FUZZ_SEED:-$(( (RANDOM << 15) | RANDOM ))}
started=$SECONDS
status=0
(
    cd "$WORK"
    PYTHONPATH="$HOOKS_DIR" SCHEMATHESIS_HOOKS=fuzz_hooks AUTHGATE_FUZZ_CLIENT_ID="$CLIENT_ID" \
        timeout --kill-after=10 "$TIMEOUT" \
        "$VENV/bin/schemathesis" run "$BASE/openapi.json" \
        --url "$BASE" \
        --checks not_a_server_error \
        --max-examples "$MAX_EXAMPLES" \
        --seed "$SEED" \
        --request-timeout 15 \
        --generation-database none \
        --workers 2 \
        --no-color
) || status=$?
log "schemathesis finished in $((SECONDS - started))s with status $status (seed $SEED)"
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    log "timed out after ${TIMEOUT}s"
fi

# Still up, healthy, and no handler panicked.
healthy=0
if kill -0 "$PID" 2>/dev/null &&
    "$VENV/bin/python" - "$BASE/health" <<'EOF'; then
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
    healthy=1
fi
if grep -q 'panicked' "$WORK/server.log"; then
    grep 'panicked' "$WORK/server.log" | head -n5 >&2
    log "a request handler panicked"
    status=1
fi
if [ "$healthy" -ne 1 ]; then
    tail -n 20 "$WORK/server.log" >&2
    log "the server is not healthy after fuzzing"
    status=1
fi

kill -TERM "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
PID=""
[ "$status" -eq 0 ] && log "no 5xx, server healthy"
exit "$status"
