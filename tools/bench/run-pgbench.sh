#!/bin/sh
# run-pgbench.sh: the PostgreSQL side of the ledger benchmark. The same
# transfers as tools/bench/manne-bench.c (one durable payment: debit a member with a
# non-negative check, credit a shop, append a signature-sized transfer row,
# bump the payer's sequence number) as a pgbench custom script, on a throwaway
# PostgreSQL 15 cluster with synchronous_commit = on and fsync = on.
#
# usage: tools/bench/run-pgbench.sh [-m MEMBERS] [-s SHOPS] [-c CLIENTS]
#                                   [-j THREADS] [-T SECONDS] [-d BASEDIR]
#                                   [-- EXTRA_PGBENCH_ARGS...]
# Defaults: 1000 members, 100 shops, 8 clients, 2 threads, 20 s, BASEDIR
# ${TMPDIR:-/tmp}. Run it on the same machine as manne-bench, with the ledger
# stopped, and keep BASEDIR on the same kind of disk as the ledger's data
# (a tmpfs makes fsync free: the script warns).
#
# What it does:
#  (a) installs postgresql-15 with apt-get if missing (only as root);
#  (b) initdb's a cluster in a fresh temp dir under BASEDIR, run as the
#      postgres user when started as root (root cannot run postgres). The
#      server listens on no TCP address at all, only on a Unix socket inside
#      that temp dir. Settings: synchronous_commit = on, fsync = on (both the
#      defaults, set explicitly), PostgreSQL's defaults for everything else
#      (shared_buffers 128MB, wal_sync_method fdatasync, full_page_writes on,
#      max_connections 100). initdb runs with --no-sync: that only skips
#      fsyncing the fresh cluster's files at creation, not at run time;
#  (c) loads the accounts (pg-setup.sql): members 1..M with 10,000.00 each,
#      shops M+1..M+S;
#  (d) runs pgbench -n -f pgbench-transfers.sql -c C -j J -T SECONDS, prints
#      its summary (tps and latency lines), checks that money was conserved
#      and that one transfer row exists per processed transaction, and ends
#      with one line: "pgbench transfers/s: X";
#  (e) stops the server and deletes the temp dir (also on error or ^C).
set -eu

members=1000 shops=100 clients=8 threads=2 seconds=20 base=${TMPDIR:-/tmp}
credit=1000000 # cents per member, as CREDIT_PER_MEMBER in tools/bench/manne-bench.c
while getopts m:s:c:j:T:d:h opt; do
	case $opt in
	m) members=$OPTARG ;;
	s) shops=$OPTARG ;;
	c) clients=$OPTARG ;;
	j) threads=$OPTARG ;;
	T) seconds=$OPTARG ;;
	d) base=$OPTARG ;;
	h) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [-m MEMBERS] [-s SHOPS] [-c CLIENTS] [-j THREADS] [-T SECONDS] [-d BASEDIR] [-- PGBENCH_ARGS]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
for n in "$members" "$shops" "$clients" "$threads" "$seconds"; do
	case $n in '' | *[!0-9]* | 0) echo "run-pgbench: not a positive integer: '$n'" >&2; exit 2 ;; esac
done
[ "$threads" -le "$clients" ] || threads=$clients

here=$(cd "$(dirname "$0")" && pwd)
PGBIN=/usr/lib/postgresql/15/bin

