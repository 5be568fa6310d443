"""The one writer for every spreadsheet the platform hands out (.xlsx and .csv).

Cells hold what people typed (names, question stems, operation names, free-text notes), so a cell
that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return must never become a formula
(OWASP "CSV injection"):

* .xlsx: every text cell is written with the string data type, never the formula type, and text
  that begins with one of those characters also gets Excel's quote prefix, so editing the cell in
  Excel keeps it text. Numbers, dates and booleans keep their types.
* .csv: such text is prefixed with a single quote; numbers stay numbers. UTF-8 with a BOM, which
  Excel opens correctly in Chinese.

Exporters build an openpyxl ``Workbook`` from ``workbook()`` (styles, merges and widths as they
like) and turn it into bytes only through ``xlsx_bytes``; plain tables use ``table_xlsx`` or
``table_csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def is_risky(value) -> bool:
    return isinstance(value, str) and value.startswith(RISKY_PREFIXES)


def workbook():
    """A new (non write-only) openpyxl workbook: ``xlsx_bytes`` must see every cell before saving."""
    from openpyxl import Workbook

    return Workbook()


def defuse(wb) -> None:
    """Make every text cell of ``wb`` a string cell; none stays (or becomes) a formula."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str):
                    cell.data_type = "s"
                    if value.startswith(RISKY_PREFIXES):
                        cell.quotePrefix = True
                elif cell.data_type == "f":  # ArrayFormula and friends: never written by us
                    cell.value = str(value)
                    cell.data_type = "s"


def xlsx_bytes(wb) -> bytes:
    defuse(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_xlsx(header: list, rows, title: str = "Sheet1") -> bytes:
    wb = workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for row in rows:
        ws.append(row)
    return xlsx_bytes(wb)


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, Decimal)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(RISKY_PREFIXES) else text


def table_csv(header: list, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(v) for v in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")
