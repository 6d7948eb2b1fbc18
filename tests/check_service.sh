#!/bin/sh
# The units of the Debian service pass systemd-analyze verify (ExecStart
# points at the built programs), and the daemon's keeps its hardening.
# Skipped (77) without systemd-analyze.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "skipped: no systemd-analyze (Debian's systemd package)"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# systemd-analyze reads a unit by its name: copy each under the name it installs as.
for unit in "$@"; do
  name=$(basename "$unit" | sed 's/-test\.service$/.service/')
  cp "$unit" "$dir/$name"
done
for unit in "$dir"/*; do
  out=$(systemd-analyze verify --man=no "$unit" 2>&1)
  status=$?
  [ -n "$out" ] && echo "$out"
  [ "$status" -eq 0 ] && [ -z "$out" ] || { echo "FAIL: systemd-analyze verify $(basename "$unit")"; exit 1; }
  echo "ok: $(basename "$unit")"
done
daemon="$dir/manne-ledger.service"
grep -q '^DynamicUser=yes' "$daemon" && grep -q '^ProtectSystem=strict' "$daemon" &&
  grep -q '^SystemCallFilter=@system-service' "$daemon" && grep -q '^MemoryDenyWriteExecute=yes' "$daemon" &&
  grep -q '^NoNewPrivileges=yes' "$daemon" && grep -q '^Restart=on-failure' "$daemon" ||
  { echo "FAIL: the unit lost its hardening"; exit 1; }
