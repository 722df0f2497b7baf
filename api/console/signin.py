"""GET /console: the sign-in form; POST /console/session: sign in; POST /console/session/end: sign out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.console.i18n import WORDS, language
from api.console.web import (
    PREFIX, Posted, Refused, clear_session_cookie, console_post, foreign, render, see_other, session_cookie,
    signed, within,
)
from api.gate import client_address

router = APIRouter(include_in_schema=False)
HOME = {"moderator": f"{PREFIX}/queue", "operator": f"{PREFIX}/desk"}


@router.get(PREFIX, response_class=HTMLResponse)
async def sign_in_form(request: Request) -> Response:
    found = await signed(request)
    if found is not None:
        return see_other(HOME[found.role])
    return render(request, "signin.html", None, notice=None)


@router.post(f"{PREFIX}/session")
async def sign_in(request: Request) -> Response:
    state = request.app.state.api
    lang = language(request)
    # As the API's gate does before looking at a token: guessing is throttled per address, and
    # both doors draw on the same budget.
    await within(request, "address", client_address(request.scope, state.config.trusted_proxies),
                 state.config.intake_per_address, lang, "too_many")
    if foreign(request):  # another site signing this browser in to an account of its choosing
        raise Refused(403, WORDS[lang]["csrf_refused"], lang)
    form = await request.form()
    token = form.get("token")
    token = token.strip() if isinstance(token, str) else ""
    principal = state.tokens.identify(token) if token else None
    if principal is None:
        notice = WORDS[lang]["token_wrong" if token else "token_missing"]
        return render(request, "signin.html", None, status=401 if token else 422, notice=notice)
    sid, _ = await state.sessions.create(principal.role, principal.name)
    response = see_other(HOME[principal.role])
    session_cookie(response, request, sid)
    return response


@router.post(f"{PREFIX}/session/end")
async def sign_out(request: Request, posted: Posted = Depends(console_post())) -> Response:
    await request.app.state.api.sessions.revoke(posted.signed.sid)
    response = render(request, "signin.html", None, lang=posted.signed.lang, notice=posted.signed.w["signed_out"])
    clear_session_cookie(response, request)
    return response

