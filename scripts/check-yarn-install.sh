#!/usr/bin/env bash
# The path bench takes, from a fresh clone: `bench get-app` runs `yarn install --check-files` (yarn 1)
# in the app folder and `bench build` runs the app's `yarn build`. Proves that yarn installs exactly
# package-lock.json's versions from the committed yarn.lock (frozen: fails rather than resolve
# anything anew), that bench's own install command leaves the clone unchanged (`bench update`
# refuses an app with local changes), and that the build lands where Frappe serves it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_yarn

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
app="$work/integrations_app"
git clone --quiet --no-hardlinks "$PWD" "$app"
cd "$app"
log "yarn path: $(git log -1 --format='%h %s')"

yarn install --frozen-lockfile --check-files --non-interactive --silent
node scripts/installed-versions.mjs .
yarn install --check-files --non-interactive --silent
if [ -n "$(git status --porcelain)" ]; then
  log "bench's \`yarn install --check-files\` changed the clone:"; git status --porcelain >&2; exit 1
fi

yarn --silent build >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
for f in integrations_app/public/frontend/index.html integrations_app/www/integrations.html; do
  [ -s "$f" ] || { log "the build did not write $f"; exit 1; }
done
log "yarn path ok: frozen install at package-lock.json's versions, clean tree, SPA built into integrations_app/public/frontend"
