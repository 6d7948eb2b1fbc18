"""The metrics endpoint (SPEC section 13): manne-ledger --metrics-listen on
loopback answers GET /metrics with text that Debian's Prometheus parser
(python3-prometheus-client) accepts; names follow the conventions (manne_
prefix, _total counters, base units); one payment and one refusal move
their counters by exactly one; nothing names an account. Anything but GET
/metrics is refused.

Exit 77 (skipped) only when python3-prometheus-client, -protobuf or -nacl is
missing, with a message saying which.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:
    from prometheus_client.parser import text_string_to_metric_families
    import nacl.signing
except ImportError as e:
    print("SKIP: needs python3-prometheus-client, python3-protobuf and python3-nacl: %s" % e)
    sys.exit(77)

import manne_client as mc
import manne_pb2 as pb


def start(data):
    port_file = os.path.join(data, "port")
    log = open(os.path.join(data, "daemon.log"), "ab")
    daemon = subprocess.Popen([os.environ["MANNE_LEDGER_EXE"], "--data", os.path.join(data, "ledger"), "--demo",
                               "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                               "--port-file", port_file], stderr=log)
    for _ in range(1000):
        if os.path.exists(port_file):
            words = open(port_file).read().split()
            if len(words) == 3 and words[1] == "metrics":
                return daemon, int(words[0]), int(words[2])
        if daemon.poll() is not None:
            raise SystemExit("manne-ledger exited at start-up; see %s/daemon.log" % data)
        time.sleep(0.01)
    raise SystemExit("manne-ledger did not start")


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain"), r.headers["Content-Type"]
        text = r.read().decode("utf-8")
    samples = {}
    families = list(text_string_to_metric_families(text))
    for family in families:
        assert family.name.startswith("manne_"), family.name
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return text, families, samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def main():
    data = tempfile.mkdtemp(prefix="manne-metrics-")
    daemon, port, metrics_port = start(data)
    try:
        board = [mc.key_from_file(os.path.join(data, "ledger", "keys", "board%d.key" % i)) for i in range(2)]
        client = mc.Client("127.0.0.1", port)
        member = nacl.signing.SigningKey.generate()
        shop = nacl.signing.SigningKey.generate()
        for key, role in ((member, pb.ROLE_MEMBER), (shop, pb.ROLE_SHOP)):
            body = client.body()
            body.open_account.key = mc.public(key)
            body.open_account.role = role
            txid, signed = client.sign(body, board + [key])
            client.submit(signed, txid)
        body = client.body()
        body.fund_reserve.amount = 10000
        body.fund_reserve.bank_reference = "VIR-M"
        txid, signed = client.sign(body, board)
        client.submit(signed, txid)
        body = client.body()
        body.issue.account = mc.public(member)
        body.issue.amount = 2000
        body.issue.reason = pb.ISSUE_ALLOWANCE
        body.issue.programme = "p"
        txid, signed = client.sign(body, board)
        client.submit(signed, txid)

        text, families, before = scrape(metrics_port)
        kinds = {f.name: f.type for f in families}
        for name, kind in (("manne_requests", "counter"), ("manne_transactions", "counter"),
                           ("manne_batch_transactions", "histogram"), ("manne_commit_seconds", "histogram"),
                           ("manne_verify_queue", "gauge"), ("manne_connections", "gauge"),
                           ("manne_log_leaves", "gauge"), ("manne_store_used_bytes", "gauge"),
                           ("manne_store_map_bytes", "gauge"), ("manne_checkpoint_age_seconds", "gauge")):
            assert kinds.get(name) == kind, (name, kinds.get(name))
        assert mc.public(member).hex() not in text and mc.public(shop).hex() not in text
        assert value(before, "manne_log_leaves") == 5

        # One payment, one refusal.
        client.pay(member, mc.public(shop), 500)
        try:
            client.pay(member, mc.public(shop), 999999)
            raise AssertionError("an overdraft was accepted")
        except mc.LedgerError as e:
            assert e.status == pb.INSUFFICIENT_FUNDS, e
        _, _, after = scrape(metrics_port)
        moved = {
            "pay ok": value(after, "manne_transactions_total", kind="pay", status="ok")
            - value(before, "manne_transactions_total", kind="pay", status="ok"),
            "pay refused": value(after, "manne_transactions_total", kind="pay", status="insufficient_funds")
            - value(before, "manne_transactions_total", kind="pay", status="insufficient_funds"),
            "submits": value(after, "manne_requests_total", kind="submit")
            - value(before, "manne_requests_total", kind="submit"),
            "leaves": value(after, "manne_log_leaves") - value(before, "manne_log_leaves"),
            "commits": value(after, "manne_commit_seconds_count") - value(before, "manne_commit_seconds_count"),
        }
        print("moved:", moved)
        commits = moved.pop("commits")
        assert moved == {"pay ok": 1, "pay refused": 1, "submits": 2, "leaves": 1}, moved
        assert commits in (1, 2), commits  # the refusal's batch commits too, if it had one of its own

        # A backup taken: counted, with its time.
        assert value(after, "manne_backups_total") == 0
        subprocess.run([os.environ["MANNE_LEDGER_EXE"], "backup", "--data", os.path.join(data, "ledger"), "--out",
                        os.path.join(data, "one.backup")], check=True, capture_output=True)
        _, _, backed = scrape(metrics_port)
        assert value(backed, "manne_backups_total") == 1, backed
        assert abs(value(backed, "manne_last_backup_timestamp_seconds") - time.time()) < 60

        # Anything but GET /metrics is refused.
        for path in ("/", "/metrics/x"):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d%s" % (metrics_port, path), timeout=5)
                raise AssertionError("%s answered" % path)
            except urllib.error.HTTPError as e:
                assert e.code == 404, e
        try:
            urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/metrics" % metrics_port,
                                                          data=b"x", method="POST"), timeout=5)
            raise AssertionError("POST answered")
        except urllib.error.HTTPError as e:
            assert e.code in (400, 405, 413, 501), e  # no body is taken, no method but GET
        client.close()
        print("ok")
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
        if code != 0:
            raise SystemExit("manne-ledger exited %d; see %s/daemon.log" % (code, data))
        if "MANNE_KEEP" not in os.environ:
            shutil.rmtree(data)


if __name__ == "__main__":
    main()
