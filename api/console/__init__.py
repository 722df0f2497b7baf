"""The console: server-rendered pages under /console for moderators and operators.

Pages work without JavaScript; console.js only adds keyboard shortcuts. Nothing is loaded from
another host (the dashboard's CSP). Forms post to the same domain commands as the JSON API
(api/decisions.py for moderation): one domain path, two front doors.

Signing in (api/console/signin.py): `POST /console/session` with a token makes a server-side
session (api/console/sessions.py: Redis, else PostgreSQL); the browser holds only a random id,
in an HttpOnly, SameSite=Strict cookie on Path=/console. The TokenGate (api/gate.py) does not
cover /console: these routes take no bearer token, the session stands in for it.

How a page module uses this (api/console/web.py):

    router = APIRouter(include_in_schema=False)

    @router.get(f"{PREFIX}/desk")
    async def page(request: Request, signed: Signed = Depends(console_session("operator"))):
        return render(request, "desk.html", signed, rows=...)  # extends base.html

    @router.post(f"{PREFIX}/desk/reports")
    async def enter(request: Request, posted: Posted = Depends(console_post("operator"))):
        posted.get("city")  # a form field, stripped; posted.signed.name is the operator's name
        return see_other(back_to(posted, f"{PREFIX}/desk"))

- `console_session(role)`: a dependency giving `Signed` (name, role, lang, words `w`); without a
  session, the sign-in page (303); with another role, a 403 page.
- `console_post(role)`: the same, for a state-changing form: it also checks the Origin (or
  Referer) is this site and the form's CSRF token is the session's, else a 403 page and nothing
  runs. Every such form has `{{ csrf_field() }}` in it.
- `render(request, template, signed, status=..., **context)`: templates see `signed`, `w` (the
  words), `lang`, `prefix`, `fill(text, **parts)`; a page's words are added with
  `api.console.i18n.register(ru={...}, en={...})` in its own module.
- `Refused(status, message, lang)`: raise it to answer with an error page.
- Register a new page module's router in `ROUTERS` below.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.console import assets, desk, signin
from api.console.i18n import language
from api.console.web import PREFIX, Refused, SignInNeeded, WORDS, clear_session_cookie, render, signed
from api.errors import RETRY_AFTER, UNAVAILABLE

ROUTERS = [signin.router, desk.router, assets.router]


def install(app: FastAPI) -> None:
    """The console's routes, and its refusals answered as pages rather than the API's JSON."""
    from api.console import moderation

    for router in [*ROUTERS, *moderation.ROUTERS]:
        app.include_router(router)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> Response:
        response = render(request, "signin.html", None, lang=exc.lang, status=401,
                          notice=WORDS[exc.lang]["expired"] if exc.expired else None)
        if exc.expired:
            clear_session_cookie(response, request)
        return response

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return render(request, "refused.html", None, lang=exc.lang, status=exc.status, headers=exc.headers,
                      message=exc.message)

    _pages_for_console(app, RequestValidationError, lambda exc: (422, "bad_address"))
    _pages_for_console(app, StarletteHTTPException, lambda exc: (
        exc.status_code, "no_page" if exc.status_code in (404, 405) else "forbidden"))
    for kind in UNAVAILABLE:  # a store down: a page that says to retry, with the API's Retry-After
        _pages_for_console(app, kind, lambda exc: (503, "unavailable"))


def _pages_for_console(app: FastAPI, kind: type[Exception], said) -> None:
    """FastAPI's own refusals (a report id cut short in a link, a mistyped address) under /console
    as a page in the console's layout and language; everywhere else the API's JSON, unchanged
    (api/errors.py installs those first). A browser without JavaScript cannot read JSON."""
    api_handler = app.exception_handlers[kind]

    async def handler(request: Request, exc: Exception) -> Response:
        path = request.url.path
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return await api_handler(request, exc)
        try:
            who = await signed(request)  # the header shows who is signed in, as on every page
        except UNAVAILABLE:
            who = None
        status, key = said(exc)
        lang = who.lang if who else language(request)
        headers = RETRY_AFTER if status == 503 else getattr(exc, "headers", None)
        return render(request, "refused.html", who, lang=lang, status=status, message=WORDS[lang][key],
                      headers=headers)

    app.add_exception_handler(kind, handler)
