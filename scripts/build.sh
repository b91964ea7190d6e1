#!/usr/bin/env bash
# Production build: Next standalone server + bundled CLI, assembled like the image's /app.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/source-fingerprint.sh
export NEXT_TELEMETRY_DISABLED=1
# Taken before building, so an edit made while the build runs makes the next run.sh rebuild.
fingerprint="$(source_fingerprint)"
stamp=.next/standalone/.opstage-source-fingerprint
echo "==> next build"
npx --no-install next build
echo "==> CLI and worker bundles"
node scripts/build-cli.mjs
node scripts/build-worker.mjs
node scripts/assemble-standalone.mjs
# Every build (run.sh's, test.sh's, a hand-run one) says which sources it was built from, so
# run.sh starts it without building again when nothing changed.
if [[ -n "$fingerprint" ]]; then echo "$fingerprint" > "$stamp"; else rm -f "$stamp"; fi
