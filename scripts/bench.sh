#!/usr/bin/env bash
# The backup benchmark (bench/backup-bench.ts), then the offsite one (bench/offsite-bench.ts), on
# the production build; builds it first if missing.
#   npm run bench -- --size-mb 1024
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/install.sh >/dev/null
[[ -f .next/standalone/cli.mjs ]] || bash scripts/build.sh
npx --no-install tsx bench/backup-bench.ts "$@"
exec npx --no-install tsx bench/offsite-bench.ts "$@"
