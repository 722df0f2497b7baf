"""The projector as a long-running part of `svodka serve` and `svodka project`."""

from __future__ import annotations

from infra.bootstrap import Services
from projections.projector import Projector, tune_collector


async def projector(svc: Services) -> None:
    """Fold the event log into the read model until cancelled; a second instance on the same
    database waits as a hot standby and takes over when the first one's session ends."""
    tune_collector()
    await Projector(svc.app.mapper).follow(svc.db.url, svc.db.schema)


def replay(svc: Services, *, verify: bool) -> int:
    """`svodka replay`: rebuild with a progress bar; exit status 1 when --verify finds differences."""
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from projections.replay import replay as run_replay

    tune_collector()

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>9,.0f} events/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("replaying", total=None, rate=0.0)

        def advance(count: int) -> None:
            bar.advance(task, count)
            elapsed = bar.tasks[task].elapsed or 0.0
            bar.update(task, rate=bar.tasks[task].completed / elapsed if elapsed else 0.0)

        outcome = asyncio.run(
            run_replay(
                svc.db.url,
                svc.db.schema,
                svc.app.mapper,
                verify=verify,
                progress=advance,
                total=lambda n: bar.update(task, total=n),
            )
        )
    if verify and outcome.differences:
        print(f"The rebuilt read model differs from the live one at position {outcome.position}:")
        for line in outcome.differences:
            print(f"  {line}")
        return 1
    done = "matches the live one" if verify else "is live"
    print(f"Replayed {outcome.events:,} events; the read model at position {outcome.position:,} {done}.")
    return 0
