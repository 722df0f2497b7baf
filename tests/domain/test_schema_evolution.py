"""How an event's schema evolves: bump class_version and add an upcaster; old events still load."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import clear_topic_cache, get_topic, register_topic

from infra.bootstrap import build_application


class NoteV1(Aggregate):
    """An aggregate as an old release stored it: its created event had only `text`."""

    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text


class NoteV2(Aggregate):
    """The next release added `lang`; v1 events are upcast as they are read."""

    class Written(Aggregate.Created):
        class_version = 2
        text: str
        lang: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["lang"] = "ru"  # every note before v2 was written in Russian

    @event(Written)
    def __init__(self, text: str, lang: str) -> None:
        self.text = text
        self.lang = lang


def test_v1_event_is_upcast_when_read_by_v2_code(backend, keys, request):
    db = request.getfixturevalue("db") if backend == "postgres" else None
    app = build_application(keys, db)
    old = NoteV1(text="задержан")
    app.save(old)
    clear_topic_cache()
    try:
        # The new release's code answers to the old topics, as a renamed class would.
        register_topic(get_topic(NoteV1), NoteV2)
        register_topic(get_topic(NoteV1.Written), NoteV2.Written)
        loaded = app.repository.get(old.id)
        assert isinstance(loaded, NoteV2)
        assert (loaded.text, loaded.lang) == ("задержан", "ru")
        again = NoteV2(text="stopped", lang="en")
        app.save(again)
        assert app.repository.get(again.id).lang == "en"
    finally:
        clear_topic_cache()
        app.close()
