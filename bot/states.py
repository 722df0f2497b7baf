"""Conversation states: each is one question the panel message is asking."""

from aiogram.fsm.state import State, StatesGroup


class ReportForm(StatesGroup):
    kind = State()
    place = State()
    when = State()
    when_time = State()  # waiting for HH:MM, today or yesterday
    count = State()
    description = State()
    summary = State()


class CheckpointSearch(StatesGroup):
    place = State()
