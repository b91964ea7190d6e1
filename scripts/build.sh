#!/usr/bin/env bash
# Production build: Next standalone server + bundled CLI, assembled like the image's /app.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
echo "==> next build"
npx --no-install next build
echo "==> CLI and worker bundles"
node scripts/build-cli.mjs
node scripts/build-worker.mjs
node scripts/assemble-standalone.mjs
