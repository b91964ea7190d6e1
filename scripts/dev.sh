#!/usr/bin/env bash
# `npm run dev`: Next's development server with hot reload, on http://localhost:8080 and ./data
# like run.sh (a generated session secret kept there). Installs on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/lib/quickstart-env.sh
port="${OPSTAGE_PORT:-8080}"
echo "==> Opstage CE (development) on http://localhost:${port} (data: $OPSTAGE_DATA_DIR)"
exec npx --no-install next dev --port "$port" --hostname "${OPSTAGE_HOST:-127.0.0.1}"
