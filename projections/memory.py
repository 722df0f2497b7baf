"""What the projector keeps in memory between batches, so most events need no read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from uuid import UUID

from projections.rows import ReporterRow, ReportRow


@dataclass
class State:
    """The rows the projector keeps in memory between batches, always equal to what is
    committed or being committed (the projector drops it on any failure).

    Reporters are few (only pseudonyms a moderator acted on) and all kept, so a pseudonym not
    here has never been registered. Reports and abuse tallies are bounded: past `limit` rows,
    the least recently touched half of the reports goes, and the tallies of the oldest hours;
    `abuse_from` is the first hour whose tallies are all here, so the rest need no query.
    """

    reporters: dict[str, ReporterRow]
    clock: datetime | None
    abuse_from: datetime
    limit: int = 50_000
    reports: dict[UUID, ReportRow] = field(default_factory=dict)
    names: dict[UUID, str] = field(default_factory=dict)  # reporter aggregate id -> pseudonym
    abuse: dict[tuple[str, datetime], list[int]] = field(default_factory=dict)  # [submitted, rejected]

    def __post_init__(self) -> None:
        self.names = {r.id: r.pseudonym for r in self.reporters.values()}

    def trim(self, keep: set[UUID], keep_abuse: set[tuple[str, datetime]]) -> None:
        """Forget old rows, but never those of a batch still being written (`keep`): a read
        of them before its commit would find the table older than the fold."""
        if len(self.reports) > self.limit:
            oldest = islice(self.reports, len(self.reports) - self.limit // 2)
            for key in [k for k in oldest if k not in keep]:
                del self.reports[key]
        if len(self.abuse) > self.limit:
            hours = sorted({hour for _, hour in self.abuse})
            cutoff = hours[len(hours) // 2]
            self.abuse = {k: v for k, v in self.abuse.items() if k[1] >= cutoff or k in keep_abuse}
            self.abuse_from = max(self.abuse_from, cutoff)
