"""The auditor's commands, `svodka audit export` and `svodka audit verify`: progress and reports.

Exit status: 0 all consistent, 1 a divergence (the message names its position), 2 the
comparison could not be made (unreadable server, export older than the server's figures).
"""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.parse import quote

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from infra.audit.archive import ArchivedHeads
from infra.audit.export import KINDS, export
from infra.audit.verify import Diverged, Verified, compare_figures, verify_file
from infra.settings import Settings
from projections.chain import ChainRewound


def run_export(settings: Settings, path: Path, figures: bool = True) -> int:
    from infra.bootstrap import services

    columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with services(settings) as svc, Progress(*columns, transient=True) as bar:
        task = bar.add_task("export", total=None)
        try:
            result = asyncio.run(
                export(svc.db, svc.app, svc.keys, path, lambda done, total: bar.update(task, completed=done, total=total),
                       figures=figures)
            )
        except ChainRewound as error:
            return _fail(f"refused: {error}; the log was rewound after that head was published")
        except ValueError:
            return _fail("an event not yet chained no longer decrypts: the log or the master key changed")
    head = result.head
    typer.echo(f"wrote {path}: {result.events} events, {result.figures} sets of published figures")
    if head is not None:
        typer.echo(f"signed head: position {head.position}, hash {head.hash.hex()}")
    if result.divergence is not None:
        return _fail(f"the live log diverges from its chain at {result.divergence}")
    return 0


def run_verify(path: Path, key: str | None, against: str | None, heads: Path | None = None) -> int:
    pinned = base64.b64decode(key) if key else None
    served_head: list[dict[str, Any]] = []
    extra: Iterable[dict[str, Any]] = served_head
    try:
        if against:
            served = base64.b64decode(_get(against, "/v1/audit/key")["public_key"])
            if pinned is not None and pinned != served:
                return _fail("the server's key is not the key you pinned")
            pinned = served
            served_head.append(_get(against, "/v1/audit/head"))
        if heads is not None:
            extra = ArchivedHeads(heads, first=served_head)
            for _ in extra:  # a file that is not heads is refused before the export is read
                pass
        # The server's figures are read first, so the streaming fold keeps their position as it passes.
        served_figures = server_figures(against) if against else {}
        result = verify_file(path, key=pinned, extra_heads=extra,
                             keep=[stats["as_of"]["position"] for stats in served_figures.values()])
        report(result)
        if against:
            compare_with_server(result, against, served_figures, exported_at(path))
    except Diverged as diverged:
        return _fail(f"DIVERGED at {diverged}")
    except Unavailable as error:
        typer.secho(f"svodka: cannot compare: {error}", err=True, fg="yellow")
        return 2
    typer.secho("verified: no divergence", fg="green")
    return 0


def report(result: Verified) -> None:
    pin = "pinned" if result.key_pinned else "NOT pinned: pass --key or --against to trust it"
    typer.echo(f"events        {result.events}, up to position {result.position}")
    typer.echo(f"signed heads  {result.heads} checked with key {result.key_fingerprint} ({pin})")
    typer.echo(f"figures       {result.figures} published sets match the recomputed counts")
    typer.echo(f"bulletins     {result.bulletins} match the log as of their positions (detentions; not checkpoints)")
    for kind in KINDS:
        verified, unverified, reports = result.fold.figures(kind, upto=result.position)[()]
        typer.echo(f"{kind:<13} verified {verified}, unverified {unverified}, reports {reports}")
    for head in result.unchecked:
        typer.echo(f"server head at position {head['position']} is newer than this export; export again to check it")


class Unavailable(Exception):
    pass


STATS = "/v1/stats?group_by=day,region,city&kind="


def server_figures(url: str) -> dict[str, dict[str, Any]]:
    """The server's current figures of each kind."""
    return {kind: _get(url, STATS + kind) for kind in KINDS}


def exported_at(path: Path) -> str:
    with path.open(encoding="utf-8") as lines:
        return json.loads(lines.readline())["exported_at"]


def compare_with_server(result: Verified, url: str, served: dict[str, dict[str, Any]], exported: str) -> None:
    """The server's figures read before verifying; if it had moved past the export, its figures as
    of the export's time (the facts' times are to the minute, so the fold's own clock would leave
    out the end of its minute; every event in the file was recorded before it was exported)."""
    for kind in KINDS:
        stats, at = served[kind], None
        if stats["as_of"]["position"] > result.position:
            at = exported
            stats = _get(url, f"{STATS}{kind}&as_of={quote(at)}")
        position = stats["as_of"]["position"]
        if position > result.position or (at is not None and position != result.position):
            raise Unavailable(f"the server's {kind} figures are at position {position}, not this export's "
                              f"({result.position}); export again")
        compare_figures(result.fold, {**stats, "kind": kind, "at": None})
        when = f" as of {at}" if at else ""
        typer.echo(f"server        {kind} figures{when} at position {position} match")


def _get(base: str, path: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(base.rstrip("/") + path, timeout=30) as response:
            return json.load(response)
    except (URLError, OSError, ValueError) as error:
        raise Unavailable(f"{path}: {error}") from None


def _fail(message: str) -> int:
    typer.secho(f"svodka: {message}", err=True, fg="red")
    return 1
