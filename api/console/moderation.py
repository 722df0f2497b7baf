"""The moderator's pages: the queue, one report, the signals; and the decisions they post."""

from __future__ import annotations

from api.console import decide, queue, report, signals

ROUTERS = [queue.router, report.router, decide.router, signals.router]