# (a) PostgreSQL 15 from Debian's archive.
if [ ! -x "$PGBIN/postgres" ] || [ ! -x "$PGBIN/pgbench" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "run-pgbench: $PGBIN/postgres missing; as root: apt-get install -y postgresql-15" >&2
		exit 1
	fi
	echo "run-pgbench: installing postgresql-15" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 >&2 ||
		{ apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 >&2; }
fi

# (b) A throwaway cluster, owned by an unprivileged user.
if [ "$(id -u)" -eq 0 ]; then
	runas=postgres
	id "$runas" >/dev/null 2>&1 || { echo "run-pgbench: no '$runas' user (it comes with postgresql-common)" >&2; exit 1; }
	as_server() { runuser -u "$runas" -- "$@"; }
else
	as_server() { "$@"; }
fi

mkdir -p "$base"
tmp=$(mktemp -d "$base/pgbench-transfers.XXXXXX")
data=$tmp/data
port=5432 # only names the socket file: the socket dir is private, no TCP
cleanup() {
	cd /
	if [ -f "$data/postmaster.pid" ]; then
		as_server "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			as_server "$PGBIN/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
[ "$(id -u)" -ne 0 ] || chown "$runas" "$tmp"
chmod 700 "$tmp"
case $(stat -f -c %T "$tmp") in
tmpfs | ramfs) echo "run-pgbench: WARNING: $tmp is on a $(stat -f -c %T "$tmp"): fsync costs nothing there, use -d DIR on a disk" >&2 ;;
esac
cd "$tmp"

as_server "$PGBIN/initdb" -D "$data" -U bench -A trust -E UTF8 --locale=C --no-sync >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log" >&2; exit 1; }
cat >>"$data/postgresql.conf" <<CONF

# run-pgbench.sh: Unix socket only; durable commits; defaults otherwise.
listen_addresses = ''
port = $port
unix_socket_directories = '$tmp'
synchronous_commit = on
fsync = on
CONF
as_server "$PGBIN/pg_ctl" -D "$data" -l "$tmp/server.log" -w -t 60 start >/dev/null ||
	{ cat "$tmp/server.log" >&2; exit 1; }

export PGHOST="$tmp" PGPORT="$port" PGUSER=bench PGDATABASE=postgres
psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# (c) The accounts.
psql -v members="$members" -v shops="$shops" -v credit="$credit" -f "$here/pg-setup.sql" >/dev/null
psql -At -c "SELECT 'postgresql ' || current_setting('server_version')
	|| ', synchronous_commit=' || current_setting('synchronous_commit')
	|| ', fsync=' || current_setting('fsync')
	|| ', wal_sync_method=' || current_setting('wal_sync_method')
	|| ', full_page_writes=' || current_setting('full_page_writes')
	|| ', shared_buffers=' || current_setting('shared_buffers')
	|| ', data on ' || '$(stat -f -c %T "$tmp")'"
echo "$members members, $shops shops, $clients clients, $threads threads, $seconds s"

# (d) The timed run. timeout bounds it even if a client hangs.
status=0
timeout -k 10 $((seconds + 120)) "$PGBIN/pgbench" -n -f "$here/pgbench-transfers.sql" \
	-D members="$members" -D shops="$shops" \
	-c "$clients" -j "$threads" -T "$seconds" "$@" >"$tmp/pgbench.out" 2>"$tmp/pgbench.err" || status=$?
grep -v '^pgbench (' "$tmp/pgbench.out" || true
if [ "$status" -ne 0 ]; then
	cat "$tmp/pgbench.err" >&2
	echo "run-pgbench: pgbench failed (exit $status)" >&2
	exit 1
fi
tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$tmp/pgbench.out")
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
[ -n "$tps" ] && [ -n "$processed" ] || { echo "run-pgbench: cannot read pgbench's summary" >&2; exit 1; }

check=$(psql -At -F ' ' -c "SELECT (SELECT sum(balance) FROM accounts), (SELECT count(*) FROM transfers),
	(SELECT coalesce(sum(amount), 0) FROM transfers), (SELECT sum(balance) FROM accounts WHERE id > $members)")
set -- $check
if [ "$1" -ne $((members * credit)) ] || [ "$2" -ne "$processed" ] || [ "$3" -ne "$4" ]; then
	echo "run-pgbench: check FAILED: total $1 (want $((members * credit))), rows $2 (want $processed), paid $3 vs shops $4" >&2
	exit 1
fi
echo "check: money conserved, $2 transfer rows = transactions processed"

# (e) is the EXIT trap.
echo "pgbench transfers/s: $tps"
