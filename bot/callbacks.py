"""Inline button payloads. A report button carries its draft's tag, so an old message's button is known stale."""

from aiogram.filters.callback_data import CallbackData


class ReportStep(CallbackData, prefix="r"):
    tag: str  # the first characters of the draft id
    act: str  # kind | city | when | count | skip | confirm | edit | cancel
    val: str = ""


class CheckpointVote(CallbackData, prefix="cp"):
    act: str  # still | gone
    id: str  # report id, hex


class Language(CallbackData, prefix="lang"):
    code: str


class Forget(CallbackData, prefix="forget"):
    sure: bool


class SummarySetting(CallbackData, prefix="set"):
    keep: bool  # keep a report's summary and answers in the chat after it is sent
