# Sourced: source_fingerprint prints a hash of the checkout's sources as they are now (commit,
# uncommitted changes, untracked files), or nothing outside a git checkout (then always rebuild).
source_fingerprint() {
  git rev-parse --verify -q HEAD >/dev/null 2>&1 || return 0
  {
    git rev-parse HEAD
    git diff HEAD --binary
    git ls-files -o --exclude-standard -z | xargs -0 -r sha256sum
  } | sha256sum | cut -d' ' -f1
}
