"""The Python client against the real manne-ledger (--demo on an ephemeral
port): the board opens a member and a shop (each new key co-signs), funds
the reserve and credits the member; the member's signed payment is
accepted, its balance read back on a connection proved by its key, and the
same bytes sent again give the original receipt. The .proto, compiled by
protoc for Python, is the only contract used.

Exit 77 (meson's "skipped") only when python3-protobuf or python3-nacl is
missing, with a message saying which.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

try:
    import google.protobuf  # noqa: F401
    import nacl.signing  # noqa: F401
    import OpenSSL  # noqa: F401
except ImportError as e:
    print("SKIP: the Python client needs python3-protobuf, python3-nacl and python3-openssl (Debian packages): %s"
          % e)
    sys.exit(77)

import manne_client as mc
import manne_pb2 as pb


def make_tls_cert(data):
    """A certificate from manne-ledger --make-tls-cert; its files and printed pin."""
    out = subprocess.run([os.environ["MANNE_LEDGER_EXE"], "--make-tls-cert", os.path.join(data, "tls")],
                         check=True, capture_output=True, text=True).stdout
    pin = out.split("pin: ", 1)[1].split()[0]
    return os.path.join(data, "tls", "tls.crt"), os.path.join(data, "tls", "tls.key"), pin


def start_daemon(data, cert, key):
    port_file = os.path.join(data, "port")
    log = open(os.path.join(data, "daemon.log"), "ab")
    daemon = subprocess.Popen([os.environ["MANNE_LEDGER_EXE"], "--data", os.path.join(data, "ledger"), "--demo",
                               "--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0", "--tls-cert", cert,
                               "--tls-key", key, "--port-file", port_file], stderr=log)
    for _ in range(1000):
        if os.path.exists(port_file):
            words = open(port_file).read().split()
            if len(words) == 3 and words[1] == "tls":
                return daemon, int(words[0]), int(words[2])
        if daemon.poll() is not None:
            raise SystemExit("manne-ledger exited at start-up; see %s/daemon.log" % data)
        time.sleep(0.01)
    raise SystemExit("manne-ledger did not start")


def board_act(client, board, body, cosigners=()):
    txid, signed = client.sign(body, list(board) + list(cosigners))
    return client.submit(signed, txid)


def main():
    data = tempfile.mkdtemp(prefix="manne-python-")
    cert, key, pin = make_tls_cert(data)
    daemon, port, tls_port = start_daemon(data, cert, key)
    try:
        board = [mc.key_from_file(os.path.join(data, "ledger", "keys", "board%d.key" % i)) for i in range(2)]
        client = mc.Client("127.0.0.1", port)
        assert client.origin == "manne.demo/v1", client.origin
        member = nacl.signing.SigningKey.generate()
        shop = nacl.signing.SigningKey.generate()

        for key, role in ((member, pb.ROLE_MEMBER), (shop, pb.ROLE_SHOP)):
            body = client.body()
            body.open_account.key = mc.public(key)
            body.open_account.role = role
            board_act(client, board, body, cosigners=[key])
        body = client.body()
        body.fund_reserve.amount = 10000
        body.fund_reserve.bank_reference = "VIR-PY-1"
        board_act(client, board, body)
        body = client.body()
        body.issue.account = mc.public(member)
        body.issue.amount = 2000
        body.issue.reason = pb.ISSUE_ALLOWANCE
        body.issue.programme = "panier-solidaire-2026-11"
        board_act(client, board, body)

        # The member's signed payment, as a shop's Python till would send it.
        txid, signed, receipt = client.pay(member, mc.public(shop), 750, memo="panier", payee_reference="PY-1")
        assert receipt.txid == txid and not receipt.duplicate
        assert receipt.checkpoint.startswith("manne.demo/v1\n"), receipt.checkpoint
        print("paid: txid %s, leaf %d" % (txid.hex(), receipt.leaf_index))

        # The same bytes again (as after a timeout): the original receipt.
        again = client.submit(signed, txid)
        assert again.duplicate and again.leaf_index == receipt.leaf_index

        # The balance, on a connection proved by the member's key.
        try:
            client.account(mc.public(member))
            raise AssertionError("an anonymous read of an account was allowed")
        except mc.LedgerError as e:
            assert e.status == pb.NOT_PERMITTED, e
        client.authenticate(member)
        info = client.account(mc.public(member))
        assert info.balance == 2000 - 750, info
        assert info.next_sequence == 2, info
        print("balance: %d centimes" % info.balance)

        # A refusal comes back as its status and message.
        try:
            client.pay(member, mc.public(shop), 999999)
            raise AssertionError("an overdraft was accepted")
        except mc.LedgerError as e:
            assert e.status == pb.INSUFFICIENT_FUNDS, e
        client.close()

        # Between machines: TLS 1.3 with the pinned key; the member pays and
        # reads its balance there (the proof of key is bound to the session).
        tls = mc.Client("127.0.0.1", tls_port, tls_pin=pin)
        txid, signed, receipt = tls.pay(member, mc.public(shop), 250, memo="panier", payee_reference="PY-TLS")
        assert receipt.txid == txid and not receipt.duplicate
        tls.authenticate(member)
        assert tls.account(mc.public(member)).balance == 2000 - 750 - 250
        tls.close()
        print("paid over TLS: leaf %d" % receipt.leaf_index)
        # A wrong pin: refused before anything is sent.
        wrong = bytearray(mc.parse_tls_pin(pin))
        wrong[0] ^= 1
        try:
            mc.Client("127.0.0.1", tls_port, tls_pin=bytes(wrong).hex())
            raise AssertionError("a server holding another key was accepted")
        except mc.TlsPinError as e:
            assert "pinned" in str(e), e
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
