"""The CSV import engine: what a hotline's spreadsheet becomes, row by row, and that importing
it twice stores nothing twice. Fast: the domain application, no HTTP."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.console.importing import dry_run, import_rows
from api.group_commit import GroupCommit
from domain.sheet import MAX_ROWS, Problem, read_sheet
from infra.bootstrap import build_application
from infra.crypto import MemoryKeyStore
from infra.keys import Keys

CHANNEL = "operator:hotline"


@pytest.fixture(scope="module")
def pg_free_app():
    """The in-memory application, for properties checked hundreds of times (nothing is stored)."""
    application = build_application(Keys(secret=os.urandom(32), master_key=os.urandom(32)), None, MemoryKeyStore())
    yield application
    application.close()
NOW = datetime.now(timezone.utc)
DAY = (NOW - timedelta(days=2)).date()


def sheet_of(app, text: str, *, bom: bool = False):
    return read_sheet(("\ufeff" if bom else "").encode() + text.encode(), app, channel=CHANNEL)


def test_a_russian_sheet_with_bom_and_semicolons_is_read(app):
    sheet = sheet_of(app, f"Город;Вид;Задержано;Время (местное);Описание\n"
                          f"Москва;задержание;3;{DAY:%d.%m.%Y} 19:30;у метро «Пушкинская»\n"
                          f"Новосибирск;блокпост;;{DAY:%Y-%m-%d} 22:30;\n", bom=True)
    assert sheet.problem is None and sheet.delimiter == ";"
    moscow, novosibirsk = sheet.rows
    assert (moscow.number, moscow.facts.place.city, moscow.report.detained) == (2, "Moscow", 3)
    assert moscow.report.description == "у метро «Пушкинская»"
    # Typed times are the place's wall clock: 22:30 in Novosibirsk is 15:30 UTC.
    assert novosibirsk.report.occurred_at.astimezone(timezone.utc).hour == 15
    assert novosibirsk.facts.local_time.strftime("%H:%M") == "22:30"
    assert novosibirsk.facts.local_day == DAY.isoformat()
    assert novosibirsk.report.kind == "checkpoint" and novosibirsk.report.detained is None


def test_an_english_sheet_with_commas_and_a_date_column(app):
    sheet = sheet_of(app, f"city,date,time,detained,notes\n"
                          f"Saint Petersburg,{DAY:%Y-%m-%d},19:30,2,\"near the metro, 4 people saw it\"\n")
    (row,) = sheet.rows
    assert not row.problems and sheet.delimiter == ","
    assert row.report.description == "near the metro, 4 people saw it"
    assert row.report.kind == "detention"
    assert "No kind column: every row is read as a detention." in sheet.notes


def test_wrong_rows_say_what_is_wrong_and_the_rest_still_reads(app):
    sheet = sheet_of(app, f"city;kind;count;time\n"
                          f"Масква;detention;;{DAY} 25:00\n"
                          f"Казань;detention;2;{DAY} 19:00\n"
                          f"Kazan;ufo;2;{DAY} 19:00\n"
                          f"Kazan;detention;two;tomorrow\n"
                          f"Kazan;detention;2;{(NOW + timedelta(days=2)).date()} 12:00\n")
    bad_place, good, bad_kind, bad_count_time, future = sheet.rows
    assert {p.column for p in bad_place.problems} == {"city", "count", "time"}
    assert "Did you mean Москва?" in bad_place.problems[0].message  # suggestions, in the script typed
    assert good.report is not None and good.facts.place.city == "Kazan"
    assert [p.column for p in bad_kind.problems] == ["kind"]
    assert {p.column for p in bad_count_time.problems} == {"count", "time"}
    assert future.problems == (Problem("time", "The time it happened cannot be in the future."),)
    assert [r.number for r in sheet.valid] == [3]


def test_files_that_cannot_be_read_say_why(app):
    assert "not UTF-8" in read_sheet("город;время\nМосква;1".encode("cp1251"), app, channel=CHANNEL).problem
    assert read_sheet(b"", app, channel=CHANNEL).problem == "The file is empty."
    assert "No time column" in sheet_of(app, "city,count\nMoscow,3\n").problem
    assert "No city column" in sheet_of(app, "what,ever\n1,2\n").problem
    assert "Two columns mean city" in sheet_of(app, "city,город,time\n").problem
    many = "city,time\n" + f"Moscow,{DAY} 10:00\n" * (MAX_ROWS + 1)
    assert "more than 20,000 rows" in sheet_of(app, many).problem


def test_a_row_with_more_cells_than_the_header_is_refused(app):
    (row,) = sheet_of(app, f"city,count,time,description\nMoscow,3,{DAY} 10:00,at the metro, then the bus\n").rows
    assert row.report is None and "not in quotes" in row.problems[0].message


def imported(app, *files: bytes) -> list[list]:
    """Each file's dry run then import, in turn, through one group commit: the outcomes per file."""
    async def run():
        intake = GroupCommit(app, batch_max=64, concurrency=2)
        try:
            return [await import_rows(await dry_run(data, app, "hotline"), intake) for data in files]
        finally:
            await intake.close()

    return asyncio.run(run())


