"""manne_client: a client of the La Manne ledger in Python.

It is built from proto/manne.proto alone (compiled with protoc into
manne_pb2, never committed), the official protobuf runtime and PyNaCl's
Ed25519, to show that the .proto is a contract any language can use
(SPEC section 9). The rules it follows are those of libmanne (client/manne.h):

- frames: a 4-byte big-endian length, then one Request / Response;
- a transaction body is serialized once, and those exact bytes are signed
  under b"MANNE-TX-V1\\x00" and sent; the txid is SHA-256 of the body;
- a submission is resent with the very same bytes after a timeout, a lost
  connection or OVERLOADED: a transaction already in comes back as its
  original receipt, marked duplicate;
- reads of an account need the connection proved by that account's key:
  sign b"MANNE-AUTH-V1\\x00" + genesis id + server nonce + client nonce
  (+ the TLS session's exported keying material, on TLS);
- between machines, TLS 1.3 to a server whose certificate holds the pinned
  public key (tls_pin: "SHA256:<base64>" or hex, the SHA-256 of the
  certificate's SubjectPublicKeyInfo), checked before anything is sent.
  TLS goes through pyOpenSSL (Debian's python3-openssl): the standard ssl
  module cannot export keying material (RFC 8446 section 7.5), which binds
  a proof of key to its session.
"""

import base64
import hashlib
import hmac
import os
import socket
import struct
import time

import nacl.signing

import manne_pb2 as pb

TX_DOMAIN = b"MANNE-TX-V1\x00"
AUTH_DOMAIN = b"MANNE-AUTH-V1\x00"
TLS_BINDING_LABEL = b"EXPORTER-manne-auth-v1"
REPLY_BYTES_MAX = 16 << 20          # bound what a reply may make us allocate
ACCOUNT_TX_VALID_MS = 10 * 60 * 1000  # payments: valid for 10 minutes (SPEC section 5)
BOARD_TX_VALID_MS = 7 * 24 * 3600 * 1000


class LedgerError(Exception):
    """The ledger refused: status is the number of enum Status in manne.proto."""

    def __init__(self, status, message):
        super().__init__("%s (%d): %s" % (pb.Status.Name(status), status, message))
        self.status = status
        self.message = message


class Unreachable(Exception):
    """No connection, or no reply in time, after every attempt."""


class TlsPinError(Exception):
    """The server does not hold the pinned TLS key, or no TLS 1.3 handshake: nothing was sent."""


def parse_tls_pin(text):
    """The 32 bytes of a pin written "SHA256:<base64>" or as 64 hex characters."""
    if text.startswith("SHA256:") and len(text) == 51:
        pin = base64.b64decode(text[7:], validate=True)
    elif len(text) == 64:
        pin = bytes.fromhex(text)
    else:
        raise ValueError("a TLS pin is SHA256:<base64> or 64 hex characters")
    if len(pin) != 32:
        raise ValueError("a TLS pin is 32 bytes")
    return pin


def _tls_wrap(sock, pin, timeout):
    """TLS 1.3 over sock; the peer's public key must hash to pin."""
    from OpenSSL import SSL, crypto  # pyOpenSSL: only needed between machines

    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_3_VERSION)
    ctx.set_max_proto_version(SSL.TLS1_3_VERSION)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *args: True)  # the pin is the trust, not an authority
    # Blocking I/O bounded by the socket's own timeouts.
    timeval = struct.pack("ll", int(timeout), int((timeout % 1) * 1e6))
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
    conn = SSL.Connection(ctx, sock)
    conn.set_connect_state()
    try:
        conn.do_handshake()
    except (SSL.Error, OSError) as e:
        sock.close()
        raise TlsPinError("no TLS 1.3 handshake: %s" % e)
    der = crypto.dump_publickey(crypto.FILETYPE_ASN1, conn.get_peer_certificate().get_pubkey())
    if not hmac.compare_digest(hashlib.sha256(der).digest(), pin):
        sock.close()
        raise TlsPinError("the server does not hold the pinned TLS key: nothing was sent")
    return conn


def key_from_file(path):
    """A plain key file: 64 hex characters of the seed and a newline, mode 0600."""
    st = os.stat(path)
    if st.st_mode & 0o077:
        raise ValueError("%s may be read by others: it must have mode 0600" % path)
    with open(path, "rb") as f:
        text = f.read(66)
    if len(text) != 65 or text[64:] != b"\n":
        raise ValueError("%s is not a plain key file" % path)
    return nacl.signing.SigningKey(bytes.fromhex(text[:64].decode("ascii")))


def public(key):
    return bytes(key.verify_key)


