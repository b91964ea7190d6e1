#!/usr/bin/env bash
# Every test: installs what they need (npm packages, Debian's Chromium and sshd), builds the production
# server, then runs unit/integration tests, HTTP tests against the built server, the image-layout
# test and the Playwright end-to-end tests. Stops at the first failing group; ends with one
# summary line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

# Debian packages the tests run: Chromium for Playwright, OpenSSH's sshd as the replication
# tests' SFTP replica (started on a loopback port). Installed once, only when missing.
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "==> apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=""
  [[ "$(id -u)" -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash scripts/install.sh
echo "==> typecheck"
npx --no-install tsc --noEmit
echo "==> lint (ESLint, with import cycles) and format check (Prettier)"
npx --no-install eslint .
npx --no-install prettier --check . >/dev/null || { npx --no-install prettier --list-different .; echo "Run npm run format."; exit 1; }
echo "==> folder layering (dependency-cruiser: no cycles between lib/ folders, lib/ never imports app/)"
npx --no-install depcruise --config .dependency-cruiser.cjs lib app pages cli instrumentation.ts || {
  echo "Imports between folders must point down (.dependency-cruiser.cjs says why): move what needs both folders up, or what both need down."
  exit 1
}
echo "==> links in the README and docs/ (remark-validate-links: files and headings exist)"
npx --no-install remark --frail --quiet --no-stdout README.md docs || {
  echo "A link in README.md or docs/ points at a file or heading that does not exist (above)."
  exit 1
}
bash scripts/build.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "==> unit and integration tests"
npx --no-install tsx --test --test-concurrency=1 tests/unit/*.test.ts | tee -a "$log"
echo "==> HTTP tests against the built server"
npx --no-install tsx --test --test-concurrency=1 tests/http/*.test.ts | tee -a "$log"
echo "==> end-to-end tests (Playwright, Debian Chromium)"
npx --no-install playwright test | tee -a "$log"

# node:test prints "# pass N" / "# fail N" per run; Playwright prints "N passed".
passed=$(awk '/^# pass [0-9]+$/ {n += $3} /^ *[0-9]+ passed/ {n += $1} END {print n + 0}' "$log")
failed=$(awk '/^# fail [0-9]+$/ {n += $3} /^ *[0-9]+ failed/ {n += $1} END {print n + 0}' "$log")
echo "tests: ${passed} passed, ${failed} failed"
