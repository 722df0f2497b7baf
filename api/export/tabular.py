"""The rows as CSV (plain, or for a Russian-locale Excel) and as an .xlsx workbook."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from api.export.rows import COLUMNS, Row, hxl_row

# Excel reads a CSV as UTF-8 only after a byte-order mark, and splits it on the locale's list
# separator, which is ";" wherever the decimal mark is "," (Russia among them).
EXCEL_BOM = "\ufeff"


def to_csv(rows: Iterable[Row], kind: str, *, hxl: bool = False, excel: bool = False) -> bytes:
    out = io.StringIO()
    if excel:
        out.write(EXCEL_BOM)
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n")
    writer.writerow(COLUMNS)
    if hxl:
        writer.writerow(hxl_row(kind))
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def to_xlsx(rows: Iterable[Row], kind: str, *, about: list[tuple[str, str]], hxl: bool = False) -> bytes:
    """A workbook written row by row (openpyxl's write-only mode keeps no cell objects around):
    numbers as numbers and days as dates, so any locale's Excel or LibreOffice reads them as such."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("counts")
    sheet.freeze_panes = "A3" if hxl else "A2"
    sheet.append(COLUMNS)
    if hxl:
        sheet.append(hxl_row(kind))
    for row in rows:
        day = WriteOnlyCell(sheet, value=row.day)
        day.number_format = "yyyy-mm-dd"
        sheet.append([day, *row[1:]])
    notes = book.create_sheet("about")
    for name, value in about:
        notes.append([name, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
