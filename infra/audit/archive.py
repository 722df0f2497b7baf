"""Heads an auditor archived (`verify --heads FILE`), read as they are walked, never held whole.

The file is what the server served: a JSON array (/v1/audit/heads), or one head object per
line (/v1/audit/head, appended on a schedule), or a single object, possibly pretty-printed.
A year of a head a minute is half a million heads, so the file is read a block at a time and
its values decoded one by one; each walk reads it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BLOCK = 1 << 16
_decode = json.JSONDecoder().raw_decode
_SPACE = " \t\n\r"


class ArchivedHeads:
    """Re-iterable: every `iter()` walks `first` (e.g. the server's latest head), then the file."""

    def __init__(self, path: Path, first: list[dict[str, Any]] = ()) -> None:
        self.path, self.first = path, list(first)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield from self.first
        yield from read_heads(self.path)


def read_heads(path: Path) -> Iterator[dict[str, Any]]:
    """The file's heads in file order; ValueError if it is not one of the shapes above."""
    with path.open(encoding="utf-8") as text:
        reader = _Reader(text)
        if reader.peek() != "[":
            while reader.peek():
                yield reader.value()
            return
        reader.take("[")
        if reader.peek() == "]":
            reader.take("]")
        else:
            while True:
                yield reader.value()
                if reader.peek() == "]":
                    reader.take("]")
                    break
                reader.take(",")
        if reader.peek():
            raise ValueError("the heads file goes on after its array")


class _Reader:
    """JSON values from a text file a block at a time (a value larger than MAX is refused)."""

    MAX = 1 << 20

    def __init__(self, text: Any) -> None:
        self._text, self._buffer, self._at = text, "", 0

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end of the file)."""
        while True:
            while self._at < len(self._buffer) and self._buffer[self._at] in _SPACE:
                self._at += 1
            if self._at < len(self._buffer) or not self._more():
                return self._buffer[self._at : self._at + 1]

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"the heads file's array is malformed: expected {char!r}")
        self._at += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _decode(self._buffer, self._at)
            except json.JSONDecodeError:
                if len(self._buffer) - self._at > self.MAX or not self._more():
                    raise
                continue
            if end < len(self._buffer) or not self._more():  # a number could go on in the next block
                self._at = end
                return value

    def _more(self) -> bool:
        block = self._text.read(BLOCK)
        self._buffer, self._at = self._buffer[self._at :] + block, 0
        return bool(block)
