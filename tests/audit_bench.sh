#!/bin/sh
# The auditor's replay speed (docs/audit.md): a large export made in-process,
# then `manne-audit --file` on it from a fresh state directory, which replays
# every leaf and verifies every signature, and in the same run writes every
# treasurer's output (docs/treasurer.md: FEC, Paheko CSV, the month's HTML
# report). Run with `meson test --benchmark` (MANNE_BENCH_LEAVES sets the
# size, default 100000).
set -eu
make_export=$1 audit=$2
leaves=${MANNE_BENCH_LEAVES:-100000}
dir=$(mktemp -d /tmp/manne-audit-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
vkey=$("$make_export" "$leaves" "$dir/log.export")
start=$(date +%s%N)
"$audit" --state "$dir/state" --file "$dir/log.export" --checkpoint-key "$vkey" --json \
  --fec "$dir/FEC.txt" --year 2026 --paheko "$dir/paheko.csv" --html "$dir/report.html" --month 2026-11 \
  >"$dir/out.json"
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
# The replay itself (read, verify, apply, commit), as the report times it.
replay_ms=$(sed -n 's/.*"replayed":{[^}]*"ms":\([0-9]*\).*/\1/p' "$dir/out.json")
echo "manne-audit --file: $leaves leaves in $ms ms: $(( leaves * 1000 / (ms > 0 ? ms : 1) )) leaves/s" \
     "($(nproc) cores, $(ls -l "$dir/log.export" | awk '{print $5}') bytes);" \
     "the replay: $replay_ms ms, $(( leaves * 1000 / (${replay_ms:-0} > 0 ? replay_ms : 1) )) leaves/s"
echo "outputs: FEC $(wc -l <"$dir/FEC.txt") lines, Paheko $(wc -l <"$dir/paheko.csv") lines," \
     "report $(wc -c <"$dir/report.html") bytes"
grep -q '"ok":true' "$dir/out.json"
