#!/usr/bin/env bash
# Quick start: install, build, and serve the console on http://localhost:8080 with its data in
# ./data. The first start creates the owner and prints its password (unless OPSTAGE_ADMIN_* are set).
# Install and build are skipped when nothing changed since the last build (any build: this
# script's, the test command's or a hand-run scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/source-fingerprint.sh

stamp=.next/standalone/.opstage-source-fingerprint
fingerprint="$(source_fingerprint)"
if [[ -n "$fingerprint" && -f .next/standalone/cli.mjs && "$(cat "$stamp" 2>/dev/null)" == "$fingerprint" ]]; then
  echo "==> nothing changed since the last build; starting it"
else
  bash scripts/install.sh
  bash scripts/build.sh # writes the fingerprint it was built from
fi

source scripts/lib/quickstart-env.sh
echo "==> Opstage CE on http://localhost:${OPSTAGE_PORT:-8080} (data: $OPSTAGE_DATA_DIR)"
exec node .next/standalone/cli.mjs serve
