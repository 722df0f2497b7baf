"""GET /v1/audit/head and /v1/audit/key: a head anyone can check with the published key."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from api.app import create_app
from api.context import ApiConfig
from infra.audit.part import public_key, run_to_completion
from tests.audit.conftest import detention


def client(db, keys, app) -> TestClient:
    config = ApiConfig(database_url=db.url, schema=db.schema, application=app, audit_public_key=public_key(keys))
    return TestClient(create_app(config))


def test_the_published_head_verifies_with_the_published_key(db, keys, pg_app):
    pg_app.submit(detention("1", "Moscow", 5))
    first = run_to_completion(db, pg_app, keys)
    pg_app.submit(detention("2", "Kursk", 2))
    second = run_to_completion(db, pg_app, keys)
    with client(db, keys, pg_app) as http:
        key = http.get("/v1/audit/key").json()
        head = http.get("/v1/audit/head").json()
        every = http.get("/v1/audit/heads").json()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    public.verify(bytes.fromhex(head["signature"]), bytes.fromhex(head["message"]))
    assert (head["position"], head["hash"]) == (second.position, second.hash.hex())
    assert [h["position"] for h in every] == [first.position, second.position]


def test_no_head_yet_is_a_404_not_an_error(db, keys, pg_app):
    with client(db, keys, pg_app) as http:
        answer = http.get("/v1/audit/head")
    assert answer.status_code == 404
    assert "No head" in answer.json()["error"]["message"]
