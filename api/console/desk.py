"""The operator's desk (GET /console/desk): entry form, CSV import, "my reports".

A placeholder until the desk is built: it shows that an operator's sign-in works.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.console.web import PREFIX, Signed, console_session, render

router = APIRouter(include_in_schema=False)


@router.get(f"{PREFIX}/desk", response_class=HTMLResponse)
async def desk(request: Request, signed: Signed = Depends(console_session("operator"))) -> HTMLResponse:
    return render(request, "desk.html", signed)
