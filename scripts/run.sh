#!/usr/bin/env bash
# Quick start: install, build, and serve the console on http://localhost:8080 with its data in
# ./data. The first start creates the owner and prints its password (unless OPSTAGE_ADMIN_* are set).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh
bash scripts/build.sh

export OPSTAGE_DATA_DIR="${OPSTAGE_DATA_DIR:-$PWD/data}"
mkdir -p "$OPSTAGE_DATA_DIR"
# Outside the quick start OPSTAGE_SESSION_SECRET must be set. Here one is generated once and kept
# (mode 600) in the data dir, so sessions survive restarts.
if [[ -z "${OPSTAGE_SESSION_SECRET:-}" ]]; then
  secret_file="$OPSTAGE_DATA_DIR/.session-secret"
  if [[ ! -s "$secret_file" ]]; then
    (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(48).toString("base64"))' > "$secret_file")
  fi
  OPSTAGE_SESSION_SECRET="$(cat "$secret_file")"
  export OPSTAGE_SESSION_SECRET
fi
export NEXT_TELEMETRY_DISABLED=1
echo "==> Opstage CE on http://localhost:${OPSTAGE_PORT:-8080} (data: $OPSTAGE_DATA_DIR)"
exec node .next/standalone/cli.mjs serve
