"""The dashboard's Jinja2 templates (templates/), loaded once per process."""

from __future__ import annotations

from markupsafe import Markup, escape

from api.templating import templates

TEMPLATES = templates("api.dashboard")


def fill(text: str, **parts: str) -> Markup:
    """A translated sentence with marked-up parts put in its {placeholders}: the sentence is escaped,
    and so is every part that is not already markup."""
    return escape(text).format(**parts)


TEMPLATES.env.globals["fill"] = fill
