# Shared by start.sh, test.sh and .ci/run: install what is missing, loudly.

log() { printf '[integrations_app] %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "missing: $* — install it with your package manager (Debian/Ubuntu: sudo apt-get install -y $*)"
    return 1
  fi
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# npm (arborist) reads any yarn.lock it finds beside package-lock.json: it takes that file's
# registry-less tarball paths as `file:` addresses when its cache is empty (a fresh machine), and
# rewrites the file in its own form. The committed yarn.lock is generated from package-lock.json
# (npm run lock:yarn) and is what bench's yarn reads, so npm ci runs with it set aside.
npm_ci() {
  local kept; kept=$(mktemp)
  mv yarn.lock "$kept"
  local status=0
  npm ci --no-audit --no-fund || status=$?
  mv "$kept" yarn.lock
  return $status
}

ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm dependencies (npm ci)"
    npm_ci
  fi
}

ensure_redis_server_binary() {
  command -v redis-server >/dev/null || { log "installing redis-server"; apt_install redis-server; }
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || { log "installing chromium (Debian package)"; apt_install chromium; }
}

ensure_python_venv() {
  # jinja2: the payload-template sandbox (outbound/rules/template.py) is Frappe-free and tested here.
  # moto[server]: the AWS emulator the sidecar's SigV4 tests start (sidecar/test/connections/moto.ts).
  # gcp-storage-emulator: Cloud Storage for the gcs provider's tests (sidecar/test/providers/gcs-emulator.ts).
  if [ ! -x .venv/bin/pytest ] || [ ! -x .venv/bin/moto_server ] || [ ! -x .venv/bin/gcp-storage-emulator ] || ! .venv/bin/python -c 'import jinja2' 2>/dev/null; then
    log "creating .venv with pytest, jinja2 and moto[server]"
    [ -x .venv/bin/python ] || python3 -m venv .venv || { apt_install python3-venv && python3 -m venv .venv; }
    .venv/bin/pip install -q --disable-pip-version-check pytest jinja2 'moto[server]==5.2.5' 'gcp-storage-emulator==2026.7.19'
  fi
}

redis_up() { # $1 = port
  (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null
}

ensure_yarn() { # yarn 1, the one bench runs
  case "$(yarn --version 2>/dev/null)" in
    1.*) ;;
    *) log "installing yarn 1 (npm i -g yarn@1)"; npm i -g --no-audit --no-fund yarn@1.22.22 >/dev/null ;;
  esac
}
