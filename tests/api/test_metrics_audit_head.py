"""/metrics carries the latest signed audit head, which the 'audit head not signed' alert watches."""

from __future__ import annotations

from infra.audit.part import run_to_completion
from tests.api.conftest import detention, operator


def test_metrics_show_the_latest_signed_head(api, db, application, keys):
    # No head signed yet reads as position 0 signed at 0: the alert fires once events arrive.
    assert "svodka_audit_head_position 0.0" in api.client.get("/metrics").text
    assert api.client.post("/v1/reports", json=detention(), headers=operator()).status_code == 201
    head = run_to_completion(db, application, keys)
    text = api.client.get("/metrics").text
    assert f"svodka_audit_head_position {float(head.position)}" in text
    signed = next(line for line in text.splitlines() if line.startswith("svodka_audit_head_signed_timestamp_seconds "))
    assert float(signed.split()[1]) == head.signed_at.timestamp()
