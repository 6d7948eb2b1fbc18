#!/usr/bin/env python3
"""verify_inclusion.py: checks a La Manne inclusion proof with nothing but
Python's hashlib and the RFC 9162 (section 2.1.3.2) algorithm, as a third
party would: the ledger's own code is not used.

usage: manne prove --index I --print-proof --json --checkpoint-key K > proof.json
       python3 verify_inclusion.py proof.json

Exit 0 and "verified" when the leaf hash and the proof give the root; 1
otherwise. The root itself must come from a checkpoint whose signature you
checked (manne prove does, under --checkpoint-key).
"""
import base64, hashlib, json, sys


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify(index, size, leaf_hash, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def main():
    doc = json.load(open(sys.argv[1]))
    b64 = base64.b64decode
    ok = verify(doc["index"], doc["tree_size"], b64(doc["leaf_hash"]), [b64(h) for h in doc["proof"]],
                b64(doc["root"]))
    print("verified" if ok else "NOT verified")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
