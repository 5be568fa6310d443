"""Reading uploaded spreadsheets (xlsx or CSV) into rows keyed by normalised column names."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _clean_header(value) -> str:
    return str(value or "").strip().replace(" ", "").replace("\u3000", "").lower()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(upload, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> list[dict]:
    """Rows as dicts with the canonical keys of ``aliases`` plus ``_row`` (the spreadsheet row
    number). Raises ValidationError (Chinese) for an unreadable file or missing columns."""
    name = (getattr(upload, "name", "") or "").lower()
    if getattr(upload, "size", 0) and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("文件过大（上限10MB）。"))
    data = upload.read()
    if name.endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        raw_rows = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")) or not name:
        raw_rows = _csv_rows(data)
    else:
        raise ValidationError(_("只支持 Excel（.xlsx）或 CSV 文件。"))
    if not raw_rows:
        raise ValidationError(_("文件是空的。"))
    lookup = {}
    for key, names in aliases.items():
        for n in (key, *names):
            lookup[_clean_header(n)] = key
    header = [lookup.get(_clean_header(h), "") for h in raw_rows[0]]
    missing = [aliases[k][0] if aliases[k] else k for k in required if k not in header]
    if missing:
        raise ValidationError(_("缺少必需的列：%(cols)s。第一行须为表头。") % {"cols": "、".join(missing)})
    rows = []
    for number, raw in enumerate(raw_rows[1:], start=2):
        values = [_cell(v) for v in raw]
        if not any(v not in ("", None) for v in values):
            continue
        row = {"_row": number}
        for key, value in zip(header, values):
            if key:
                row[key] = value
        rows.append(row)
    return rows


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a user error here
        raise ValidationError(_("无法读取 Excel 文件：%(e)s") % {"e": exc.__class__.__name__}) from None
    sheet = workbook.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def _csv_rows(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("无法识别 CSV 文件的编码（请使用 UTF-8 或 GBK）。"))
    return [row for row in csv.reader(io.StringIO(text))]


def write_xlsx(header: list[str], rows: list[list], title: str = "Sheet1") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
