"""The page's sections, each a small HTML fragment with every value escaped."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from api.dashboard import i18n
from api.dashboard.i18n import WORDS
from api.dashboard.view import View, local_input
from projections.queries import Stats


def stats_url(view: View, base: str) -> str:
    """The API question whose answer this page's figures are, so the script can ask it again."""
    return _url(base, "stats", {"kind": "detention", "from": view.date_from.isoformat(), "to": view.date_to.isoformat()})


def notices(view: View, base: str) -> str:
    words = WORDS[view.lang]
    out = []
    if view.errors:
        fields = ", ".join(view.errors)
        out.append(f'<p class="notice" role="alert">{escape(words["bad_input"].format(fields=fields))}</p>')
    if view.at is not None:
        when = escape(f'{i18n.moment(view.at, view.lang)} {words["moscow"]}')
        now_href = escape(base + "/" + view.query(as_of=None))
        out.append(
            f'<p class="notice past">{escape(words["as_of_past"]).format(time=f"<strong>{when}</strong>")}'
            f' <a href="{now_href}">{escape(words["as_of_now"])}</a></p>'
        )
    return "\n".join(out)


def headline(view: View, stats: Stats) -> str:
    words, lang = WORDS[view.lang], view.lang
    period = words["period"].format(
        start=i18n.long_day(view.date_from, lang, year=view.date_from.year != view.date_to.year),
        end=i18n.long_day(view.date_to, lang, year=True),
    )
    figures = "".join(
        f'<div class="figure {name}"><dt>{escape(words[name])}</dt>'
        f'<dd data-figure="{name}" data-value="{value}">{escape(i18n.number(value, lang))}</dd></div>'
        for name, value in (
            ("verified", stats.total.verified),
            ("unverified", stats.total.unverified),
            ("reports", stats.total.reports),
        )
    )
    return (
        '<section id="headline" class="live" aria-labelledby="h-headline">'
        f'<h2 id="h-headline">{escape(words["headline"])}</h2>'
        f'<p class="period">{escape(period)}</p>'
        f'<dl class="figures">{figures}</dl>'
        f'<p class="rule">{escape(words["rule"])}</p>'
        f'<p class="as-of" data-position="{stats.as_of.position}">{as_of_line(view, stats)}</p>'
        "</section>"
    )


def as_of_line(view: View, stats: Stats) -> str:
    words = WORDS[view.lang]
    recorded = stats.as_of.recorded_at
    if recorded is None:
        return escape(words["as_of_empty"])
    when = (
        f'<time datetime="{escape(recorded.isoformat())}">'
        f'{escape(i18n.moment(recorded, view.lang))} {escape(words["moscow"])}</time>'
    )
    position = escape(i18n.number(stats.as_of.position, view.lang))
    return escape(words["as_of"]).format(time=when, position=f'<span class="position">{position}</span>')


def controls(view: View, base: str) -> str:
    words = WORDS[view.lang]
    now_value = local_input(view.now)
    at_value = local_input(view.at) if view.at else ""

    def field(name: str, label: str, kind: str, value: str, limit: str) -> str:
        # Seconds on the as-of clock: two reports a minute apart are different states of knowledge.
        step = ' step="1"' if kind == "datetime-local" else ""
        return (
            f'<div class="field"><label for="f-{name}">{escape(label)}</label>'
            f'<input id="f-{name}" name="{name}" type="{kind}" value="{escape(value)}"'
            f' max="{escape(limit)}"{step}></div>'
        )

    today = view.now.astimezone(i18n.MOSCOW).date().isoformat()
    return (
        '<section id="controls" aria-labelledby="h-controls">'
        f'<h2 id="h-controls">{escape(words["controls"])}</h2>'
        f'<form method="get" action="{escape(base)}/">'
        f'<input type="hidden" name="lang" value="{view.lang}">'
        + field("from", words["from"], "date", view.date_from.isoformat(), today)
        + field("to", words["to"], "date", view.date_to.isoformat(), today)
        + field("as_of", words["as_of_input"], "datetime-local", at_value, now_value)
        + f'<div class="field submit"><button type="submit">{escape(words["show"])}</button></div>'
        "</form></section>"
    )


def downloads(view: View, base: str) -> str:
    """The exports, for the period shown and for all days, both as of the page's instant."""
    words = WORDS[view.lang]
    at = {"as_of": view.at.isoformat()} if view.at else {}
    period = {"from": view.date_from.isoformat(), "to": view.date_to.isoformat(), **at}
    items = []
    for name, fmt, kind in (("export.csv", "CSV", "text/csv"), ("export.geojson", "GeoJSON", "application/geo+json")):
        links = (
            f'<a href="{escape(_url(base, name, params))}" type="{kind}">{escape(words[label].format(fmt=fmt))}</a>'
            for label, params in (("period_file", period), ("all_file", at))
        )
        items.append(f"<li>{' · '.join(links)}</li>")
    return (
        '<section id="downloads" aria-labelledby="h-downloads">'
        f'<h2 id="h-downloads">{escape(words["downloads"])}</h2>'
        f'<ul>{"".join(items)}</ul>'
        f'<p class="note">{escape(words["downloads_note"])}</p>'
        "</section>"
    )


def _url(base: str, name: str, params: dict[str, str]) -> str:
    return f"{base}/v1/{name}" + (f"?{urlencode(params)}" if params else "")
