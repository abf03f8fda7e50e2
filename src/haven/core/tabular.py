"""Reading an uploaded table (CSV or XLSX) as rows of text, streamed and bounded (pure: no ORM).

A file is read for what it holds, never for what it says about itself: an XLSX sheet's declared dimension is
ignored, its zip entries are checked before a byte is inflated, and a CSV is decoded and split a chunk at a time.
Every limit below is enforced while reading, so that any upload is read in bounded memory and time: a small file
that claims or expands to a huge table is refused as soon as it crosses a limit, with a message naming the row
(and the column where known). Decision 13 gives the figures and why.
"""

import codecs
import contextlib
import csv
import io
import posixpath
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.parsers import expat

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAX_ROWS = 50_000  # rows of data, blank rows not counted
MAX_LINES = 1_048_576  # the last row a spreadsheet has: bounds the blank rows too
MAX_COLUMNS = 200
MAX_CELL = 10_000  # characters in one cell
MAX_ROW_CHARS = 100_000  # characters in one row (below the csv module's own field limit, 131,072)
MAX_HELD = 48 * 2**20  # bytes the rows read may hold in memory, measured as Python holds them

# XLSX: the zip archive and the parts of it that are read.
MAX_DIRECTORY = 2**20  # bytes of the zip's central directory (an XLSX has a few dozen entries)
MAX_SHEET = 256 * 2**20  # bytes of the sheet's XML once inflated
MAX_PART = 16 * 2**20  # bytes of any other part read (shared strings, styles, workbook, relationships)
MAX_RATIO = 100  # inflated / compressed size of a part over RATIO_FROM: spreadsheets compress 5 to 30 times
RATIO_FROM = 16 * 2**20  # a smaller part is parsed in a moment whatever its ratio
MAX_PENDING = 2**20  # bytes of XML without a complete tag or text: no spreadsheet has a tag that long

CHUNK = 2**16


class TableError(ValueError):
    """The file cannot be read as a table; the message says why, for the person who uploaded it."""


@dataclass(frozen=True)
class Table:
    """The header (lower-cased, trimmed) and the rows of data: each row's number as a spreadsheet shows it and its
    trimmed values, without trailing empty cells (a value past the end of a row is "")."""

    header: tuple[str, ...]
    rows: list[tuple[int, tuple[str, ...]]]

    def column(self, name: str) -> int | None:
        """Where the column named ``name`` is (the last one, when the header repeats a name)."""
        found = None
        for index, heading in enumerate(self.header):
            if heading == name:
                found = index
        return found


def read_table(stream: IO[bytes]) -> Table:
    """The table in an uploaded file: XLSX if it is a zip archive, else CSV (or tab-separated text), whatever its
    name. The first row that is not blank is the header; blank rows are skipped but keep their number."""
    budget = _Budget()
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    width = MAX_COLUMNS
    for line, values in _rows(stream, budget):
        row = tuple(map(str.strip, values[:width]))
        if row and not row[-1]:
            end = len(row) - 1
            while end and not row[end - 1]:
                end -= 1
            row = row[:end]
        if not row:
            continue
        if header is None:
            header = tuple(value.lower() for value in row)
            width = len(header)
            continue
        if len(rows) == MAX_ROWS:
            raise TableError(
                _("The file has more than %(limit)s rows of data (row %(row)s is one too many): split it.")
                % {"limit": _number(MAX_ROWS), "row": _number(line)}
            )
        budget.hold(line, row)
        rows.append((line, row))
    if header is None:
        raise TableError(_("The file has no header row."))
    return Table(header, rows)


