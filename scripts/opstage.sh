#!/usr/bin/env bash
# `npm run opstage -- <command>` from a checkout: the operator CLI on the same data dir as
# scripts/run.sh (./data unless OPSTAGE_DATA_DIR is set), not the image's /app/data.
set -euo pipefail
cd "$(dirname "$0")/.."
# Installs on first use (a no-op afterwards); its progress goes to stderr, the command's output
# alone to stdout.
bash scripts/install.sh >&2
export OPSTAGE_DATA_DIR="${OPSTAGE_DATA_DIR:-$PWD/data}"
exec npx --no-install tsx cli/opstage.ts "$@"
