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
# The generated client only changes with the schema (and the Prisma version, which npm ci changes).
schema_stamp=lib/generated/.schema-sha256
schema_sha="$( (cat prisma/schema.prisma; stat -c %Y "$stamp") | sha256sum | cut -d' ' -f1)"
if [[ ! -f lib/generated/prisma/client.ts || "$(cat "$schema_stamp" 2>/dev/null)" != "$schema_sha" ]]; then
  echo "==> prisma generate"
  node scripts/prisma-generate.mjs
  echo "$schema_sha" > "$schema_stamp"
fi
# The snapshot worker's bundle: the unit tests run lib/ from source and start it too.
node scripts/build-worker.mjs
