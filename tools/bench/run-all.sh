#!/usr/bin/env bash
# run-all.sh: every figure of docs/benchmarks.md in one run on one machine,
# so that ratios compare like with like. Needs a release build:
#   meson setup build-bench --buildtype=release && ninja -C build-bench
# usage: tools/bench/run-all.sh [BUILD_DIR] [--quick]
# --quick skips the 100k and 1M account runs and the 1M-leaf audit.
# Throughput figures are the median of three rounds (manne-bench --rounds 3),
# PostgreSQL's the median of three runs: the machine is shared and noisy.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-bench}
QUICK=${2:-}
OUT=$(mktemp -d /tmp/manne-bench-all-XXXXXX)
trap 'kill $PID 2>/dev/null; rm -rf "$OUT"' EXIT

start_daemon() {  # data dir
  "$B/ledger/server/manne-ledger" --data "$1" --demo --listen 127.0.0.1:0 --port-file "$1/port" --map-size 16G \
    2> "$1/log" &
  PID=$!
  for _ in $(seq 200); do [ -s "$1/port" ] && return 0; sleep 0.05; done
  echo "daemon did not start"; exit 1
}
stop_daemon() { kill "$PID"; wait "$PID"; }
bench() {  # data dir, label, manne-bench args...
  local d=$1 label=$2; shift 2
  echo "== $label: manne-bench $*"
  "$B/tools/bench/manne-bench" --port "$(cat "$d/port")" --keys "$d/keys" --pid "$PID" "$@" | tee "$OUT/$label.txt"
}
figure() { awk -v k="$2" '$1 == k {print $2}' "$OUT/$1.txt"; }

# (a) maximum throughput of durable signed payments, 10k accounts.
D=$OUT/a; mkdir -m 700 "$D"; start_daemon "$D"
bench "$D" max --members 10000 --shops 100 --payments 100000 --rounds 3 --connections 8 --depth 256 --seed a
MAX=$(figure max throughput)
# (b) latency at half of that, same ledger and population (fresh sequences: another seed).
HALF=$(( ${MAX%.*} / 2 ))
bench "$D" half --members 10000 --shops 100 --payments $(( HALF * 20 )) --connections 8 --depth 256 --rate "$HALF" --seed b
# one till, one payment at a time.
bench "$D" single --members 100 --shops 10 --payments 3000 --rounds 3 --connections 1 --depth 1 --seed c
echo "store size: $(du -sh "$D/store" | cut -f1)"
stop_daemon

# (c) scale: 10k, 100k, 1M accounts.
SIZES="10000 100000 1000000"
[ "$QUICK" = "--quick" ] && SIZES="10000"
for n in $SIZES; do
  D=$OUT/c$n; mkdir -m 700 "$D"; start_daemon "$D"
  bench "$D" "accounts-$n" --members "$n" --shops 100 --payments 100000 --rounds 3 --connections 8 --depth 256 \
    --seed "c$n"
  echo "store size at $n accounts: $(du -sh "$D/store" | cut -f1)"
  stop_daemon
  rm -rf "$D"
done

# (d) the auditor's replay of a 1M-leaf export (signatures verified on every core).
if [ "$QUICK" != "--quick" ]; then
  echo "== audit replay"
  MANNE_BENCH_LEAVES=1000000 tests/audit_bench.sh "$B/tests/audit_bench_export" "$B/tools/audit/manne-audit" \
    | tee "$OUT/audit.txt"
fi

# (e) PostgreSQL 15, the same transfers, synchronous commit: the median of three runs.
for i in 1 2 3; do
  tools/bench/run-pgbench.sh -m 10000 -s 100 -c 32 -T 20 | tee -a "$OUT/pg.txt"
done
PG=$(awk -F': ' '/^pgbench transfers\/s/ {print $2}' "$OUT/pg.txt" | sort -n | sed -n 2p)

echo
echo "== summary"
echo "max throughput        $MAX payments/s ($(figure max ratio) of the verification ceiling)"
echo "latency at half       $(grep latency "$OUT/half.txt")"
echo "single till           $(figure single throughput) payments/s"
for n in $SIZES; do echo "at $n accounts   $(figure "accounts-$n" throughput) payments/s"; done
[ -s "$OUT/audit.txt" ] && echo "audit replay          $(cat "$OUT/audit.txt")"
echo "PostgreSQL 15         $PG transfers/s; ledger/PostgreSQL = $(awk -v a="$MAX" -v b="$PG" 'BEGIN {printf "%.1f", a / b}')x"
