"""The ledger's checkpoints and proofs checked by a verifier that shares no
code with it, written here from the standards alone (SPEC §7: "any standard
verifier of signed notes and RFC 6962 proofs must accept" them):

- C2SP signed-note: key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4],
  signature lines "— <name> <base64(key ID || Ed25519 signature)>" after the
  last blank line, the signature over the text up to that blank line; the
  verifier key string "<name>+<hex key ID>+<base64(0x01 || public key)>";
- C2SP tlog-checkpoint: origin, decimal tree size, base64 root, extension lines;
- RFC 9162 §2.1.1 leaf and node hashes, §2.1.3.2 inclusion and §2.1.4.2
  consistency verification, the algorithms as the RFC words them.

Against the real manne-ledger (--demo on an ephemeral port): every leaf's
inclusion in every checkpoint, the consistency of every pair, and each
refused once a byte of it changes.
"""
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import google.protobuf  # noqa: F401
    import nacl.exceptions
    import nacl.signing
except ImportError as e:
    print("SKIP: needs python3-protobuf and python3-nacl (Debian packages): %s" % e)
    sys.exit(77)

import manne_client as mc
import manne_pb2 as pb

EM_DASH = "\u2014"


# ---- C2SP signed-note and verifier keys ----

def key_id(name, public_key):
    return hashlib.sha256(name.encode() + b"\n" + b"\x01" + public_key).digest()[:4]


def parse_vkey(vkey):
    name, kid, key = vkey.split("+", 2)  # the base64 may hold "+"; the name and ID never do
    raw = base64.b64decode(key, validate=True)
    assert raw[0] == 1 and len(raw) == 33, "an Ed25519 verifier key"
    assert bytes.fromhex(kid) == key_id(name, raw[1:]), "the key ID is the key's"
    return name, raw[1:]


def verify_note(note, name, public_key):
    """The note's text if one of its signatures is a valid one by (name, key); None otherwise."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        return None
    text, signatures = note[:split + 1], note[split + 2:]
    for line in signatures.splitlines():
        if not line.startswith(EM_DASH + " "):
            return None
        signer, b64 = line[2:].rsplit(" ", 1)
        blob = base64.b64decode(b64, validate=True)
        if signer != name or blob[:4] != key_id(name, public_key):
            continue
        try:
            nacl.signing.VerifyKey(public_key).verify(text.encode(), blob[4:])
            return text
        except nacl.exceptions.BadSignatureError:
            return None
    return None


def parse_checkpoint(text):
    lines = text.split("\n")
    assert lines[-1] == "", "the text ends in a newline"
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    assert str(size) == lines[1] and len(root) == 32
    extensions = dict(line.split(" ", 1) for line in lines[3:-1])
    return origin, size, root, extensions


# ---- RFC 9162 ----

def leaf_hash(leaf):
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf_index, tree_size, leaf_h, path, root):
    """RFC 9162 §2.1.3.2."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf_h
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, path):
    """RFC 9162 §2.1.4.2 (equal sizes: an empty proof and equal roots)."""
    if first == second:
        return not path and first_hash == second_hash
    if first == 0 or first > second or not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash] + list(path)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_hash and sr == second_hash


def flipped(b, i=0):
    return b[:i] + bytes([b[i] ^ 1]) + b[i + 1:]


# ---- against the daemon ----

def start_daemon(data):
    port_file = os.path.join(data, "port")
    log = open(os.path.join(data, "daemon.log"), "ab")
    daemon = subprocess.Popen([os.environ["MANNE_LEDGER_EXE"], "--data", data, "--demo", "--listen", "127.0.0.1:0",
                               "--port-file", port_file], stderr=log)
    for _ in range(1000):
        if os.path.exists(port_file):
            text = open(port_file).read().strip()
            if text:
                return daemon, int(text)
        if daemon.poll() is not None:
            raise SystemExit("manne-ledger exited at start-up; see %s/daemon.log" % data)
        time.sleep(0.01)
    raise SystemExit("manne-ledger did not start")


def main():
    data = tempfile.mkdtemp(prefix="manne-standard-")
    daemon, port = start_daemon(data)
    try:
        board = [mc.key_from_file(os.path.join(data, "keys", "board%d.key" % i)) for i in range(2)]
        client = mc.Client("127.0.0.1", port)
        checkpoints = []

        def checkpoint():
            info = client.call(pb.Request(checkpoint=pb.CheckpointRequest())).checkpoint
            name, public_key = parse_vkey(info.verifier_key)
            assert name == client.origin
            text = verify_note(info.note, name, public_key)
            assert text is not None, "the checkpoint verifies under its verifier key"
            # A changed byte anywhere in the text or the signature is refused.
            assert verify_note(info.note.replace("\n", "\n0", 1), name, public_key) is None
            sig_at = info.note.rfind(" ") + 3
            assert verify_note(info.note[:sig_at] + ("A" if info.note[sig_at] != "A" else "B") + info.note[sig_at + 1:],
                               name, public_key) is None
            origin, size, root, extensions = parse_checkpoint(text)
            assert origin == client.origin
            assert list(extensions) == ["issued", "retired", "reconverted", "fees", "pending", "funded",
                                        "paid_out", "released", "outstanding", "reserve"]
            checkpoints.append((size, root))

        checkpoint()
        for i in range(12):
            member = nacl.signing.SigningKey.generate()
            body = client.body()
            body.open_account.key = mc.public(member)
            body.open_account.role = pb.ROLE_MEMBER
            txid, signed = client.sign(body, board + [member])
            client.submit(signed, txid)
            if i in (0, 2, 3, 6, 7, 11):
                checkpoint()

        client.authenticate(board[0])  # the raw log is the board's and auditors'
        size = checkpoints[-1][0]
        leaves = []
        while len(leaves) < size:
            page = client.call(pb.Request(log_entries=pb.LogEntriesRequest(from_index=len(leaves), limit=256)))
            leaves.extend(page.log_entries.leaves)
        leaves = leaves[:size]

        for n, root in checkpoints:
            for i in range(n):
                r = client.call(pb.Request(inclusion_proof=pb.InclusionProofRequest(leaf_index=i, tree_size=n)))
                path = list(r.inclusion_proof.hashes)
                assert verify_inclusion(i, n, leaf_hash(leaves[i]), path, root), (i, n)
                assert not verify_inclusion(i, n, leaf_hash(flipped(leaves[i], 20)), path, root)
                if path:
                    assert not verify_inclusion(i, n, leaf_hash(leaves[i]), [flipped(path[0])] + path[1:], root)
        for a, (m, root_m) in enumerate(checkpoints):
            for n, root_n in checkpoints[a:]:
                if m == n:
                    assert verify_consistency(m, n, root_m, root_n, [])
                    continue
                r = client.call(pb.Request(consistency_proof=pb.ConsistencyProofRequest(old_size=m, new_size=n)))
                path = list(r.consistency_proof.hashes)
                assert verify_consistency(m, n, root_m, root_n, path), (m, n)
                assert not verify_consistency(m, n, flipped(root_m), root_n, path)
                assert not verify_consistency(m, n, root_m, root_n, [flipped(path[0])] + path[1:])
        print("%d checkpoints, %d leaves: every signature, inclusion and consistency proof verifies by the "
              "standards alone" % (len(checkpoints), size))
        client.close()
    finally:
        daemon.terminate()
        daemon.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
