"""What every console page uses: who is signed in, the CSRF and Origin checks, and rendering.

See the package's docstring (api/console/__init__.py) for how a page module uses these.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.datastructures import FormData

from api.auth import Role
from api.console.i18n import LANG_COOKIE, WORDS, language
from api.console.sessions import Session
from api.context import Limit
from api.dashboard.router import SECURITY_HEADERS
from api.errors import ApiError
from api.templating import templates

PREFIX = "/console"
COOKIE = "svodka_console"
CSRF_FIELD = "csrf"
TEMPLATES = templates("api.console")
# Pages name people's reports and carry CSRF tokens: no cache anywhere may keep them. Referrers
# stay on this site: with the dashboard's no-referrer, Chromium sends `Origin: null` on our own
# forms, and the Origin check could not tell them from a forged one.
PAGE_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


@dataclass(frozen=True, slots=True)
class Signed:
    """The person signed in on this request, and the language their pages are in."""

    sid: str
    session: Session
    lang: str

    @property
    def name(self) -> str:
        return self.session.name

    @property
    def role(self) -> Role:
        return self.session.role

    @property
    def w(self) -> dict[str, str]:
        return WORDS[self.lang]


@dataclass(frozen=True, slots=True)
class Posted:
    """A state-changing form that passed the Origin and CSRF checks."""

    signed: Signed
    form: FormData

    def get(self, name: str) -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""


class SignInNeeded(Exception):
    """No session (or an expired one): the sign-in form, saying why."""

    def __init__(self, lang: str, expired: bool) -> None:
        self.lang, self.expired = lang, expired


class Refused(Exception):
    """A console refusal, shown as a page (not the API's JSON): 403 for a forged form, and so on."""

    def __init__(self, status: int, message: str, lang: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.lang, self.headers = status, message, lang, headers


def secure(request: Request) -> bool:
    url = request.app.state.config.public_url
    return bool(url and url.startswith("https:")) or request.url.scheme == "https"


def session_cookie(response: Response, request: Request, sid: str) -> None:
    # Path=/console: the public pages and the JSON API never see it. No Max-Age: the server ends it.
    response.set_cookie(COOKIE, sid, path=PREFIX, httponly=True, samesite="strict", secure=secure(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=secure(request))


async def signed(request: Request) -> Signed | None:
    sid = request.cookies.get(COOKIE)
    if not sid or len(sid) > 100:
        return None
    state = request.app.state.api
    found = await state.sessions.get(sid)
    if found is None:
        return None
    if not state.tokens.holds(found.role, found.name):  # its token was revoked: so is the session
        await state.sessions.revoke(sid)
        return None
    return Signed(sid, found, language(request))


def console_session(role: Role | None = None) -> Callable[[Request], Awaitable[Signed]]:
    """A dependency: who is signed in (any role, or `role` only); else the sign-in page."""

    async def dependency(request: Request) -> Signed:
        found = await signed(request)
        if found is None:
            raise SignInNeeded(language(request), expired=COOKIE in request.cookies)
        if role is not None and found.role != role:
            raise Refused(403, found.w[f"wrong_role_{role}"], found.lang)
        return found

    return dependency


def _allowed_origins(request: Request) -> set[str]:
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    public = request.app.state.config.public_url
    if public:
        parts = urlsplit(public)
        own.add(f"{parts.scheme}://{parts.netloc}")
    return own


def _origin(request: Request) -> str | None:
    origin = request.headers.get("origin")
    if origin is None and (referer := request.headers.get("referer")):
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin


def foreign(request: Request) -> bool:
    """A post a browser says came from another site. (A missing Origin is not foreign here.)"""
    origin = _origin(request)
    return origin is not None and origin not in _allowed_origins(request)


async def within(request: Request, scope: str, identity: str, limit: Limit, lang: str, words: str) -> None:
    """The API's rate limit (api/limits.py: shared through Redis when set) as a console page: 429
    in the page's language, saying when to retry, with Retry-After."""
    try:
        await request.app.state.api.limiter.check(scope, identity, limit, scope)
    except ApiError as refused:
        retry = (refused.headers or {}).get("Retry-After", str(int(limit.seconds)))
        raise Refused(429, WORDS[lang][words].format(seconds=retry), lang, {"Retry-After": retry}) from None


def console_post(role: Role | None = None) -> Callable[[Request], Awaitable[Posted]]:
    """A dependency for every state-changing form: signed in (as `role`), from this site (Origin,
    or Referer when a browser sends no Origin), carrying this session's CSRF token. Else 403."""
    needs_session = console_session(role)

    async def dependency(request: Request) -> Posted:
        found = await needs_session(request)
        form = await request.form()
        given = form.get(CSRF_FIELD)
        same_site = _origin(request) in _allowed_origins(request)
        if not same_site or not isinstance(given, str) or not hmac.compare_digest(
                given.encode(), found.session.csrf.encode()):
            raise Refused(403, found.w["csrf_refused"], found.lang)
        return Posted(found, form)

    return dependency


@pass_context
def csrf_field(context: Any) -> Markup:
    """`{{ csrf_field() }}` inside every form that changes anything."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, context["signed"].session.csrf)


def fill(text: str, **parts: Any) -> Markup:
    """A translated sentence with its {placeholders} filled, every part escaped."""
    return escape(text).format(**parts)


@cache
def asset_urls() -> dict[str, str]:
    from api.console.assets import ASSETS, digest

    return {name: f"{PREFIX}/assets/{name}?v={digest(name)}" for name in ASSETS}


TEMPLATES.env.globals.update(csrf_field=csrf_field, fill=fill, prefix=PREFIX)


def render(request: Request, template: str, signed: Signed | None, *, lang: str | None = None, status: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """A console page: `template` extends base.html, which shows who is signed in."""
    lang = signed.lang if signed else (lang or language(request))
    body = TEMPLATES.get_template(template).render(
        signed=signed, lang=lang, w=WORDS[lang], other_lang="en" if lang == "ru" else "ru",
        path=request.url.path, assets=asset_urls(), **context,
    )
    response = HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})
    if request.query_params.get("lang") == lang:  # the switch was used: keep the choice
        response.set_cookie(LANG_COOKIE, lang, path=PREFIX, httponly=True, samesite="strict", secure=secure(request))
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)


def back_to(posted: Posted, default: str) -> str:
    """Where a form asked to return to: a console path only, never another site."""
    back = posted.get("back")
    return back if back.startswith(PREFIX + "/") and not back.startswith("//") and "\\" not in back else default
