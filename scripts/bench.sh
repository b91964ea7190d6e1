#!/usr/bin/env bash
# The backup benchmark (bench/backup-bench.ts), the restore one (bench/restore-bench.ts: 1 GB and
# 4 GB unless --size-mb names one size), the offsite one (bench/offsite-bench.ts), the
# replication one (bench/replication-bench.ts) and the sign-in one (bench/sign-in-bench.ts, which
# ignores --size-mb and --runs), on the production build; builds it first if missing.
#   npm run bench -- --size-mb 1024
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/install.sh >/dev/null
[[ -f .next/standalone/cli.mjs ]] || bash scripts/build.sh
npx --no-install tsx bench/backup-bench.ts "$@"
npx --no-install tsx bench/restore-bench.ts "$@"
npx --no-install tsx bench/offsite-bench.ts "$@"
npx --no-install tsx bench/replication-bench.ts "$@"
exec npx --no-install tsx bench/sign-in-bench.ts "$@"