def excerpt(value: str, limit: int = 40) -> str:
    """A value as a message may quote it: its beginning, when it is long."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


def _cell(row: int, column: int) -> dict[str, str]:
    # A spreadsheet's columns end at XFD; a CSV row can have more: those are named by their number.
    name = get_column_letter(column + 1) if column < 16_384 else _number(column + 1)
    return {"row": _number(row), "column": name}


class _Budget:
    """The bytes the rows read hold, counted as they are kept."""

    def __init__(self) -> None:
        self.held = 0

    def hold(self, line: int, values: tuple[str, ...]) -> None:
        # The row's tuple, the (number, values) pair around it and its place in the list, and its strings (single
        # characters are shared too, but counting them is cheaper than telling them apart).
        self.held += sys.getsizeof(values) + 100 + sum(map(sys.getsizeof, filter(None, values)))
        if self.held > MAX_HELD:
            self.check(line)

    def check(self, line: int | None) -> None:
        """Refuse the file once the budget is spent (``line`` is None while the workbook's texts are read)."""
        if self.held <= MAX_HELD:
            return
        if line is None:
            raise TableError(
                _("The workbook's texts take more than %(limit)s MB once read: split it into smaller files.")
                % {"limit": MAX_HELD // 2**20}
            )
        raise TableError(
            _(
                "The file holds more data than one import reads (%(limit)s MB once read, reached at row "
                "%(row)s): split it into smaller files."
            )
            % {"limit": MAX_HELD // 2**20, "row": _number(line)}
        )


def _rows(stream: IO[bytes], budget: _Budget) -> Iterator[tuple[int, list[str]]]:
    """Each row's number and values, lazily: at most MAX_COLUMNS values, each within MAX_CELL characters."""
    stream.seek(0)
    start = stream.read(8)
    stream.seek(0)
    if start.startswith(b"PK\x03\x04") or start.startswith(b"PK\x05\x06"):
        return _xlsx_rows(stream, budget)
    if start.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # an OLE file: .xls, or an encrypted workbook
        raise TableError(
            _("This is an old .xls workbook or a password-protected one: save it as .xlsx without a password.")
        )
    return _csv_rows(stream)


def _too_wide(row: int, column: int) -> TableError:
    return TableError(
        _("Row %(row)s has a value in column %(column)s: Haven reads at most %(limit)s columns (A to %(last)s).")
        % {**_cell(row, column), "limit": MAX_COLUMNS, "last": get_column_letter(MAX_COLUMNS)}
    )


def _too_long(row: int, column: int) -> TableError:
    return TableError(
        _("Row %(row)s, column %(column)s holds more than %(limit)s characters.")
        % {**_cell(row, column), "limit": _number(MAX_CELL)}
    )


def _row_too_long(row: int) -> TableError:
    return TableError(
        _("Row %(row)s holds more than %(limit)s characters (is a quotation mark left open?).")
        % {"row": _number(row), "limit": _number(MAX_ROW_CHARS)}
    )


def _too_many_lines() -> TableError:
    return TableError(_("The file has more than %(limit)s rows, blank ones included.") % {"limit": _number(MAX_LINES)})


# CSV ------------------------------------------------------------------------------------------------------------


def _csv_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    lines = _Lines(stream, _encoding(stream))
    delimiter = ","
    with contextlib.suppress(csv.Error):  # an undecidable sample is read as plain comma-separated
        delimiter = csv.Sniffer().sniff(lines.sample, delimiters=",;\t").delimiter
    # Only the delimiter is guessed: quotes are Excel's, doubled inside a quoted cell (the sniffer would guess
    # otherwise from a sample without one, and misread the rows after it).
    reader = csv.reader(lines, csv.excel, delimiter=delimiter, strict=True)
    row = 0
    while True:
        row += 1
        if row > MAX_LINES:
            raise _too_many_lines()
        lines.row, lines.chars = row, 0
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise TableError(
                _("Row %(row)s: a quotation mark opens a cell that is not closed properly.") % {"row": _number(row)}
            ) from None
        if len(values) > MAX_COLUMNS:
            last = max((i for i, value in enumerate(values) if value.strip()), default=-1)
            if last >= MAX_COLUMNS:
                raise _too_wide(row, last)
            values = values[:MAX_COLUMNS]
        if values and max(map(len, values)) > MAX_CELL:
            raise _too_long(row, next(i for i, value in enumerate(values) if len(value) > MAX_CELL))
        yield row, values


def _encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without a BOM) or UTF-16 with its BOM; otherwise Windows-1252, which is what Excel's plain
    "CSV" holds on Windows. UTF-8 is tried first by decoding the whole file once, a chunk at a time."""
    start = stream.read(4)
    stream.seek(0)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(CHUNK * 4):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        stream.seek(0)
    return "utf-8-sig"


class _Lines:
    """The decoded text's lines for the csv module, each ending with a line feed whichever convention the file
    uses (CR, LF or CRLF): the file is decoded a chunk at a time, and a row longer than MAX_ROW_CHARS or holding a
    NUL is refused before the csv module sees it. The reader sets ``row`` and ``chars`` at each row."""

    def __init__(self, stream: IO[bytes], encoding: str) -> None:
        self.stream = stream
        # UTF-8 was checked whole; a byte Windows-1252 leaves undefined, or a lone UTF-16 surrogate, becomes "�".
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self.decoder = io.IncrementalNewlineDecoder(decoder, translate=True)
        self.row = 1
        self.chars = 0
        self.first = self._read()
        self.sample = self.first[:4096]

    def _read(self) -> str:
        chunk = self.stream.read(CHUNK)
        return self.decoder.decode(chunk, final=not chunk)

    def __iter__(self) -> Iterator[str]:
        text, tail = self.first, ""
        self.first = ""
        while text:
            lines = (tail + text).split("\n")
            tail = lines.pop()
            for line in lines:
                self.chars += len(line) + 1
                if self.chars > MAX_ROW_CHARS:
                    raise _row_too_long(self.row)
                if "\x00" in line:
                    raise self._nul()
                yield line + "\n"
            if self.chars + len(tail) > MAX_ROW_CHARS:
                raise _row_too_long(self.row)
            text = self._read()
        if tail:
            if "\x00" in tail:
                raise self._nul()
            yield tail

    def _nul(self) -> TableError:
        return TableError(
            _("Row %(row)s holds a NUL character: this is not a text file. Save it as CSV UTF-8.")
            % {"row": _number(self.row)}
        )


# XLSX -----------------------------------------------------------------------------------------------------------

# Relationship types end the same in transitional and strict OOXML.
_OFFICE_DOCUMENT, _WORKSHEET, _SHARED_STRINGS, _STYLES = "/officeDocument", "/worksheet", "/sharedStrings", "/styles"


def _unreadable() -> TableError:
    return TableError(_("The file is not a readable XLSX workbook."))


def _xlsx_rows(stream: IO[bytes], budget: _Budget) -> Iterator[tuple[int, list[str]]]:
    _check_directory(stream)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise _unreadable() from None
    with archive:
        workbook = _related(archive, "", _OFFICE_DOCUMENT)
        relations = _relations(archive, workbook)
        sheet, epoch = _first_sheet(archive, workbook, relations)
        shared: list[str | None] = []
        styles = [path for kind, path in relations.values() if kind.endswith(_STYLES)]
        dates = _date_styles(archive, styles[0]) if styles else frozenset()
        for kind, path in relations.values():
            if kind.endswith(_SHARED_STRINGS):
                shared = _shared_strings(archive, path, budget)
        yield from _Sheet(shared, dates, epoch).rows(_open(archive, sheet, MAX_SHEET))


def _check_directory(stream: IO[bytes]) -> None:
    """Refuse a zip whose central directory is larger than an XLSX's, before zipfile reads it whole (each entry
    costs a few hundred bytes once read: a 20 MB directory of empty entries would take gigabytes)."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - 65_557))  # the end record and the longest comment after it
    tail = stream.read()
    stream.seek(0)
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        raise _unreadable()
    directory = int.from_bytes(tail[end + 12 : end + 16], "little")
    locator = end - 20  # a zip64 end record, when there is one, gives the directory's size instead
    if locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        directory = MAX_DIRECTORY + 1  # an XLSX is never that large: zip64 is refused
    if directory > MAX_DIRECTORY:
        raise TableError(_("The file is a zip archive with more entries than an XLSX workbook has: it is not read."))


def _open(archive: zipfile.ZipFile, name: str, limit: int) -> IO[bytes]:
    """A part of the archive, once its declared sizes are checked (zipfile never inflates beyond the declared
    size: data past it fails the checksum)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise _unreadable() from None
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _unreadable()  # encrypted, or compressed as no XLSX is (bzip2 or lzma inflate without a bound)
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limit or (info.file_size > RATIO_FROM and ratio > MAX_RATIO):
        raise TableError(
            _(
                "The workbook's part %(part)s would inflate to %(size)s MB (%(ratio)s times its compressed size): "
                "it is not read. Save the sheet again, or as CSV."
            )
            % {"part": excerpt(name), "size": _number(info.file_size // 2**20), "ratio": _number(int(ratio))}
        )
    try:
        return archive.open(info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        raise _unreadable() from None


class _Parser:
    """An expat parser fed a part's bytes a chunk at a time, that refuses what a spreadsheet never holds: a DTD
    (and with it every entity expansion), and more than MAX_PENDING bytes without a complete tag or text."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.fed = 0
        self.event = 0  # bytes fed when the last tag or text was seen: handlers set it

    @staticmethod
    def _doctype(*_args: Any) -> None:
        raise TableError(_("The workbook holds XML declarations a spreadsheet never has: it is not read."))

    def feed(self, part: IO[bytes], error: Callable[[], TableError]) -> Iterator[None]:
        """Parse ``part``, yielding after each chunk so that the caller can hand on what the handlers found;
        ``error`` makes the message for a part that cannot be read."""
        try:
            while chunk := part.read(CHUNK):
                self.fed += len(chunk)
                self.parser.Parse(chunk, False)
                if self.fed - self.event > MAX_PENDING:
                    raise error()
                yield
            self.parser.Parse(b"", True)
            yield
        except TableError:
            raise
        except (expat.ExpatError, zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError):
            raise error() from None
        finally:
            part.close()


def _local(name: str) -> str:
    return name[name.rfind(" ") + 1 :]


def _walk(
    archive: zipfile.ZipFile,
    name: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
) -> None:
    """Call ``start`` (and ``end``) with each element's local name of a small part, in document order."""
    parser = _Parser()

    def on_start(tag: str, attributes: dict[str, str]) -> None:
        parser.event = parser.fed
        start(_local(tag), attributes)

    def on_end(tag: str) -> None:
        parser.event = parser.fed
        if end is not None:
            end(_local(tag))

    parser.parser.StartElementHandler = on_start
    parser.parser.EndElementHandler = on_end
    for _chunk in parser.feed(_open(archive, name, MAX_PART), _unreadable):
        pass


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, path of the target part) of ``part`` ("" for the package itself)."""
    folder, file_name = posixpath.split(part)
    relations: dict[str, tuple[str, str]] = {}

    def start(tag: str, attributes: dict[str, str]) -> None:
        target = attributes.get("Target", "")
        if tag != "Relationship" or attributes.get("TargetMode") == "External" or not 0 < len(target) < 1000:
            return
        if len(relations) == 10_000:
            raise _unreadable()
        path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        relations[excerpt(attributes.get("Id", ""), 100)] = (
            excerpt(attributes.get("Type", ""), 200),
            posixpath.normpath(path),
        )

    _walk(archive, posixpath.join(folder, "_rels", file_name + ".rels"), start)
    return relations


def _related(archive: zipfile.ZipFile, part: str, kind: str) -> str:
    for relation, path in _relations(archive, part).values():
        if relation.endswith(kind):
            return path
    raise _unreadable()


def _first_sheet(archive: zipfile.ZipFile, workbook: str, relations: dict[str, tuple[str, str]]) -> tuple[str, Any]:
    """The path of the workbook's first worksheet and the workbook's date epoch."""
    found: dict[str, Any] = {"sheet": None, "epoch": CALENDAR_WINDOWS_1900}

    def start(tag: str, attributes: dict[str, str]) -> None:
        if tag == "workbookPr" and attributes.get("date1904", "").lower() in ("1", "true"):
            found["epoch"] = CALENDAR_MAC_1904
        elif tag == "sheet" and found["sheet"] is None:
            relation = next((value for key, value in attributes.items() if key.endswith("relationships id")), "")
            kind, path = relations.get(relation, ("", ""))
            if kind.endswith(_WORKSHEET):
                found["sheet"] = path

    _walk(archive, workbook, start)
    if found["sheet"] is None:
        raise TableError(_("The workbook has no worksheet."))
    return found["sheet"], found["epoch"]


def _date_styles(archive: zipfile.ZipFile, name: str) -> frozenset[int]:
    """The cell styles (indices into cellXfs) whose number format shows a date."""
    formats: dict[str, str] = {str(key): value for key, value in BUILTIN_FORMATS.items()}
    cell_formats: list[str] = []
    within = [""]  # the list being read: numFmts or cellXfs

    def start(tag: str, attributes: dict[str, str]) -> None:
        if tag in ("numFmts", "cellXfs", "cellStyleXfs", "dxfs"):
            within[0] = tag
        elif tag == "numFmt" and within[0] == "numFmts" and len(formats) < 100_000:
            formats[excerpt(attributes.get("numFmtId", ""), 10)] = excerpt(attributes.get("formatCode", ""), 300)
        elif tag == "xf" and within[0] == "cellXfs":
            if len(cell_formats) == 100_000:
                raise _unreadable()
            cell_formats.append(excerpt(attributes.get("numFmtId", "0"), 10))

    def end(tag: str) -> None:
        if tag == within[0]:
            within[0] = ""

    _walk(archive, name, start, end)
    return frozenset(index for index, format_id in enumerate(cell_formats) if is_date_format(formats.get(format_id)))


def _shared_strings(archive: zipfile.ZipFile, name: str, budget: _Budget) -> list[str | None]:
    """The workbook's shared strings, counted in the budget as they are read; one longer than MAX_CELL is kept as
    None, refused only if a cell uses it (its row is known then)."""
    strings: list[str | None] = []
    parts: list[str] = []
    state = {"text": False, "phonetic": 0, "length": 0}
    parser = _Parser()

    def start(tag: str, _attributes: dict[str, str]) -> None:
        parser.event = parser.fed
        tag = _local(tag)
        if tag == "si":
            parts.clear()
            state["length"] = 0
        elif tag == "t":
            state["text"] = not state["phonetic"]
        elif tag == "rPh":  # a phonetic guide: not part of the text
            state["phonetic"] += 1

    def text(data: str) -> None:
        parser.event = parser.fed
        if state["text"]:
            state["length"] += len(data)
            if state["length"] <= MAX_CELL:
                parts.append(data)

    def end(tag: str) -> None:
        parser.event = parser.fed
        tag = _local(tag)
        if tag == "t":
            state["text"] = False
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "si":
            value = "".join(parts) if state["length"] <= MAX_CELL else None
            strings.append(value)
            budget.held += 8 + (sys.getsizeof(value) if value else 0)

    parser.parser.StartElementHandler = start
    parser.parser.CharacterDataHandler = text
    parser.parser.EndElementHandler = end
    for _chunk in parser.feed(_open(archive, name, MAX_PART), _unreadable):
        budget.check(None)
    return strings


class _Sheet:
    """A worksheet's rows, parsed as its XML is inflated. Cells are placed by their reference (in any order, with
    gaps), the sheet's declared dimension is ignored, and rows must come in order, as every spreadsheet writes
    them."""

    def __init__(self, shared: list[str | None], dates: frozenset[int], epoch: Any) -> None:
        self.shared, self.dates, self.epoch = shared, dates, epoch
        self.xml = _Parser()
        self.xml.parser.StartElementHandler = self._start
        self.xml.parser.EndElementHandler = self._end
        self.xml.parser.CharacterDataHandler = self._text
        self.ready: list[tuple[int, list[str]]] = []
        self.row = 0
        self.in_row = False
        self.values: list[str] = []
        self.chars = 0
        self.column = -1
        self.kind = ""
        self.style = ""
        self.text: list[str] = []
        self.length = 0
        self.collect = False
        self.phonetic = 0

    def rows(self, part: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
        for _chunk in self.xml.feed(part, self._malformed):
            yield from self.ready
            self.ready.clear()

    def _malformed(self) -> TableError:
        if not self.row:
            return TableError(_("The sheet cannot be read: its XML is malformed."))
        return TableError(
            _("The sheet cannot be read after row %(row)s: its XML is malformed.") % {"row": _number(self.row)}
        )

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        self.xml.event = self.xml.fed
        tag = tag[tag.rfind(" ") + 1 :]
        if tag == "c":
            if not self.in_row:
                return
            reference = attributes.get("r")
            self.column = self._column(reference) if reference else self.column + 1
            self.kind = attributes.get("t", "n")
            self.style = attributes.get("s", "")
            self.text = []
            self.length = 0
        elif tag == "v":
            self.collect = self.in_row
        elif tag == "t":
            self.collect = self.in_row and self.kind == "inlineStr" and not self.phonetic
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "row":
            number = attributes.get("r")
            row = int(number) if number and number.isascii() and number.isdigit() and len(number) <= 7 else self.row + 1
            if row <= self.row:
                raise TableError(
                    _("Row %(row)s comes after row %(previous)s in the sheet: open it and save it again.")
                    % {"row": _number(row), "previous": _number(self.row)}
                )
            if row > MAX_LINES:
                raise _too_many_lines()
            self.row, self.in_row, self.values, self.chars, self.column = row, True, [], 0, -1

    def _column(self, reference: str) -> int:
        """The column of a reference such as "AB12" (its digits are the row's, which the row already gave)."""
        letters = reference.rstrip("0123456789").upper()
        if not letters or len(letters) > 3 or not letters.isascii() or not letters.isalpha():
            raise TableError(
                _("Row %(row)s: the cell reference “%(reference)s” is not valid.")
                % {"row": _number(self.row), "reference": excerpt(reference)}
            )
        column = 0
        for letter in letters:
            column = column * 26 + ord(letter) - 64
        return column - 1

    def _text(self, data: str) -> None:
        self.xml.event = self.xml.fed
        if self.collect:
            self.length += len(data)
            if self.length > MAX_CELL:
                raise _too_long(self.row, self.column)
            self.text.append(data)

    def _end(self, tag: str) -> None:
        self.xml.event = self.xml.fed
        tag = tag[tag.rfind(" ") + 1 :]
        if tag in ("v", "t"):
            self.collect = False
        elif tag == "c" and self.in_row:
            value = self._value()
            if not value:
                return
            if self.column >= MAX_COLUMNS:
                raise _too_wide(self.row, self.column)
            self.chars += len(value)
            if self.chars > MAX_ROW_CHARS:
                raise _row_too_long(self.row)
            if self.column >= len(self.values):
                self.values.extend([""] * (self.column + 1 - len(self.values)))
            self.values[self.column] = value
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "row":
            self.in_row = False
            self.ready.append((self.row, self.values))

    def _value(self) -> str:
        text = "".join(self.text)
        if not text:
            return ""
        if self.kind == "s":
            index = int(text) if text.isascii() and text.strip().isdigit() and len(text) < 10 else -1
            if not 0 <= index < len(self.shared):
                raise TableError(
                    _("Row %(row)s, column %(column)s refers to a text the workbook does not hold.")
                    % _cell(self.row, self.column)
                )
            shared = self.shared[index]
            if shared is None:
                raise _too_long(self.row, self.column)
            return shared
        if self.kind == "b":
            return "True" if text.strip() in ("1", "true") else "False"
        if self.kind in ("inlineStr", "str", "e", "d"):
            return text
        return self._numeric(text)

    def _numeric(self, text: str) -> str:
        """A number as openpyxl reads it (whole numbers without a decimal point), or the date its style shows."""
        try:
            number: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            return text
        if self.style.isascii() and self.style.isdigit() and len(self.style) < 10 and int(self.style) in self.dates:
            try:
                moment = from_excel(float(number), self.epoch)
            except (ValueError, OverflowError, ArithmeticError):
                return text
            return moment.date().isoformat() if hasattr(moment, "date") else str(moment)
        return str(number)
