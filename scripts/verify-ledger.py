#!/usr/bin/env python3
"""A plain Python verifier of one Pinion ledger file (docs/ledger.md), for comparison with
`pinion ledger verify`: the same checks on every line (JSON parse of the entry and of its payload,
SHA-256 of the payload against `hash`, `seq` and `prev` links, the Ed25519 signature by the
gateway key, key rotations, kind matching body). Needs the `cryptography` package.

    scripts/verify-ledger.py LEDGER [--gateway HEX]

Prints `ok: N entries` and exits 0, or names the first bad entry and exits 1. One file, no segments.
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fail(index, reason):
    print(f"entry {index}: {reason}", file=sys.stderr)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    path = args[0]
    current_key = args[args.index("--gateway") + 1] if "--gateway" in args else None
    key = None
    previous_hash = "0" * 64
    previous_seq = None
    count = 0
    with open(path, "rb") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                payload_text = entry["payload"]
                entry_hash = entry["hash"]
                signature = base64.b64decode(entry["signature"], validate=True)
            except (ValueError, KeyError, TypeError):
                fail(count, f"line {number} of {path} is not a ledger entry")
            payload_bytes = payload_text.encode()
            if hashlib.sha256(payload_bytes).hexdigest() != entry_hash:
                fail(count, "its payload does not hash to its hash (the entry was altered)")
            try:
                payload = json.loads(payload_bytes)
                seq, prev, kind, gateway, body = (payload["seq"], payload["prev"], payload["kind"],
                                                  payload["gateway"], payload["body"])
            except (ValueError, KeyError, TypeError):
                fail(count, "its payload is not a ledger payload")
            expected = current_key or gateway
            if gateway != expected:
                fail(count, f"signed as gateway {gateway[:16]}…, the ledger is gateway {expected[:16]}…")
            if key is None:
                key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(expected))
                current_key = expected
            try:
                key.verify(signature, payload_bytes)
            except InvalidSignature:
                fail(count, f"the signature does not verify with gateway key {expected[:16]}…")
            if previous_seq is not None and seq != previous_seq + 1:
                fail(count, f"seq {seq} follows seq {previous_seq} (entries removed or reordered)")
            if prev != previous_hash:
                fail(count, "its prev hash is not the hash of the entry before it")
            if kind == "rotation" and "rotation" in body:
                current_key = body["rotation"]["newKey"]
                key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(current_key))
            elif kind not in body:
                fail(count, f'kind "{kind}" does not match its body')
            previous_hash = entry_hash
            previous_seq = seq
            count += 1
    print(f"{path}: ok: {count} entries")


if __name__ == "__main__":
    main()
