"""The one reader for every uploaded table (.xlsx or CSV): rosters, certificates, questions, attendance.

A hostile file is refused with one clear Chinese message, quickly and in bounded memory, before any
row reaches an import:

* a byte-size limit on the upload itself;
* for .xlsx, the zip directory is checked before anything is parsed: number of parts, declared
  uncompressed sizes (in total, per part and for the shared-strings table) and compression ratios
  (zip bombs). Python's zipfile never inflates a part beyond its declared size, so the declared
  sizes bound the work;
* XML parts that declare a DTD or entities are refused (billion laughs); openpyxl additionally
  parses through defusedxml;
* rows and columns are capped by what is actually present, checked while streaming: the declared
  ``<dimension>`` is discarded (``reset_dimensions``), so openpyxl's read-only mode no longer pads
  every row to the declared width, and reading stops at the first cell beyond the caps;
* a cell budget and a wall-clock budget bound everything else;
* CSV is read as UTF-8 (with or without BOM) or GB18030 (a superset of GBK).

Why openpyxl and not python-calamine: on a 1.5 KB file declaring ``A1:ZZ100000`` with one cell at
ZZ100000, python-calamine 0.9.1 builds the dense range before the first row is returned (4.2 s and
2.2 GB resident); openpyxl in read-only mode with the dimension reset streams it in milliseconds
with a peak below 1 MB, and the caps below stop it at the first row past the limit.

Cell values keep their type: text (stripped), int (integral numbers), float, date/datetime, bool.
Identifier columns depend on this: a numeric ID-number cell has lost digits in Excel and is
refused by ``accounts.validators`` instead of being turned into text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * MB
    max_rows: int = 10_000  # data rows, after the header
    max_columns: int = 64
    max_cells: int = 400_000  # non-empty cells
    seconds: float = 5.0
    max_parts: int = 500  # zip members
    max_uncompressed: int = 80 * MB  # all parts together, as declared in the zip directory
    max_part: int = 60 * MB  # any one part
    max_shared_strings: int = 8 * MB  # any XML part other than a sheet (shared strings, styles): held in memory
    max_ratio: int = 150  # uncompressed / compressed, for parts above 1 MB


DEFAULT_LIMITS = Limits()


class TableError(ValidationError):
    """The file as a whole cannot be read; nothing was imported."""


def _mb(n: int) -> int:
    return max(1, n // MB)


def read_bytes(source, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, str]:
    """(content, file name) of an upload, a path or bytes, refusing oversize files before reading them whole."""
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), ""
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if path.stat().st_size > limits.max_bytes:
            raise TableError(_("文件过大（上限 %(mb)d MB），请拆分后分批上传。") % {"mb": _mb(limits.max_bytes)})
        data, name = path.read_bytes(), path.name
    else:
        name = getattr(source, "name", "") or ""
        size = getattr(source, "size", None)
        if size and size > limits.max_bytes:
            raise TableError(_("文件过大（上限 %(mb)d MB），请拆分后分批上传。") % {"mb": _mb(limits.max_bytes)})
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise TableError(_("文件过大（上限 %(mb)d MB），请拆分后分批上传。") % {"mb": _mb(limits.max_bytes)})
    return data, str(name)


def read_rows(source, *, filename: str = "", limits: Limits = DEFAULT_LIMITS) -> list[tuple[int, list]]:
    """(sheet row number, cell values) for every row of the first sheet that has a value, header included."""
    data, name = read_bytes(source, limits)
    name = (filename or name).lower()
    if not data.strip():
        raise TableError(_("文件是空的。"))
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data, limits)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise TableError(_("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后重新上传。"))
    if name.endswith((".xlsx", ".xlsm")):
        raise TableError(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏或只是改了扩展名。"))
    if name and not name.endswith((".csv", ".txt")):
        raise TableError(_("只支持 Excel（.xlsx）或 CSV 文件。"))
    return _csv_rows(data, limits)


def read_table(source, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...], *, filename: str = "",
               limits: Limits = DEFAULT_LIMITS) -> list[dict]:
    """Rows as dicts keyed by the canonical names of ``aliases`` (key → accepted header texts) plus
    ``_row`` (the sheet row number). The first row with a value is the header."""
    raw = read_rows(source, filename=filename, limits=limits)
    if not raw:
        raise TableError(_("文件是空的。"))
    lookup = {}
    for key, names in aliases.items():
        for n in (key, *names):
            lookup[clean_header(n)] = key
    header = [lookup.get(clean_header(h), "") for h in raw[0][1]]
    missing = [aliases[k][0] if aliases[k] else k for k in required if k not in header]
    if missing:
        raise TableError(_("缺少必需的列：%(cols)s。第一行须为表头。") % {"cols": "、".join(missing)})
    rows = []
    for number, values in raw[1:]:
        row: dict = {"_row": number}
        for key, value in zip(header, values):
            if key:
                row[key] = value
        rows.append(row)
    return rows


def clean_header(value) -> str:
    return "".join(cell_text(value).split()).lower()


def cell_text(value) -> str:
    """A cell as text for free-text columns (never for identifiers: see accounts.validators)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if not (value.hour or value.minute or value.second) else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _value(value):
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


