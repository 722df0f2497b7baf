"""`svodka audit verify`: the chain, the signed heads and every public figure, from an export alone.

This module deliberately imports nothing from svodka, not even the hash layout: an audit that
ran the server's own functions would only prove that the server agrees with itself. It follows
docs/AUDIT.md, so an auditor can also rewrite it in another language and compare.
"""

from __future__ import annotations

import base64
import hashlib
import json
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from infra.audit.bulletins import BulletinDiverged, check_bulletin
from infra.audit.fold import Fold, NotKept

GENESIS = hashlib.sha256(b"svodka audit chain genesis v1").digest()
FACTS_GENESIS = hashlib.sha256(b"svodka audit facts genesis v1").digest()
HEAD_DOMAIN = b"svodka audit head v1"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Diverged(Exception):
    """The first place where the file contradicts itself, a signature, or a published figure."""

    def __init__(self, position: int, what: str) -> None:
        super().__init__(f"position {position}: {what}")
        self.position = position
        self.what = what


@dataclass
class Verified:
    events: int = 0
    position: int = 0
    heads: int = 0
    figures: int = 0
    bulletins: int = 0  # bulletins whose figures were recomputed
    key_fingerprint: str = ""
    key_pinned: bool = False
    fold: Fold = field(default_factory=Fold)
    unchecked: list[dict[str, Any]] = field(default_factory=list)  # extra heads beyond this file


def chain_link(prev: bytes, line: dict[str, Any], originator_id: bytes | None = None) -> bytes:
    """`originator_id`: the line's UUID as 16 bytes, if already parsed."""
    topic = line["topic"].encode()
    return hashlib.sha256(
        prev
        + line["position"].to_bytes(8, "big")
        + (originator_id or UUID(line["originator_id"]).bytes)
        + line["originator_version"].to_bytes(8, "big")
        + len(topic).to_bytes(4, "big")
        + topic
        + bytes.fromhex(line["state_sha256"])
    ).digest()


# json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False), its encoder built once.
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def facts_link(prev: bytes, position: int, facts: dict[str, Any]) -> bytes:
    encoded = _canonical(facts).encode()
    return hashlib.sha256(prev + position.to_bytes(8, "big") + hashlib.sha256(encoded).digest()).digest()


def head_message(head: dict[str, Any]) -> bytes:
    micros = (datetime.fromisoformat(head["signed_at"]) - EPOCH) // timedelta(microseconds=1)
    return (
        HEAD_DOMAIN
        + head["position"].to_bytes(8, "big")
        + bytes.fromhex(head["hash"])
        + bytes.fromhex(head["facts_hash"])
        + micros.to_bytes(8, "big", signed=True)
    )


def check_signature(key: Ed25519PublicKey, head: dict[str, Any]) -> None:
    try:
        key.verify(bytes.fromhex(head["signature"]), head_message(head))
    except (InvalidSignature, ValueError):
        raise Diverged(head["position"], "the head's signature does not verify with the server's key") from None


def read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, 1):
            try:
                yield number, json.loads(text)
            except json.JSONDecodeError:
                raise Diverged(-1, f"line {number} is not JSON") from None


def verify_file(
    path: Path, *, key: bytes | None = None, extra_heads: Iterable[dict[str, Any]] = (), keep: Iterable[int] = (),
    keep_known_at: Iterable[datetime] = (),
) -> Verified:
    """Raise Diverged at the first contradiction; `key` pins the server's public key.

    It streams: memory does not grow with the events (docs/AUDIT.md, "Memory"). `extra_heads`
    is walked twice, so it must iterate afresh each time (a list, or infra/audit/archive.py's
    `ArchivedHeads`, which reads its file again rather than holding it). `keep` and
    `keep_known_at` ask the fold to keep the figures at those positions and instants too.
    """
    lines = read_lines(path)
    check = _Check(_header(lines, key), key is not None, extra_heads, path)
    for position in keep:
        check.result.fold.keep(position)
    for at in keep_known_at:
        check.result.fold.keep_known_at(at)
    for number, line in lines:
        if check.ended:
            raise Diverged(check.last, f"line {number} comes after the end line")
        try:
            check.line(number, line)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
            at = line.get("position") if isinstance(line, dict) and isinstance(line.get("position"), int) else check.last
            raise Diverged(at, f"line {number} is malformed ({type(error).__name__}: {error})") from None
    return check.finish()


