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

ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund
  fi
}

ensure_redis_server_binary() {
  command -v redis-server >/dev/null || { log "installing redis-server"; apt_install redis-server; }
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || { log "installing chromium (Debian package)"; apt_install chromium; }
}

ensure_python_venv() {
  if [ ! -x .venv/bin/pytest ]; then
    log "creating .venv with pytest"
    python3 -m venv .venv || { apt_install python3-venv && python3 -m venv .venv; }
    .venv/bin/pip install -q --disable-pip-version-check pytest
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
