#!/usr/bin/env bash
# Installs the npm dependencies exactly as locked and generates the Prisma client.
# better-sqlite3 has no reachable prebuilt binary here and compiles from source (about a minute):
# node-gyp needs Node's headers, which this machine ships under /usr (no download).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi

stamp=node_modules/.opstage-install-stamp
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" ]]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
  touch "$stamp"
fi
echo "==> prisma generate"
node scripts/prisma-generate.mjs