class _Check:
    """The state of one pass over the file: both chains, the next heads to meet, and the fold."""

    def __init__(self, header: dict[str, Any], pinned: bool, extra_heads: Iterable[dict[str, Any]], path: Path) -> None:
        self.header = header
        self.result = Verified(key_pinned=pinned, key_fingerprint=header["fingerprint"])
        self.key = Ed25519PublicKey.from_public_bytes(base64.b64decode(header["public_key"]))
        self.figures: list[dict[str, Any]] = []
        self.chain, self.facts_chain, self.last, self.ended = GENESIS, FACTS_GENESIS, 0, False
        self.section = "head"  # the file's order: header, heads, figures, events, end
        self.last_bulletin: dict[str, Any] | None = None  # the previous bulletin's figures
        rising, last = True, None
        for head in extra_heads:  # a first walk: every signature, before any event
            check_signature(self.key, head)
            if head["position"] > header["position"]:
                self.result.unchecked.append(head)  # newer than the export: nothing here to compare it with
            else:
                rising, last = rising and (last is None or head["position"] >= last), head["position"]
        self.result.heads = _check_file_heads(path, self.key)
        # Both rise by position, so each head is met as the events pass it, without holding them all
        # (archived heads walked again; held and sorted only if the archive is out of order).
        extra = ((h["position"], False, h) for h in extra_heads if h["position"] <= header["position"])
        if not rising:
            extra = iter(sorted(extra, key=lambda h: h[0]))
        self.heads = heapq.merge(extra, _file_heads(path), key=lambda h: h[0])
        self.next_head = next(self.heads, None)
        self.signed_end = False  # a head of the file's own at the last event so far
        bulletins, submissions = _first_reading(path)
        self.result.fold.expect_reports(submissions)
        for position, day in bulletins:
            self.result.fold.keep_day(position, day)

    def line(self, number: int, line: dict[str, Any]) -> None:
        kind = line["type"]
        if kind in ("head", "figures") and _SECTIONS.index(kind) < _SECTIONS.index(self.section):
            raise Diverged(self.last, f"line {number}: a {kind} line after the {self.section} lines (docs/AUDIT.md)")
        if kind == "head":
            pass  # met by position as the events pass (self.heads); its signature is checked already
        elif kind == "figures":
            self.section = "figures"
            self._figures(line)
        elif kind == "event":
            self.section = "event"
            self.event(number, line)
        elif kind == "end":
            if line["events"] != self.result.events or line["position"] != self.header["position"]:
                raise Diverged(self.last, "the end line does not match the events in the file")
            self.ended = True
        else:
            raise Diverged(self.last, f"line {number} has an unknown type {kind!r}")

    def _figures(self, line: dict[str, Any]) -> None:
        """Figures are compared at the end; the fold keeps what they need as it passes."""
        if line.get("at"):
            at = datetime.fromisoformat(line["at"])
            self.result.fold.keep_known_at(at)
            self.result.fold.keep_known_at(minute_before(at))
        self.result.fold.keep(line["as_of"]["position"])
        self.figures.append(line)

    def event(self, number: int, line: dict[str, Any]) -> None:
        position = line["position"]
        if position <= self.last:
            raise Diverged(position, f"line {number} is out of order (after position {self.last})")
        self.chain, self.facts_chain, originator_id = _event(line, self.chain, self.facts_chain, self.last)
        self._meet_heads(position)
        self.result.fold.apply(position, line["originator_id"], line["facts"], key=originator_id)
        if line["facts"]["type"] == "Bulletin.Published":
            self._bulletin(position, line["facts"])
        self.result.events += 1
        self.last = position

    def _meet_heads(self, position: int | None) -> None:
        """Heads before `position` (None: the end) name an event the file lacks; heads at it must agree."""
        self.signed_end = False
        while self.next_head is not None and (position is None or self.next_head[0] <= position):
            at, own, head = self.next_head
            if at != position:
                raise Diverged(at, "a head was signed here but the file has no event there")
            if bytes.fromhex(head["hash"]) != self.chain or bytes.fromhex(head["facts_hash"]) != self.facts_chain:
                raise Diverged(position, "the recomputed chain contradicts the head signed at this position")
            self.signed_end = self.signed_end or own
            self.next_head = next(self.heads, None)

    def _bulletin(self, position: int, facts: dict[str, Any]) -> None:
        """A bulletin's figures against the fold as of its position (infra/audit/bulletins.py)."""
        try:
            check_bulletin(self.result.fold.day_figures, position, facts, self.last_bulletin)
        except BulletinDiverged as error:
            raise Diverged(position, f"bulletin for {facts['slot']}: {error}") from None
        except NotKept:
            raise Diverged(position, "the bulletin was not found on the first reading (was the file changed meanwhile?)") from None
        self.last_bulletin = facts["figures"]
        self.result.bulletins += 1

    def finish(self) -> Verified:
        if not self.ended:
            raise Diverged(self.last, "the file ends early: no end line")
        signed_end = self.signed_end
        self._meet_heads(None)
        if not signed_end or self.header["position"] != self.last:
            raise Diverged(self.last, "no signed head covers the end of the file")
        self.result.fold.end()
        self.result.position = self.last
        for line in self.figures:
            compare_figures(self.result.fold, line)
            self.result.figures += 1
        return self.result


