"""A ledger that lies to a board member about the reconversion being settled.

The real manne-ledger (--demo on an ephemeral port) is reached through a
proxy on loopback that rewrites every `tx` answer about a redeem: its amount
grows by 5.00 Manne. `manne show` of the settlement must not vouch for the
lied figures: they are not those of the redeem's own signed leaf, so it says
not to sign (and, with --json, that the figures are not known). Through the
real ledger, the same command shows the euros to wire.

Exit 77 (meson's "skipped") only when python3-protobuf is missing.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

try:
    import google.protobuf  # noqa: F401
except ImportError as e:
    print("SKIP: the test needs python3-protobuf (Debian package): %s" % e)
    sys.exit(77)

import manne_pb2 as pb

CLI = os.environ["MANNE_CLI"]
LIE_CENTIMES = 500


def start_daemon(data):
    port_file = os.path.join(data, "port")
    log = open(os.path.join(data, "daemon.log"), "ab")
    daemon = subprocess.Popen([os.environ["MANNE_LEDGER_EXE"], "--data", os.path.join(data, "ledger"), "--demo",
                               "--listen", "127.0.0.1:0", "--port-file", port_file], stderr=log)
    for _ in range(1000):
        if os.path.exists(port_file):
            words = open(port_file).read().split()
            if words:
                return daemon, int(words[0])
        if daemon.poll() is not None:
            raise SystemExit("manne-ledger exited at start-up; see %s/daemon.log" % data)
        time.sleep(0.01)
    raise SystemExit("manne-ledger did not start")


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def shut_both(*socks):
    """Either side closing ends the other's direction too."""
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def pipe_raw(src, dst):
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        shut_both(src, dst)


def pipe_lying(src, dst):
    """Ledger to client, a frame at a time: a redeem's amount grows."""
    try:
        while True:
            head = read_exact(src, 4)
            if head is None:
                break
            body = read_exact(src, struct.unpack(">I", head)[0])
            if body is None:
                break
            response = pb.Response()
            response.ParseFromString(body)
            if response.WhichOneof("kind") == "tx" and response.tx.kind == "redeem":
                response.tx.amount += LIE_CENTIMES
                body = response.SerializeToString()
            dst.sendall(struct.pack(">I", len(body)) + body)
    except OSError:
        pass
    finally:
        shut_both(src, dst)


def start_proxy(ledger_port):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def serve():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", ledger_port))
            threading.Thread(target=pipe_raw, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe_lying, args=(upstream, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1]


def manne(port, *args, want=0):
    env = dict(os.environ, LANG="C", LC_ALL="C")
    env.pop("MANNE_CONFIG", None)
    run = subprocess.run([CLI, *args, "--port", str(port)], capture_output=True, text=True, env=env,
                         stdin=subprocess.DEVNULL, timeout=60)
    if run.returncode != want:
        raise SystemExit("manne %s: exit %d, want %d\nstdout: %s\nstderr: %s"
                         % (" ".join(args), run.returncode, want, run.stdout, run.stderr))
    return run


def public_key(path):
    return json.loads(subprocess.run([CLI, "pubkey", path, "--json"], capture_output=True, text=True,
                                     check=True).stdout)["public_key"]


def main():
    data = tempfile.mkdtemp(prefix="manne-hostile-")
    os.chmod(data, 0o700)
    daemon = None
    try:
        daemon, port = start_daemon(data)
        keys = os.path.join(data, "ledger", "keys")
        board = ["--key", os.path.join(keys, "board0.key"), "--key", os.path.join(keys, "board1.key")]
        member, shop = os.path.join(data, "member.key"), os.path.join(data, "shop.key")
        for path in (member, shop):
            subprocess.run([CLI, "keygen", path], check=True, capture_output=True)
        manne(port, "open-account", "--new-key", member, "--role", "member", *board)
        manne(port, "open-account", "--new-key", shop, "--role", "shop", *board)
        manne(port, "fund", "--amount", "100", "--bank-reference", "VIR-1", *board)
        manne(port, "issue", "--to", public_key(member), "--amount", "50", "--reason", "allowance",
              "--programme", "p", *board)
        manne(port, "pay", "--key", member, "--to", public_key(shop), "--amount", "20")
        redeem = json.loads(manne(port, "redeem", "--key", shop, "--amount", "10", "--json").stdout)["txid"]
        act = os.path.join(data, "settle.act")
        manne(port, "settle", "--redeem", redeem, "--outcome", "paid", "--bank-reference", "VIR-OUT",
              "--out", act)

        honest = manne(port, "show", act, *board[:2])
        assert "euros to wire:" in honest.stdout, honest.stdout
        assert "do not sign" not in honest.stdout, honest.stdout

        listener, proxy_port = start_proxy(port)
        lied = manne(proxy_port, "show", act, *board[:2])
        assert "do not match its own signed bytes" in lied.stdout, lied.stdout
        assert "euros to wire:" not in lied.stdout, lied.stdout
        lied_json = json.loads(manne(proxy_port, "show", act, *board[:2], "--json").stdout)
        assert lied_json["redeem_known"] is False, lied_json
        signing = manne(proxy_port, "sign", act, *board[:2], want=7)  # no terminal: declined anyway
        assert "do not sign" in signing.stderr, signing.stderr
        listener.close()
        print("ok: the lied figures are refused, the honest ones shown")
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
