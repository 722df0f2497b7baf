"""Report ids numbered as the fold first meets them, in about 22 bytes a report.

A dict from 16-byte ids held a bytes object per key and a hash entry besides (well over 100
bytes a report; about 1.6 GB for the 5.2M reports of a 10M-event log with the rest of what the
fold kept). Here the ids sit side by side in one bytearray, numbered 0, 1, 2..., and an
open-addressing table of 4-byte numbers (linear probing, at most two thirds full) finds them;
the fold keeps everything else about a report in arrays indexed by that number.
"""

from __future__ import annotations

from array import array

ID = 16  # bytes of a report id (a UUID)


class ReportIds:
    def __init__(self, expected: int = 0) -> None:
        """`expected`: how many to make room for at once (more still fit, growing)."""
        self.ids = bytearray(ID * expected)  # report n's id at [16n, 16n + 16)
        self._count = 0
        size = 16
        while size * 2 < (expected + 1) * 3:
            size *= 2
        self._table = array("i", [-1]) * size  # report numbers by hash; -1: free
        self._mask = size - 1

    def __len__(self) -> int:
        return self._count

    def find(self, key: bytes) -> int:
        """The report's number, or -1 if it was never added."""
        table, ids, mask = self._table, self.ids, self._mask
        i = hash(key) & mask
        while (n := table[i]) >= 0:
            start = n * ID
            if ids[start : start + ID] == key:
                return n
            i = (i + 1) & mask
        return -1

    def add(self, key: bytes) -> int:
        """Number a report not yet added (`find` gave -1); returns its number."""
        if len(key) != ID:
            raise ValueError(f"a report id is {ID} bytes, not {len(key)}")
        n = self._count
        if (n + 1) * 3 > len(self._table) * 2:
            self._grow()
        if (n + 1) * ID <= len(self.ids):  # room made in advance
            self.ids[n * ID : (n + 1) * ID] = key
        else:
            self.ids += key
        self._count = n + 1
        self._place(key, n)
        return n

    def _place(self, key: bytes, n: int) -> None:
        table, mask = self._table, self._mask
        i = hash(key) & mask
        while table[i] >= 0:
            i = (i + 1) & mask
        table[i] = n

    def _grow(self) -> None:
        self._table = array("i", [-1]) * (len(self._table) * 2)
        self._mask = len(self._table) - 1
        ids = memoryview(self.ids)
        try:
            for n in range(len(self)):
                self._place(ids[n * ID : (n + 1) * ID].tobytes(), n)
        finally:
            ids.release()  # the bytearray grows again only once no view holds it