_SECTIONS = ("head", "figures", "event")


def _file_heads(path: Path) -> Iterator[tuple[int, bool, dict[str, Any]]]:
    """The file's heads, read again from its top: they follow the header, oldest first."""
    lines = read_lines(path)
    next(lines, None)
    for number, line in lines:
        if not isinstance(line, dict) or line.get("type") != "head":
            return
        if not isinstance(line.get("position"), int):
            raise Diverged(-1, f"line {number} is malformed (a head without a position)")
        yield line["position"], True, line


def _check_file_heads(path: Path, key: Ed25519PublicKey) -> int:
    """Every head's signature, before any event (a forged head is named first); heads must rise."""
    count, last = 0, 0
    for position, _, head in _file_heads(path):
        try:
            check_signature(key, head)
        except (KeyError, TypeError, AttributeError, OverflowError) as error:
            raise Diverged(position, f"a head is malformed ({type(error).__name__}: {error})") from None
        if position < last:
            raise Diverged(position, f"the heads are out of order (after a head at position {last})")
        count, last = count + 1, position
    return count


def _first_reading(path: Path) -> tuple[list[tuple[int, str]], int]:
    """Each bulletin's as-of position and day, so the fold keeps them, and how many lines may
    submit a report, so it makes room for them at once: a quick reading before the full pass.

    Only lines naming a bulletin are parsed; anything odd here is left for the full pass to name.
    """
    bulletins, submissions = [], 0
    with path.open("rb") as raw:
        for text in raw:
            if b"Report.Submitted" in text:
                submissions += 1
            if b"Bulletin.Published" not in text:
                continue
            try:
                facts = json.loads(text)["facts"]
                if facts["type"] == "Bulletin.Published":
                    bulletins.append((int(facts["as_of_position"]), facts["figures"]["day"]))
            except (ValueError, KeyError, TypeError):
                continue
    return bulletins, submissions


