#!/usr/bin/env python3
"""verify_consistency.py: checks a La Manne consistency proof with nothing but
Python's hashlib and the RFC 9162 (section 2.1.4.2) algorithm, as a third
party would: the tree of old_size leaves is a prefix of the tree of new_size.

usage: manne prove --old-size N --new-size M --print-proof --json --checkpoint-key K > c.json
       python3 verify_consistency.py c.json

Exit 0 and "verified" when the proof connects old_root and new_root; 1
otherwise. Trust each root only as far as a checkpoint you verified says it.
"""
import base64, hashlib, json, sys


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify(old_size, new_size, old_root, new_root, proof):
    if old_size == new_size:
        return old_root == new_root and not proof
    if old_size == 0 or old_size > new_size or not proof:
        return False
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        proof = [old_root] + proof
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def main():
    d = json.load(open(sys.argv[1]))
    b64 = base64.b64decode
    ok = verify(d["old_size"], d["new_size"], b64(d["old_root"]), b64(d["new_root"]), [b64(h) for h in d["proof"]])
    print("verified" if ok else "NOT verified")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
