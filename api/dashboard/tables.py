"""The sections that list many figures: the timeline, the region table and the checkpoints."""

from __future__ import annotations

from datetime import date
from html import escape

from api.dashboard import i18n
from api.dashboard.chart import Bar, timeline_svg
from api.dashboard.i18n import WORDS
from api.dashboard.view import SORT_KEYS, View
from domain.errors import UnknownPlace
from domain.places import Gazetteer
from projections.queries import ActiveCheckpoint, Stats, Totals


def timeline(view: View, stats: Stats) -> str:
    words, lang = WORDS[view.lang], view.lang
    by_day = {date.fromisoformat(g.key["day"]): g.totals for g in stats.groups if "day" in g.key}
    bars = []
    rows = []
    # Every day of the period gets a bar, so a quiet day shows as zero rather than vanishing.
    for d in view.days:
        t = by_day.get(d, Totals())
        label = i18n.day(d, lang)
        title = (
            f'{label}: {words["verified"]} {i18n.number(t.verified, lang)}, '
            f'{words["unverified"]} {i18n.number(t.unverified, lang)}'
        )
        bars.append(Bar(d, t.verified, t.unverified, label, title))
        rows.append(
            f'<tr><th scope="row"><time datetime="{d.isoformat()}">{escape(label)}</time></th>'
            f"{_cells(t, lang)}</tr>"
        )
    chart = timeline_svg(
        bars, title=words["timeline"], desc=words["timeline_desc"], number=lambda n: i18n.number(n, lang)
    )
    legend = "".join(
        f'<li><span class="swatch {name}" aria-hidden="true"></span>{escape(words[name])}</li>'
        for name in ("verified", "unverified")
    )
    return (
        '<section id="timeline" class="live" aria-labelledby="h-timeline">'
        f'<h2 id="h-timeline">{escape(words["timeline"])}</h2>'
        f'<ul class="legend">{legend}</ul>{chart}'
        f'<details><summary>{escape(words["timeline_table"])}</summary>'
        f'<div class="table-wrap"><table class="numbers"><caption>{escape(words["timeline_desc"])}</caption>'
        f'<thead><tr><th scope="col">{escape(words["day"])}</th>{_heads(words)}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div></details>'
        "</section>"
    )


def regions(view: View, stats: Stats, base: str) -> str:
    words, lang = WORDS[view.lang], view.lang
    gazetteer = Gazetteer.default()
    rows = [(g.key["region"], region_name(gazetteer, g.key["region"], lang), g.totals) for g in stats.groups]
    rows.sort(key=_sort_key(view.sort), reverse=view.order == "desc")
    body = "".join(
        f'<tr data-region="{escape(code)}"><th scope="row" data-value="{escape(name.casefold())}">'
        f"{escape(name)}</th>{_cells(t, lang)}</tr>"
        for code, name, t in rows
    )
    if not rows:
        body = f'<tr><td colspan="4">{escape(words["no_regions"])}</td></tr>'
    heads = "".join(_sort_head(view, base, key, words) for key in SORT_KEYS)
    return (
        '<section id="regions" class="live" aria-labelledby="h-regions">'
        f'<h2 id="h-regions">{escape(words["regions"])}</h2>'
        '<div class="table-wrap"><table class="numbers sortable">'
        f'<caption>{escape(words["regions_caption"])}</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody>{body}</tbody>"
        f'<tfoot><tr><th scope="row">{escape(words["total"])}</th>{_cells(stats.total, lang)}</tr></tfoot>'
        "</table></div></section>"
    )


def checkpoints(view: View, items: list[ActiveCheckpoint]) -> str:
    words, lang = WORDS[view.lang], view.lang
    gazetteer = Gazetteer.default()
    entries = []
    for cp in sorted(items, key=lambda c: c.last_confirmed_at, reverse=True):
        zone = gazetteer.region(cp.region).tz() if gazetteer.has_region(cp.region) else i18n.MOSCOW
        place = region_name(gazetteer, cp.region, lang)
        if cp.city:
            place = f"{city_name(gazetteer, cp.city, lang)}, {place}"
        confirmed = _local_time(cp.last_confirmed_at, zone, lang)
        expires = _local_time(cp.expires_at, zone, lang)
        status = words["status_verified"] if cp.status == "verified" else words["status_unverified"]
        entries.append(
            f'<li data-checkpoint="{escape(str(cp.id))}"><strong>{escape(place)}</strong>'
            f' <span class="coords">≈ {cp.lat:.2f}, {cp.lon:.2f}</span>'
            f'<br>{escape(words["last_confirmed"]).format(time=confirmed)}'
            f' · {escape(words["expires"]).format(time=expires)}'
            f' · {escape(words["confirmations"].format(n=cp.confirmations))}'
            f' · <span class="status {escape(cp.status)}">{escape(status)}</span></li>'
        )
    listing = f'<ul class="checkpoint-list">{"".join(entries)}</ul>' if entries else (
        f'<p class="empty">{escape(words["no_checkpoints"])}</p>'
    )
    return (
        '<section id="checkpoints" class="live" aria-labelledby="h-checkpoints">'
        f'<h2 id="h-checkpoints">{escape(words["checkpoints"])}</h2>'
        f'<p class="note">{escape(words["checkpoints_note"])}</p>{listing}'
        "</section>"
    )


def region_name(gazetteer: Gazetteer, code: str, lang: str) -> str:
    try:
        return gazetteer.name(code, lang)
    except UnknownPlace:
        # A code the shipped gazetteer lacks still deserves its row, under the code itself.
        return code


def city_name(gazetteer: Gazetteer, name_en: str, lang: str) -> str:
    try:
        city = gazetteer.city_by_name_en(name_en)
    except UnknownPlace:
        return name_en
    return city.name_ru if lang == "ru" else city.name_en


def _local_time(instant, zone, lang: str) -> str:
    # A checkpoint lives for hours: the day and the local clock say enough, the year does not.
    text = f"{i18n.moment(instant, lang, zone, year=False)} ({i18n.utc_offset(instant, zone)})"
    return f'<time datetime="{escape(instant.isoformat())}">{escape(text)}</time>'


def _heads(words: dict[str, str]) -> str:
    return "".join(f'<th scope="col">{escape(words["th_" + k])}</th>' for k in ("verified", "unverified", "reports"))


def _cells(t: Totals, lang: str) -> str:
    return "".join(
        f'<td data-value="{v}">{escape(i18n.number(v, lang))}</td>' for v in (t.verified, t.unverified, t.reports)
    )


def _sort_key(sort: str):
    if sort == "region":
        return lambda row: row[1].casefold()
    # Ties fall back to the region's code, so the order is the same on every load.
    return lambda row: (getattr(row[2], sort), row[0])


def _sort_head(view: View, base: str, key: str, words: dict[str, str]) -> str:
    """A heading whose link sorts the table: on the server without JavaScript, in place with it."""
    active = view.sort == key
    natural = "asc" if key == "region" else "desc"
    order = ("asc" if view.order == "desc" else "desc") if active else natural
    aria = f' aria-sort="{"ascending" if view.order == "asc" else "descending"}"' if active else ""
    href = escape(base + "/" + view.query(sort=key, order=order))
    return (
        f'<th scope="col" data-sort="{key}"{aria}>'
        f'<a href="{href}" data-order="{order}">{escape(words.get("th_" + key, words[key]))}</a></th>'
    )
