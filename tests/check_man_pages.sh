#!/bin/sh
# Each man page built from its scdoc source renders with man -l and has its
# NAME and SYNOPSIS. Skipped (77) where scdoc or man is absent.
if [ "$1" = none ]; then
  echo "skipped: no scdoc (Debian's scdoc package): the man pages were not built"
  exit 77
fi
command -v man >/dev/null 2>&1 || { echo "skipped: no man (Debian's man-db)"; exit 77; }
for page in "$@"; do
  text=$(MANWIDTH=80 man -l "$page" 2>&1) || { echo "FAIL: man -l $page"; exit 1; }
  for section in NAME SYNOPSIS DESCRIPTION; do
    echo "$text" | grep -q "^$section" || { echo "FAIL: $page has no $section"; exit 1; }
  done
  echo "ok: $(basename "$page")"
done
