"""Reading an uploaded table (CSV or XLSX) into rows of text, in memory (pure: no ORM)."""

import contextlib
import csv
import io
from collections.abc import Iterator

MAX_ROWS = 50_000


class TableError(ValueError):
    """The file cannot be read as a table."""


def read_rows(name: str, content: bytes) -> list[dict[str, str]]:
    """Rows keyed by the lower-cased, trimmed header. CSV may be UTF-8 with or without a BOM."""
    rows: list[list[str]] = []
    for values in _xlsx_rows(content) if name.lower().endswith(".xlsx") else _csv_rows(content):
        rows.append(values)
        if len(rows) > MAX_ROWS + 1:  # stop reading: a small compressed file can hold a huge sheet
            raise TableError(f"The file has more than {MAX_ROWS} rows.")
    if not rows:
        raise TableError("The file has no header row.")
    header = [cell.strip().lower() for cell in rows[0]]
    table = []
    for values in rows[1:]:
        if not any(value.strip() for value in values):
            continue
        table.append({key: (values[i].strip() if i < len(values) else "") for i, key in enumerate(header) if key})
    return table


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TableError("The file is not UTF-8 text: save it as CSV UTF-8.") from error
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):  # an undecidable sample is read as plain comma-separated
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    yield from csv.reader(io.StringIO(text), dialect)


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise TableError("The file is not a readable XLSX workbook.") from error
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(values_only=True):
        yield [
            "" if value is None else (value.date().isoformat() if hasattr(value, "date") else str(value))
            for value in row
        ]
    workbook.close()
