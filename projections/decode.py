"""Stored events to domain events: `Mapper.to_domain_event`, step for step, with less overhead.

The projector spends more time decoding than on anything else. The library's mapper builds a
`StoredEvent` per row, a new AES-GCM context per event, and goes through three layers of Python
calls around the JSON scanner. `decoder(mapper)` returns a function that does the same steps
with the same mapper's own key, compressor, transcodings and event classes (so decryption,
decompression, transcodings and upcasting all apply exactly as there), only once set up per
batch instead of per event:

- decrypt with one `AESGCM` context built from the mapper's cipher key (same nonce/tag layout);
- `zlib.decompress`, as `ZlibCompressor` does;
- the JSON scanner with the transcoder's object hook, its common transcodings (datetimes,
  UUIDs) called directly; any other name goes to the transcoder's own hook;
- the originator id convertor, `class_version` upcasting and `object.__new__` as the mapper.

Only for the configuration whose code it mirrors (the library's `Mapper`, `AESCipher` or no
cipher, `ZlibCompressor` or none, `JSONTranscoder`): any other mapper is used as it is, through
its `to_domain_event`. `tests/projections/test_decode.py` checks the two agree event for event.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    UUIDAsHex,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic

# A row: (notification_id, originator_id, originator_version, topic, state), as the projector reads it.
Decode = Callable[[Sequence[Sequence[Any]]], list[object]]


def mirrored(mapper: Mapper) -> bool:
    """Whether `decoder` can run the mapper's steps itself: exactly the library classes it mirrors."""
    return (
        type(mapper).to_domain_event is Mapper.to_domain_event
        and (mapper.cipher is None or type(mapper.cipher) is AESCipher)
        and (mapper.compressor is None or type(mapper.compressor) is ZlibCompressor)
        and type(mapper.transcoder) is JSONTranscoder
    )


def decoder(mapper: Mapper) -> Decode:
    if not mirrored(mapper):
        return lambda rows: [mapper.to_domain_event(StoredEvent(r[1], r[2], r[3], r[4])) for r in rows]
    aes = AESGCM(mapper.cipher.key) if mapper.cipher is not None else None  # type: ignore[attr-defined]
    inflate = zlib.decompress if mapper.compressor is not None else None
    transcoder: JSONTranscoder = mapper.transcoder  # type: ignore[assignment]
    scan = json.JSONDecoder(object_hook=_hook(transcoder)).scan_once  # the C scanner
    new, setattr_ = object.__new__, object.__setattr__
    classes: dict[tuple[str, type], tuple[type, Callable[[Any], Any], int]] = {}

    def resolve(topic: str, id_type: type) -> tuple[type, Callable[[Any], Any], int]:
        cls = resolve_topic(topic)
        found = classes[(topic, id_type)] = (cls, find_id_convertor(cls, id_type), getattr(cls, "class_version", 1))
        return found

    def decode(rows: Sequence[Sequence[Any]]) -> list[object]:
        events = []
        append = events.append
        for _, originator_id, version, topic, stored in rows:
            try:
                cls, convert, class_version = classes[(topic, originator_id.__class__)]
            except KeyError:
                cls, convert, class_version = resolve(topic, originator_id.__class__)
            try:
                if aes is not None:
                    # AESCipher.decrypt: the nonce (12 bytes), the tag (16), then the ciphertext.
                    if len(stored) < 28:
                        raise ValueError("Damaged cipher text: invalid nonce or tag length")
                    try:
                        stored = aes.decrypt(stored[:12], stored[28:] + stored[12:28], None)
                    except InvalidTag as e:
                        raise ValueError("Invalid cipher tag") from e
                if inflate is not None:
                    stored = inflate(stored)
                text = stored.decode("utf8")
                try:
                    state, end = scan(text, 0)
                except StopIteration:
                    end = -1
                if end != len(text):  # whitespace around, or not JSON: the library's own path
                    state = transcoder.decode(stored)
            except Exception as e:
                msg = (
                    f"Failed to deserialise state of stored event with topic '{topic}', "
                    f"originator_id '{originator_id}' and originator_version {version}: {e}"
                )
                raise MapperDeserialisationError(msg) from e
            state["originator_id"] = convert(originator_id)
            state["originator_version"] = version
            if class_version != 1 or "class_version" in state:
                from_version = state.pop("class_version", 1)
                while from_version < class_version:
                    getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
                    from_version += 1
            event = new(cls)
            setattr_(event, "__dict__", state)
            append(event)
        return events

    return decode


def _hook(transcoder: JSONTranscoder) -> Callable[[dict[str, Any]], Any]:
    """`JSONTranscoder._decode_obj` with the library's datetime and UUID transcodings inlined."""
    direct: dict[str, Callable[[Any], Any]] = {}
    for name, transcoding in transcoder.names.items():
        if type(transcoding) is DatetimeAsISO:
            direct[name] = datetime.fromisoformat
        elif type(transcoding) is UUIDAsHex:
            direct[name] = UUID
    general = transcoder._decode_obj  # noqa: SLF001 - the transcoder's own hook, for every other case

    def hook(d: dict[str, Any]) -> Any:
        if len(d) == 2:
            name = d.get("_type_")
            if name.__class__ is str and "_data_" in d:
                inline = direct.get(name)
                if inline is not None:
                    return inline(d["_data_"])
            return general(d)
        return d

    return hook
