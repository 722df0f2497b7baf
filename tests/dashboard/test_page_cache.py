"""Rendered pages are reused at one projection position and rendered afresh when it moves."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from api.dashboard.data import Figures, Pages
from api.dashboard.view import parse_view
from domain.application import NewReport
from projections import schema
from projections.projector import Projector

pytestmark = pytest.mark.postgres


async def test_one_render_per_position_and_view(db, pg_app):
    pool = await asyncpg.create_pool(
        db.url, min_size=1, max_size=2, server_settings={"search_path": f"{db.schema},public"}
    )
    application = pg_app
    try:
        pages, rendered = Pages(), []

        def render(figures: Figures) -> str:
            rendered.append(figures.by_day.as_of.position)
            return f"page at {figures.by_day.as_of.position}"

        now = datetime.now(timezone.utc)
        view = parse_view({}, "en", now)
        assert await pages.get(pool, view, render) == "page at 0"
        assert await pages.get(pool, view, render) == "page at 0"
        assert rendered == [0]

        await pages.get(pool, parse_view({}, "ru", now), render)  # another language, another page
        assert rendered == [0, 0]

        application.submit(
            NewReport(
                kind="detention", channel="test", client_ref="one", city="Москва", detained=2,
                occurred_at=now - timedelta(hours=1),
            )
        )
        async with pool.acquire() as conn:
            await schema.create(conn)
            await Projector(application.mapper).catch_up(conn)
        assert await pages.get(pool, view, render) == "page at 1"
        assert rendered == [0, 0, 1]
    finally:
        await pool.close()
