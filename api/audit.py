"""Public audit endpoints: the signed chain heads and the key that verifies them.

Auditors archive heads as they are published; a later rewrite of the log contradicts one.
The API holds only the public key: heads are signed by the chain part (infra/audit/part.py).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.errors import ERROR_RESPONSES, ApiError
from api.params import Position
from projections.chain import Head, head_message, heads_after

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class HeadOut(BaseModel):
    position: int = Field(description="The last notification id the chain covers.")
    hash: str = Field(description="Chain hash at that position, hex (docs/AUDIT.md).")
    facts_hash: str = Field(description="Public-facts chain hash at that position, hex.")
    signed_at: datetime
    signature: str = Field(description="Ed25519 signature of `message`, hex.")
    message: str = Field(description="The exact signed bytes, hex, so any Ed25519 tool can check them.")
    algorithm: str = "Ed25519"

    @classmethod
    def of(cls, head: Head) -> HeadOut:
        message = head_message(head.position, head.hash, head.facts_hash, head.signed_at)
        return cls(**head.as_json(), message=message.hex())


class KeyOut(BaseModel):
    algorithm: str = "Ed25519"
    public_key: str = Field(description="The raw 32-byte public key, base64.")
    fingerprint: str = Field(description="First 16 hex digits of SHA-256 of the raw key.")


async def _heads(request: Request, **query) -> list[Head]:
    schema = f'"{request.app.state.config.schema}"'
    try:
        async with request.app.state.pool.acquire() as conn:
            return await heads_after(conn, schema, **query)
    except asyncpg.UndefinedTableError:
        return []  # the chain part has not started yet


@router.get("/head", response_model=HeadOut, responses=ERROR_RESPONSES)
async def head(request: Request) -> HeadOut:
    """The latest signed head of the hash-chained event log."""
    found = await _heads(request, latest=True)
    if not found:
        raise ApiError(404, "No head has been signed yet.")
    return HeadOut.of(found[0])


@router.get("/heads", response_model=list[HeadOut], responses=ERROR_RESPONSES)
async def heads(
    request: Request,
    after: Annotated[Position, Query(description="Only heads after this position.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[HeadOut]:
    """Every head ever published, oldest first, paged by position."""
    return [HeadOut.of(h) for h in await _heads(request, after=after, limit=limit)]


@router.get("/key", response_model=KeyOut, responses=ERROR_RESPONSES)
async def key(request: Request) -> KeyOut:
    """The server's Ed25519 public key; pin it with `svodka audit verify --key`."""
    raw = request.app.state.config.audit_public_key
    if raw is None:
        raise ApiError(404, "This server publishes no audit key.")
    return KeyOut(public_key=base64.b64encode(raw).decode(), fingerprint=hashlib.sha256(raw).hexdigest()[:16])