def test_importing_twice_stores_nothing_twice(app):
    text = (f"city;count;time\nMoscow;3;{DAY} 10:00\nKazan;2;{DAY} 11:00\nНигде;1;{DAY} 12:00\n"
            f"Moscow;3;{DAY} 10:00\n")  # the same facts on two rows: two calls, two reports
    first, again = imported(app, text.encode(), text.encode())
    assert [i.outcome for i in first] == ["stored", "stored", "refused", "stored"]
    assert [i.outcome for i in again] == ["already stored", "already stored", "refused", "already stored"]
    assert [i.id for i in first] == [i.id for i in again]
    assert len({i.id for i in first if i.id}) == 3
    assert "Unknown city 'Нигде'" in first[2].message
    assert app.report(first[0].id).channel == CHANNEL


def test_a_file_with_one_row_edited_stores_only_that_row(app):
    night = (f"city;count;time;description\nMoscow;3;{DAY} 14:00;at the metro\nKazan;2;{DAY} 14:10;\n"
             f"Omsk;11;{DAY} 14:20;\nTver;4;{DAY} 14:30;\n")
    first, edited = imported(app, night.encode(), night.replace("Omsk;11;", "Omsk;1;").encode())
    assert [i.outcome for i in first] == ["stored"] * 4
    assert [i.outcome for i in edited] == ["already stored", "already stored", "stored", "already stored"]
    assert [i.id for i in edited if i.outcome == "already stored"] == [first[n].id for n in (0, 1, 3)]
    assert edited[2].id not in {i.id for i in first}  # a changed row is a new report, the old one stays
    assert (app.report(first[2].id).detained, app.report(edited[2].id).detained) == (11, 1)


def test_another_delimiter_a_bom_or_spaces_change_no_key(app):
    semicolons = f"city;kind;count;time;description\nMoscow;detention;3;{DAY} 15:00;\"at the metro; then the bus\"\n"
    commas = (f"\ufeffcity , kind,count,time,description\r\n  Moscow ,detention, 3 ,{DAY} 15:00,"
              f"\"at the metro; then the bus\" \r\n")
    tabs = (f"city\tkind\tcount\tdate\ttime\tdescription\n"
            f"Moscow\tdetention\t3\t{DAY}\t15:00\tat the metro; then the bus\n")
    sheets = [sheet_of(app, text) for text in (semicolons, commas, tabs)]
    assert [s.delimiter for s in sheets] == [";", ",", "\t"]
    assert len({s.rows[0].report.client_ref for s in sheets}) == 1
    first, *again = imported(app, semicolons.encode(), commas.encode(), tabs.encode())
    assert [i.outcome for i in first] == ["stored"]
    assert [[i.outcome for i in done] for done in again] == [["already stored"], ["already stored"]]


def test_identical_rows_are_two_reports_and_importing_them_again_stores_neither(app):
    night = f"city,count,time\nPerm,2,{DAY} 16:00\nUfa,1,{DAY} 16:30\nPerm,2,{DAY} 16:00\n"
    # Again with the rows moved and the other one corrected: the two alike still match the two stored.
    edited = f"city,count,time\nPerm,2,{DAY} 16:00\nPerm,2,{DAY} 16:00\nUfa,5,{DAY} 16:30\n"
    first, again, moved = imported(app, night.encode(), night.encode(), edited.encode())
    assert [i.outcome for i in first] == ["stored"] * 3 and len({i.id for i in first}) == 3
    assert [i.outcome for i in again] == ["already stored"] * 3
    assert [i.outcome for i in moved] == ["already stored", "already stored", "stored"]
    assert {moved[0].id, moved[1].id} == {first[0].id, first[2].id}



CSV_TEXT = st.text(alphabet=st.sampled_from(list(",;\t\"\r\n :.-+Z0123456789Tabcityme\ufeffМоскваgород\x00\x85\u2028")),
                   max_size=300)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(CSV_TEXT.map(lambda t: "city,kind,count,time,description\n" + t),
                      CSV_TEXT, st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_the_reader_never_raises_only_reports_problems(pg_free_app, body):
    for data in (body.encode("utf-8", "surrogatepass"), body.encode("latin-1", "replace")):
        sheet = read_sheet(data, pg_free_app, channel=CHANNEL)
        for row in sheet.rows:
            assert (row.report is None) == bool(row.problems)
            assert all(isinstance(p, Problem) and p.message for p in row.problems)


# Without NUL (a binary file) and lone surrogates (not UTF-8): both are the file's problem, not a row's.
@given(cell=st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=40))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_cell_in_any_column_is_a_row_problem_at_worst(pg_free_app, cell):
    quoted = '"' + cell.replace('"', '""') + '"'
    for i in range(4):
        cells = ["Moscow", "detention", "3", f"{DAY} 10:00"]
        cells[i] = quoted
        sheet = read_sheet(("city,kind,count,time\n" + ",".join(cells) + "\n").encode("utf-8", "surrogatepass"),
                           pg_free_app, channel=CHANNEL)
        assert sheet.problem is None
        assert all((row.report is None) == bool(row.problems) for row in sheet.rows)