def _header(lines: Iterator[tuple[int, dict[str, Any]]], key: bytes | None) -> dict[str, Any]:
    first = next(lines, (0, {}))[1]
    if first.get("type") != "header" or first.get("format") != "svodka-audit-export" or first.get("version") != 1:
        raise Diverged(0, "not a svodka audit export (version 1)")
    if bytes.fromhex(first["genesis"]) != GENESIS or bytes.fromhex(first["facts_genesis"]) != FACTS_GENESIS:
        raise Diverged(0, "the file declares another genesis")
    in_file = base64.b64decode(first["public_key"])
    if key is not None and key != in_file:
        raise Diverged(0, "the file's public key is not the key you pinned")
    return {**first, "fingerprint": hashlib.sha256(in_file).hexdigest()[:16]}


def _event(line: dict[str, Any], chain: bytes, facts_chain: bytes, last: int) -> tuple[bytes, bytes, bytes]:
    """Both chains after this line, and its originator id as 16 bytes (parsed once, for the fold too)."""
    position, entry = line["position"], line.get("chain")
    if line.get("missing"):
        raise Diverged(position, "the chain has an entry here but the log has no event (deleted)")
    if entry is None:
        raise Diverged(position, "the log has an event here that the chain never saw (inserted or renumbered)")
    originator_id = UUID(line["originator_id"]).bytes
    chain = chain_link(chain, line, originator_id)
    if chain != bytes.fromhex(entry["hash"]):
        # Ids may have gaps (rolled-back inserts), so a missing line shows only as the next one failing.
        gap = f", or an event after position {last} is missing" if position != last + 1 else ""
        raise Diverged(position, f"the event differs from the one that was chained (altered, swapped or replaced{gap})")
    if line.get("facts") is None:
        raise Diverged(position, "the event's facts are missing (the exporter could not decode it)")
    facts_chain = facts_link(facts_chain, position, line["facts"])
    if facts_chain != bytes.fromhex(entry["facts_hash"]):
        raise Diverged(position, "the event's public facts differ from the chained ones (altered)")
    return chain, facts_chain, originator_id


def minute_before(at: datetime) -> datetime:
    """The last instant before `at`'s minute: all recorded in an earlier minute was known by then."""
    return at.replace(second=0, microsecond=0) - timedelta(microseconds=1)


def compare_figures(fold: Fold, line: dict[str, Any]) -> None:
    """Compare one set of published figures with the fold at the same position and instant."""
    position = line["as_of"]["position"]
    at = datetime.fromisoformat(line["at"]) if line.get("at") else None
    if at is not None:
        # Facts carry recorded times to the minute: all before the instant's minute was known at
        # it, and nothing recorded after that minute (docs/AUDIT.md, "As of T").
        earliest = fold.position_at(minute_before(at))
        latest = fold.position_at(at)
        if not earliest <= position <= latest:
            raise Diverged(position, f"{line['kind']} figures as of {line['at']} claim position {position}, "
                                     f"but the log known at that instant ends between {earliest} and {latest}")
    ours = fold.figures(line["kind"], upto=position)
    theirs = published(line)
    if ours == theirs:
        return
    # Groups before the total: the group that differs is what an auditor needs to see.
    for key in sorted(set(ours) | set(theirs), key=lambda k: (k == (), tuple(str(part) for part in k))):
        if ours.get(key) != theirs.get(key):
            when = f" as of {line['at']}" if line.get("at") else ""
            raise Diverged(
                position,
                f"{line['kind']} figures{when} for {_label(key)}: published {theirs.get(key, (0, 0, 0))}, "
                f"recomputed {ours.get(key, (0, 0, 0))} (verified, unverified, reports)",
            )


def published(line: dict[str, Any]) -> dict[tuple, tuple[int, int, int]]:
    """The server's figures in the fold's shape; all-zero groups are dropped on both sides."""
    total = line["total"]
    figures = {(): (total["verified"], total["unverified"], total["reports"])}
    for group in line["groups"]:
        key = group["key"]
        dims = (key.get("day"), key.get("region"), key.get("city") or None)
        counts = (group["verified"], group["unverified"], group["reports"])
        if any(counts):
            figures[dims] = counts
    return figures


def _label(key: tuple) -> str:
    return "the total" if not key else "day {}, region {}, city {}".format(*key)
