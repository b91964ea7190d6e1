# Sourced by run.sh and dev.sh: the quick start's data dir (./data) and session secret. Outside the
# quick start OPSTAGE_SESSION_SECRET must be set; here one is generated once and kept (mode 600)
# in the data dir, so sessions survive restarts.
export OPSTAGE_DATA_DIR="${OPSTAGE_DATA_DIR:-$PWD/data}"
mkdir -p "$OPSTAGE_DATA_DIR"
if [[ -z "${OPSTAGE_SESSION_SECRET:-}" ]]; then
  secret_file="$OPSTAGE_DATA_DIR/.session-secret"
  if [[ ! -s "$secret_file" ]]; then
    (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(48).toString("base64"))' > "$secret_file")
  fi
  OPSTAGE_SESSION_SECRET="$(cat "$secret_file")"
  export OPSTAGE_SESSION_SECRET
fi
export NEXT_TELEMETRY_DISABLED=1
