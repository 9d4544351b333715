#!/usr/bin/env bash
# `npm test`: every suite — sidecar, frontend, cross-component (DocType validator, browser),
# and the Python that does not import frappe. Installs what is missing first; prints one
# closing line "all: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_node_modules || exit 1
ensure_redis_server_binary || exit 1
ensure_chromium || exit 1
ensure_python_venv || exit 1

private_redis_pid=""
if [ -z "${TEST_REDIS_URL:-}" ]; then
  if redis_up 6379; then
    export TEST_REDIS_URL=redis://127.0.0.1:6379
  else
    port=6399
    log "no Redis on 6379: starting a private one on $port"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null &
    private_redis_pid=$!
    for _ in $(seq 50); do redis_up "$port" && break; sleep 0.1; done
    export TEST_REDIS_URL=redis://127.0.0.1:$port
  fi
fi
trap '[ -n "$private_redis_pid" ] && kill "$private_redis_pid" 2>/dev/null' EXIT

out=$(mktemp -d)
status=0
step() { log "── $1"; shift; "$@" || status=1; }

step "typecheck sidecar" npx tsc --noEmit -p sidecar
step "build frontend (vue-tsc + vite)" npm run -s -w frontend build
step "sidecar tests" npx vitest run --root sidecar --reporter=default --reporter=json --outputFile.json="$out/sidecar.json"
step "frontend tests" npx vitest run --root frontend --reporter=default --reporter=json --outputFile.json="$out/frontend.json"
step "cross-component tests (DocType validator, browser)" npx vitest run --reporter=default --reporter=json --outputFile.json="$out/root.json"
step "python tests (no frappe)" .venv/bin/python -m pytest integrations_app/tests_pure -q --junitxml="$out/pytest.xml"

node scripts/summarize.mjs "$out" || status=1
exit $status
