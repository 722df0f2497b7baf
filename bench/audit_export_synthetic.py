"""A valid export of N synthetic events, written from the format in docs/AUDIT.md without a
server, for the verifier's memory at sizes no log here has yet: 52% of the events submit a new
report (the mix of bench/projection_data.py's log: 5.2M reports at 10M), the rest verify, reject
or confirm one of the latest 5,000, from 50,000 pseudonyms; one signed head at the end.

    python -m bench.audit_export_synthetic 10000000 /tmp/svodka-synthetic-10000000.jsonl
    python -m bench.scale --verify /tmp/svodka-synthetic-10000000.jsonl

About 5.7 GB at 10M (and as much again while it is written); keep it out of the repository.
Not a test.
"""

import base64
from collections import deque
import json
import os
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from infra.audit.verify import FACTS_GENESIS, GENESIS, chain_link, facts_link, head_message


def write(n: int, path: str) -> int:
    """The export of `n` events at `path`; returns how many reports it submits."""
    rng = random.Random(1)
    signer = Ed25519PrivateKey.generate()
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    chain, fchain = GENESIS, FACTS_GENESIS
    body = path + ".body"
    reports: deque[str] = deque(maxlen=5_000)  # the latest, which the moderation events pick from
    submitted = 0
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with open(body, "w") as out:
        for position in range(1, n + 1):
            at = (start + timedelta(seconds=position * 3)).isoformat()
            if not reports or rng.random() < 0.52:
                oid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                reports.append(oid)
                submitted += 1
                facts = {"type": "Report.Submitted", "recorded_at": at, "kind": "detention" if rng.random() < 0.8 else "checkpoint",
                         "reporter": f"{rng.randrange(50_000):032x}" if rng.random() < 0.9 else None, "local_day": at[:10],
                         "region": "RU-MOW", "city": rng.choice(["Moscow", "Zelenograd", None]), "occurred_at": at, "detained": rng.randint(1, 9)}
            else:
                oid = reports[-rng.randint(1, len(reports))]
                facts = {"type": rng.choice(["Report.Verified", "Report.Rejected", "Report.Confirmed"]), "recorded_at": at}
            line = {"type": "event", "position": position, "originator_id": oid, "originator_version": 1,
                    "topic": "domain.model:Report.Event", "state_sha256": "00" * 32, "facts": facts}
            chain, fchain = chain_link(chain, line), facts_link(fchain, position, facts)
            line["chain"] = {"hash": chain.hex(), "facts_hash": fchain.hex()}
            out.write(dumps(line) + "\n")
    head = {"position": n, "hash": chain.hex(), "facts_hash": fchain.hex(), "signed_at": start.isoformat()}
    head["signature"] = signer.sign(head_message(head)).hex()
    public = signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with open(path, "w") as out:
        out.write(json.dumps({"type": "header", "format": "svodka-audit-export", "version": 1, "exported_at": start.isoformat(),
                              "position": n, "public_key": base64.b64encode(public).decode(), "genesis": GENESIS.hex(),
                              "facts_genesis": FACTS_GENESIS.hex()}) + "\n")
        out.write(json.dumps({"type": "head", **head}) + "\n")
        with open(body) as events:
            for text in events:
                out.write(text)
        out.write(json.dumps({"type": "end", "events": n, "position": n}) + "\n")
    os.unlink(body)
    return submitted


if __name__ == "__main__":
    print(write(int(sys.argv[1]), sys.argv[2]), "reports")
