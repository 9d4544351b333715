#!/usr/bin/env bash
# `npm start`: installs what is missing, then runs the sidecar on its embedded default
# (a private redis-server under .data/ when REDIS_URL is unset).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_node_modules
if [ -z "${REDIS_URL:-}" ]; then ensure_redis_server_binary; fi
exec node --import tsx sidecar/src/main.ts