class _Budget:
    def __init__(self, limits: Limits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.cells = 0
        self.rows: list[tuple[int, list]] = []

    def add(self, number: int, values) -> None:
        limits = self.limits
        last = -1
        for i, v in enumerate(values):
            if v is not None and v != "":
                last = i
        if last < 0:
            return
        if last >= limits.max_columns:
            raise TableError(_("文件的列数超过上限（%(n)d 列），请只保留需要的列。") % {"n": limits.max_columns})
        # the header plus max_rows data rows are already here, or a value sits far below any real table
        if len(self.rows) > limits.max_rows or number > 2 * limits.max_rows + 1000:
            raise TableError(_("文件的行数超过上限（%(n)d 行），请拆分后分批上传。") % {"n": limits.max_rows})
        row = [_value(v) for v in values[: last + 1]]
        self.cells += sum(1 for v in row if v is not None and v != "")
        if self.cells > limits.max_cells:
            raise TableError(_("文件的单元格数超过上限（%(n)d 个），请拆分后分批上传。") % {"n": limits.max_cells})
        self.rows.append((number, row))

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TableError(_("文件读取超时，请检查文件内容或拆分后分批上传。"))


def _check_zip(data: bytes, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise TableError(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏或只是改了扩展名。")) from None
    suspicious = _("文件结构异常（压缩内容过大或压缩比异常），已拒绝读取。")
    if len(infos) > limits.max_parts:
        raise TableError(suspicious)
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > limits.max_part or total > limits.max_uncompressed:
            raise TableError(suspicious)
        if size > MB and size > limits.max_ratio * max(info.compress_size, 1):
            raise TableError(suspicious)
        lower = info.filename.lower()
        if lower.endswith((".xml", ".rels")) and "worksheets/" not in lower and size > limits.max_shared_strings:
            raise TableError(suspicious)  # shared strings, styles, workbook: parsed into memory whole
    with archive:
        for info in infos:
            if info.is_dir() or info.flag_bits & 0x1:  # encrypted parts cannot be read anyway
                continue
            try:
                with archive.open(info) as part:
                    head = part.read(4096)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
                raise TableError(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏或只是改了扩展名。")) from None
            if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
                head = head.decode("utf-16", "ignore").encode()
            upper = head.upper()
            if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
                raise TableError(_("文件包含不允许的 XML 声明（DTD/实体），已拒绝读取。"))


def _xlsx_rows(data: bytes, limits: Limits) -> list[tuple[int, list]]:
    _check_zip(data, limits)
    from openpyxl import load_workbook

    budget = _Budget(limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except TableError:
        raise
    except Exception:  # noqa: BLE001 - any parse failure of an untrusted file is the user's file error
        raise TableError(_("无法读取 Excel 文件，请确认是用 Excel 或 WPS 保存的 .xlsx 文件。")) from None
    try:
        if not workbook.worksheets:
            raise TableError(_("文件是空的。"))
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # never trust <dimension>: rows are as wide as their cells
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number % 512 == 0:
                budget.tick()
            if values:
                budget.add(number, values)
        budget.tick()
    except TableError:
        raise
    except Exception:  # noqa: BLE001 - malformed sheet XML, bad shared-string index, forbidden entity …
        raise TableError(_("无法读取 Excel 文件，请确认是用 Excel 或 WPS 保存的 .xlsx 文件。")) from None
    finally:
        workbook.close()
    return budget.rows


def _csv_rows(data: bytes, limits: Limits) -> list[tuple[int, list]]:
    if b"\x00" in data[:65536]:
        raise TableError(_("文件不是文本格式的 CSV，请上传 Excel（.xlsx）或 CSV 文件。"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(_("无法识别 CSV 文件的编码（请保存为 UTF-8 或 GBK/GB18030）。"))
    budget = _Budget(limits)
    reader = csv.reader(io.StringIO(text))
    try:
        for number, values in enumerate(reader, start=1):
            if number % 512 == 0:
                budget.tick()
            budget.add(number, values)
    except csv.Error:
        raise TableError(_("CSV 文件格式有误（第 %(n)d 行附近），请检查引号和分隔符。") % {"n": reader.line_num}) from None
    budget.tick()
    return budget.rows