class Client:
    def __init__(self, host="127.0.0.1", port=7411, timeout=5.0, attempts=5, backoff=0.2, tls_pin=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.tls_pin = parse_tls_pin(tls_pin) if tls_pin is not None else None
        self.attempts, self.backoff = attempts, backoff
        self.sock = None
        self.next_id = 0
        self.auth_key = None
        self.origin = None
        self.genesis_id = None
        self._connect()

    # ---- frames ----

    def _connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls_pin is not None:
            self.sock = _tls_wrap(self.sock, self.tls_pin, self.timeout)
        if self.genesis_id is None:
            challenge = self._call_once(pb.Request(auth_challenge=pb.AuthChallengeRequest()))
            self.genesis_id = challenge.auth_challenge.genesis_id
            checkpoint = self._call_once(pb.Request(checkpoint=pb.CheckpointRequest()))
            self.origin = checkpoint.checkpoint.note.split("\n", 1)[0]
        if self.auth_key is not None:
            self._prove(self.auth_key)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    @staticmethod
    def _io(fn, arg):
        """fn(arg), with pyOpenSSL's errors (a timeout, a closed session) as
        ConnectionError, so that they are retried like a plain socket's."""
        try:
            return fn(arg)
        except Exception as e:
            if type(e).__module__.startswith("OpenSSL"):
                raise ConnectionError("TLS: %r" % e) from e
            raise

    def _read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self._io(self.sock.recv, n - len(data))
            if not chunk:
                raise ConnectionError("the ledger closed the connection")
            data += chunk
        return data

    def _call_once(self, request):
        self.next_id += 1
        request.id = self.next_id
        payload = request.SerializeToString()
        self._io(self.sock.sendall, struct.pack(">I", len(payload)) + payload)
        (length,) = struct.unpack(">I", self._read_exact(4))
        if length > REPLY_BYTES_MAX:
            raise ConnectionError("a reply over %d bytes" % REPLY_BYTES_MAX)
        response = pb.Response()
        response.ParseFromString(self._read_exact(length))
        if response.id != request.id:
            raise ConnectionError("a reply to another request")
        if response.status != pb.OK:
            raise LedgerError(response.status, response.message)
        return response

    def call(self, request):
        """Sends a request that is safe to repeat, reconnecting and retrying."""
        delay = self.backoff
        last = None
        for attempt in range(self.attempts):
            if attempt > 0:
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
            try:
                if self.sock is None:
                    self._connect()
                return self._call_once(request)
            except LedgerError as e:
                if e.status != pb.OVERLOADED:
                    raise
                last = e
            except (OSError, ConnectionError) as e:  # timeouts are OSErrors too
                self.close()
                last = e
        raise Unreachable("no answer from %s:%d: %s" % (self.host, self.port, last))

    # ---- authentication and reads ----

    def _prove(self, key):
        challenge = self._call_once(pb.Request(auth_challenge=pb.AuthChallengeRequest()))
        if challenge.auth_challenge.genesis_id != self.genesis_id:
            raise LedgerError(pb.WRONG_LEDGER, "the address now serves another ledger")
        client_nonce = os.urandom(32)
        message = AUTH_DOMAIN + self.genesis_id + challenge.auth_challenge.server_nonce + client_nonce
        if self.tls_pin is not None:
            message += self.sock.export_keying_material(TLS_BINDING_LABEL, 32)
        proof = pb.AuthenticateRequest(key=public(key), client_nonce=client_nonce,
                                       signature=key.sign(message).signature)
        self._call_once(pb.Request(authenticate=proof))

    def authenticate(self, key):
        """Reads now see what this key's account (or the board) may see."""
        self.close()
        self.auth_key = key
        self.call(pb.Request(status=pb.StatusRequest()))  # connects and proves the key

    def account(self, account_public):
        return self.call(pb.Request(account=pb.AccountRequest(account=account_public))).account

    # ---- transactions ----

    def body(self, signer=None, sequence=0, valid_ms=None):
        """A body naming this ledger: an account's (signer, sequence) or the board's (nonce)."""
        now_ms = int(time.time() * 1000)
        body = pb.TxBody(origin=self.origin, genesis_id=self.genesis_id)
        if signer is None:
            body.board = True
            body.nonce = os.urandom(16)
            body.last_valid_ms = now_ms + (valid_ms or BOARD_TX_VALID_MS)
        else:
            body.account = signer
            body.sequence = sequence
            body.last_valid_ms = now_ms + (valid_ms or ACCOUNT_TX_VALID_MS)
        return body

    @staticmethod
    def sign(body, keys):
        """Serializes the body once and signs those bytes; returns (txid, SignedTx bytes)."""
        body_bytes = body.SerializeToString()
        signed = pb.SignedTx(body=body_bytes)
        for key in keys:
            signed.signatures.add(key=public(key), signature=key.sign(TX_DOMAIN + body_bytes).signature)
        return hashlib.sha256(body_bytes).digest(), signed.SerializeToString()

    def submit(self, signed_bytes, txid=None):
        """Submits (resending the same bytes if need be); returns the Receipt."""
        request = pb.Request(submit=pb.SubmitRequest(signed_tx=signed_bytes, want_proof=True))
        receipt = self.call(request).receipt
        if txid is not None and receipt.txid != txid:
            raise ConnectionError("the receipt is for another transaction")
        return receipt

    def next_sequence(self, key):
        """The account's next sequence: on this connection when the ledger answers it
        here (a till proved as the shop charging a card), else on a side connection
        that proves the key (card-held keys never authenticate)."""
        if self.auth_key is not None and public(self.auth_key) != public(key):
            try:
                return self.account(public(key)).next_sequence
            except LedgerError as e:
                if e.status != pb.NOT_PERMITTED:
                    raise
        side = Client(self.host, self.port, self.timeout, self.attempts, self.backoff,
                      tls_pin=self.tls_pin.hex() if self.tls_pin is not None else None)
        try:
            side.authenticate(key)
            return side.account(public(key)).next_sequence
        finally:
            side.close()

    def pay(self, payer, payee_public, amount_centimes, memo="", payee_reference=""):
        body = self.body(signer=public(payer), sequence=self.next_sequence(payer))
        body.pay.payee = payee_public
        body.pay.amount = amount_centimes
        body.pay.memo = memo
        body.pay.payee_reference = payee_reference
        txid, signed = self.sign(body, [payer])
        return txid, signed, self.submit(signed, txid)
