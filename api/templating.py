"""Jinja2 templates with autoescaping, through FastAPI's templating: how the public pages write HTML."""

from __future__ import annotations

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined


def templates(package: str) -> Jinja2Templates:
    """The templates in `package`'s templates/ folder. Every value is escaped unless a template says
    otherwise, and a misspelt name fails the render instead of printing nothing."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)
