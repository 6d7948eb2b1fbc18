#!/bin/sh
# The unit of the Debian service passes systemd-analyze verify (its
# ExecStart points at the built daemon). Skipped (77) without systemd-analyze.
unit=$1
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "skipped: no systemd-analyze (Debian's systemd package)"
  exit 77
fi
out=$(systemd-analyze verify --man=no "$unit" 2>&1)
status=$?
echo "$out"
[ "$status" -eq 0 ] && [ -z "$out" ] || { echo "FAIL: systemd-analyze verify $unit"; exit 1; }
grep -q '^DynamicUser=yes' "$unit" && grep -q '^ProtectSystem=strict' "$unit" &&
  grep -q '^SystemCallFilter=@system-service' "$unit" && grep -q '^MemoryDenyWriteExecute=yes' "$unit" ||
  { echo "FAIL: the unit lost its hardening"; exit 1; }
echo "ok: $unit"
