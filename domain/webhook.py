"""The Webhook aggregate: a partner's URL and what it subscribed to, registered by a moderator."""

from __future__ import annotations

from urllib.parse import urlsplit

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidReport, InvalidTransition

TOPICS = ("bulletins", "figures", "checkpoints")


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2_000:
        raise InvalidReport("The webhook URL must be an http(s) URL.", code="webhook_url", field="url")
    return url


def check_topics(topics: list[str]) -> list[str]:
    chosen = sorted(set(topics))
    if not chosen or not set(chosen) <= set(TOPICS):
        raise InvalidReport(f"Subscribe to one or more of {', '.join(TOPICS)}.", code="webhook_topics", field="topics",
                            parts={"topics": ", ".join(TOPICS)})
    return chosen


class Webhook(Aggregate):
    """Its secret is never stored: the server derives it from its own key and the webhook's id."""

    @event("Registered")
    def __init__(self, *, url: str, topics: list[str], regions: list[str], by: str) -> None:
        self.url = url
        self.topics = topics
        self.regions = regions  # empty: every region
        self.registered_by = by
        self.removed = False

    def remove(self, by: str) -> None:
        if self.removed:
            raise InvalidTransition("This webhook is already removed.", code="webhook_removed")
        self._removed(by=by)

    @event("Removed")
    def _removed(self, by: str) -> None:
        self.removed = True
