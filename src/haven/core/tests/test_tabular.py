"""The upload reader: every line-ending convention and the encodings Excel writes, XLSX however its cells come;
every malformed or hostile file refused with a message naming the row, in bounded memory; fuzzed."""

import base64
import io
import random
import zipfile
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from haven.core import tabular
from haven.core.tabular import MAX_CELL, MAX_COLUMNS, MAX_ROWS, Table, TableError

from .uploads import (
    MAIN,
    PEAK,
    csv_files,
    dimension_bomb,
    inflating_part,
    package,
    peak_of,
    random_packages,
    shared_strings,
    sheet,
    xlsx_files,
)

UPLOAD = 20 * 2**20


def _read(content: bytes) -> Table:
    return tabular.read_table(io.BytesIO(content))


def _refused(content: bytes) -> str:
    with pytest.raises(TableError) as caught:
        _read(content)
    return str(caught.value)


def _peak(content: bytes) -> tuple[Table | str, int]:
    """What reading ``content`` gives (a table or the message) and the most memory it held at once."""
    return peak_of(lambda: tabular.read_table(io.BytesIO(content)))


# CSV ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_reads_the_same(end: str) -> None:
    text = end.join(["Email,Completed_on", "a@example.org,2025-01-15", "", '"b, quoted",2025-01-16', ""])
    table = _read(text.encode())
    assert table.header == ("email", "completed_on")
    assert table.rows == [(2, ("a@example.org", "2025-01-15")), (4, ("b, quoted", "2025-01-16"))]


def test_a_quoted_cell_keeps_its_line_break_and_stays_one_row() -> None:
    table = _read(b'email,note\r\na@example.org,"two\r\nlines"\r\nb@example.org,one\r\n')
    assert table.rows == [(2, ("a@example.org", "two\nlines")), (3, ("b@example.org", "one"))]


def test_utf8_with_or_without_a_bom_windows_1252_and_utf16_read_alike() -> None:
    text = "email;nom\nhelene@example.org;Hélène Œuvre “dite” 5 €\n"
    contents = [
        text.encode("utf-8"),
        ("\ufeff" + text).encode("utf-8"),
        text.encode("cp1252"),  # Excel's plain "CSV" on Windows
        text.replace(";", "\t").encode("utf-16"),  # Excel's "Unicode text"
    ]
    for content in contents:
        table = _read(content)
        assert table.header == ("email", "nom")
        assert table.rows == [(2, ("helene@example.org", "Hélène Œuvre “dite” 5 €"))]


def test_a_nul_byte_names_its_row() -> None:
    assert _refused(b"email,n\r\nok@example.org,1\r\nbad\x00@example.org,2\r\n") == (
        "Row 3 holds a NUL character: this is not a text file. Save it as CSV UTF-8."
    )


def test_an_unclosed_quote_names_its_row() -> None:
    message = "Row 3: a quotation mark opens a cell that is not closed properly."
    assert _refused(b'email,n\nok@example.org,1\n"open@example.org,2\nnext@example.org,3\n') == message
    assert _refused(b'email,n\nok@example.org,1\n"closed"then more,2\n') == message


def test_a_field_longer_than_the_csv_modules_own_limit_names_its_row() -> None:
    assert _refused(b"email,n\nok@example.org,1\n" + b"x" * 140_000 + b",2\n") == (
        "Row 3 holds more than 100,000 characters (is a quotation mark left open?)."
    )


def test_a_cell_over_the_limit_names_its_row_and_column() -> None:
    assert _refused(b"email,note\nok@example.org,1\nb@example.org," + b"x" * (MAX_CELL + 1) + b"\n") == (
        "Row 3, column B holds more than 10,000 characters."
    )


def test_a_header_wider_than_the_limit_is_refused_naming_the_column() -> None:
    header = ",".join("x" * 16_384)
    assert _refused(f"{header}\n1,2\n".encode()) == (
        "Row 1 has a value in column XFD: Haven reads at most 200 columns (A to GR)."
    )


def test_a_column_past_the_last_a_spreadsheet_has_is_named_by_its_number() -> None:
    assert _refused(",".join("x" * 30_000).encode()) == (
        "Row 1 has a value in column 30,000: Haven reads at most 200 columns (A to GR)."
    )


def test_empty_cells_past_the_header_are_not_columns() -> None:
    table = _read(b"email,n" + b"," * 5_000 + b"\nok@example.org,1" + b"," * 5_000 + b"\n")
    assert table.header == ("email", "n")
    assert table.rows == [(2, ("ok@example.org", "1"))]


def test_rows_beyond_the_limit_are_refused_naming_the_first_one_too_many() -> None:
    content = b"email\n" + b"a@example.org\n" * (MAX_ROWS + 1)
    assert _refused(content) == "The file has more than 50,000 rows of data (row 50,002 is one too many): split it."
    assert len(_read(b"email\n" + b"a@example.org\n" * MAX_ROWS).rows) == MAX_ROWS


def test_a_file_without_a_header_is_refused() -> None:
    assert _refused(b"") == "The file has no header row."
    assert _refused(b"\r\n ,  ,\r\n") == "The file has no header row."


# XLSX -----------------------------------------------------------------------------------------------------------


def _workbook(*rows: list[object]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_excel_workbook_reads_as_its_cells_show() -> None:
    content = _workbook(
        ["Email", "Completed_on", "Minutes", "Score", "Present"],
        ["a@example.org", date(2025, 2, 10), 60, 2.5, True],
        [],
        [" b@example.org ", datetime(2025, 2, 11, 14, 30), None, 0, False],  # noqa: DTZ001 - cells have no zone
    )
    table = _read(content)
    assert table.header == ("email", "completed_on", "minutes", "score", "present")
    assert table.rows == [
        (2, ("a@example.org", "2025-02-10", "60", "2.5", "True")),
        (4, ("b@example.org", "2025-02-11", "", "0", "False")),
    ]


def test_cells_are_placed_by_their_reference_in_any_order_with_gaps() -> None:
    rows = (
        "<row r='1'><c r='C1' t='inlineStr'><is><t>score</t></is></c>"
        "<c r='A1' t='inlineStr'><is><t>email</t></is></c></row>"
        "<row r='5'><c r='C5'><v>3</v></c><c r='A5' t='inlineStr'><is><t>a@example.org</t></is></c></row>"
        "<row><c t='inlineStr'><is><t>b@example.org</t></is></c><c/><c><v>1E3</v></c></row>"
    )
    table = _read(package(sheet(rows, dimension="A1:XFD1048576")))
    assert table.header == ("email", "", "score")
    assert table.rows == [(5, ("a@example.org", "", "3")), (6, ("b@example.org", "", "1000.0"))]


def test_rich_text_and_phonetic_guides_and_the_1904_calendar() -> None:
    strings = (
        f"<sst xmlns='{MAIN}'><si><t>email</t></si><si><t>on</t></si>"
        "<si><r><rPr><b/></rPr><t>a@</t></r><r><t>example.org</t></r><rPh sb='0' eb='1'><t>ignored</t></rPh></si></sst>"
    )
    styles = (
        f"<styleSheet xmlns='{MAIN}'><numFmts count='1'><numFmt numFmtId='164' formatCode='dd/mm/yyyy'/></numFmts>"
        "<cellStyleXfs count='1'><xf numFmtId='0'/></cellStyleXfs>"
        "<cellXfs count='2'><xf numFmtId='0'/><xf numFmtId='164'/></cellXfs></styleSheet>"
    )
    rows = (
        "<row r='1'><c t='s'><v>0</v></c><c t='s'><v>1</v></c></row>"
        "<row r='2'><c t='s'><v>2</v></c><c s='1'><v>1</v></c></row>"
    )
    content = package(sheet(rows), strings=strings, styles=styles, workbook_pr="<workbookPr date1904='1'/>")
    assert _read(content).rows == [(2, ("a@example.org", "1904-01-02"))]


def test_rows_out_of_order_are_refused_naming_them() -> None:
    rows = "<row r='1'><c><v>1</v></c></row><row r='3'><c><v>3</v></c></row><row r='2'><c><v>2</v></c></row>"
    assert _refused(package(sheet(rows))) == ("Row 2 comes after row 3 in the sheet: open it and save it again.")


def test_a_value_beyond_the_column_limit_names_its_cell() -> None:
    rows = "<row r='1'><c r='A1'><v>1</v></c><c r='XFD1' t='inlineStr'><is><t>far</t></is></c></row>"
    assert _refused(package(sheet(rows))) == (
        "Row 1 has a value in column XFD: Haven reads at most 200 columns (A to GR)."
    )


def test_a_cell_over_the_limit_names_its_row_and_column_in_a_workbook() -> None:
    long = "x" * (MAX_CELL + 1)
    inline = (
        "<row r='1'><c t='inlineStr'><is><t>a</t></is></c></row>"
        f"<row r='2'><c r='B2' t='inlineStr'><is><t>{long}</t></is></c></row>"
    )
    assert _refused(package(sheet(inline))) == "Row 2, column B holds more than 10,000 characters."
    shared = "<row r='1'><c t='s'><v>0</v></c></row><row r='7'><c r='C7' t='s'><v>1</v></c></row>"
    content = package(sheet(shared), strings=shared_strings(["a", long]))
    assert _refused(content) == "Row 7, column C holds more than 10,000 characters."


def test_a_cell_naming_a_missing_shared_string_names_its_cell() -> None:
    content = package(
        sheet("<row r='1'><c t='s'><v>0</v></c><c t='s'><v>9</v></c></row>"), strings=shared_strings(["a"])
    )
    assert _refused(content) == "Row 1, column B refers to a text the workbook does not hold."


def test_a_document_type_declaration_is_refused_before_any_entity_expands() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
        f"<worksheet xmlns='{MAIN}'><sheetData><row><c t='inlineStr'><is><t>&lol2;</t></is></c></row>"
        "</sheetData></worksheet>"
    )
    assert _refused(package(laughs)) == ("The workbook holds XML declarations a spreadsheet never has: it is not read.")


def test_malformed_sheet_xml_names_the_last_row_read() -> None:
    rows = "<row r='1'><c><v>1</v></c></row><row r='2'><c><v>2</v></c></row><row r='3'><c><v>3</v></c"
    assert _refused(package(sheet(rows))) == "The sheet cannot be read after row 3: its XML is malformed."


def test_an_old_xls_or_a_password_protected_workbook_is_named() -> None:
    assert _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)) == (
        "This is an old .xls workbook or a password-protected one: save it as .xlsx without a password."
    )


def test_a_broken_zip_is_not_a_workbook() -> None:
    content = package(sheet("<row><c><v>1</v></c></row>"))
    assert _refused(content[: len(content) // 2]) == "The file is not a readable XLSX workbook."
    assert _refused(b"PK\x03\x04" + bytes(100)) == "The file is not a readable XLSX workbook."


# Hostile workbooks, and memory --------------------------------------------------------------------------------


def test_a_dimension_bomb_is_read_as_the_cells_it_holds_in_little_memory() -> None:
    content = dimension_bomb(10_000)
    assert len(content) < 100_000
    table, peak = _peak(content)
    assert isinstance(table, Table)
    assert table.header == ("email", "completed_on")
    assert len(table.rows) == 9_999
    assert {values for _line, values in table.rows} == {("x@example.org", "2025-01-15")}
    assert peak < PEAK


def test_a_zip_bomb_is_refused_before_it_inflates() -> None:
    content = inflating_part("xl/worksheets/sheet1.xml", 64 * 2**20)
    assert len(content) < 2**20
    message, peak = _peak(content)
    assert isinstance(message, str)
    assert message.startswith("The workbook's part xl/worksheets/sheet1.xml would inflate to 64 MB (1,0")
    assert message.endswith("times its compressed size): it is not read. Save the sheet again, or as CSV.")
    assert peak < 2**20


def test_a_small_part_is_parsed_whatever_its_ratio_in_little_memory() -> None:
    message, peak = _peak(inflating_part("xl/worksheets/sheet1.xml", 8 * 2**20))
    assert message == "The file has no header row."
    assert peak < 2**20


def test_a_huge_shared_strings_part_is_refused_not_loaded() -> None:
    # Text that compresses only about twice, so that the size alone refuses it.
    noise = "".join(f"<si><t>{n:x}{n * 7919 % 104729:x}</t></si>" for n in range(900_000))
    strings = f"<sst xmlns='{MAIN}'>{noise}</sst>"
    assert len(strings) > tabular.MAX_PART
    content = package(sheet("<row><c t='s'><v>0</v></c></row>"), strings=strings)
    message, peak = _peak(content)
    assert isinstance(message, str)
    assert message.startswith("The workbook's part xl/sharedStrings.xml would inflate to 2")
    assert peak < 2**20


def test_shared_strings_past_the_memory_budget_are_refused_while_read() -> None:
    # 16 MB of texts that zlib cannot compress, each with one character outside the basic plane: Python then holds
    # every character of it in 4 bytes, 64 MB in all.
    noise = base64.b64encode(random.Random(13).randbytes(11 * 2**20)).decode()
    strings = shared_strings([noise[at : at + 1000] + "😀" for at in range(0, len(noise), 1000)])
    assert len(strings.encode()) <= tabular.MAX_PART
    message, peak = _peak(package(sheet("<row><c t='s'><v>0</v></c></row>"), strings=strings))
    assert message == "The workbook's texts take more than 48 MB once read: split it into smaller files."
    assert peak < PEAK


def test_a_zip_with_more_entries_than_a_workbook_is_refused_before_its_directory_is_read() -> None:
    buffer = io.BytesIO(package(sheet("<row><c><v>1</v></c></row>")))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        for n in range(25_000):
            archive.writestr(f"xl/media/{n:05}.bin", b"")
    message, peak = _peak(buffer.getvalue())
    assert message == "The file is a zip archive with more entries than an XLSX workbook has: it is not read."
    assert peak < 2**20


def test_a_20_mb_csv_of_narrow_rows_is_read_in_bounded_memory() -> None:
    content = b"email,completed_on\r\n" + b"a@example.org,2025-01-15\r\n" * (UPLOAD // 26)
    message, peak = _peak(content)
    assert message == "The file has more than 50,000 rows of data (row 50,002 is one too many): split it."
    assert peak < PEAK


def test_a_20_mb_csv_of_distinct_cells_stops_at_the_memory_budget() -> None:
    row = ",".join(f"{{n}}.{c}" for c in range(40)) + "\n"
    lines = (row.format(n=n) for n in range(MAX_ROWS))
    content = ("c," * 39 + "c\n" + "".join(lines)).encode()[:UPLOAD]
    message, peak = _peak(content)
    assert isinstance(message, str)
    assert message.startswith("The file holds more data than one import reads (48 MB once read, reached at row ")
    assert peak < PEAK


def test_a_20_mb_csv_of_one_field_is_refused_in_little_memory() -> None:
    content = b'email,note\r\na@example.org,"' + b"x" * UPLOAD + b'"\r\n'
    message, peak = _peak(content)
    assert message == "Row 2 holds more than 100,000 characters (is a quotation mark left open?)."
    assert peak < 2 * 2**20


# Fuzzing --------------------------------------------------------------------------------------------------------


def _within_bounds_or_refused(content: bytes) -> None:
    """The property: rows within every bound, or the reader's own error with a message; nothing else."""
    try:
        table = _read(content)
    except TableError as error:
        assert str(error)
        return
    assert 0 < len(table.header) <= MAX_COLUMNS
    assert len(table.rows) <= MAX_ROWS
    lines = [line for line, _values in table.rows]
    assert lines == sorted(set(lines))
    for _line, values in table.rows:
        assert 0 < len(values) <= len(table.header)
        assert values[-1]
        assert all(len(value) <= MAX_CELL and value == value.strip() for value in values)


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_XLSX = settings(FUZZ, max_examples=120)


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_are_read_within_bounds_or_refused(content: bytes) -> None:
    _within_bounds_or_refused(content)
    _within_bounds_or_refused(b"PK\x03\x04" + content)


@FUZZ
@given(csv_files())
def test_structured_but_malformed_csv_is_read_within_bounds_or_refused(content: bytes) -> None:
    _within_bounds_or_refused(content)


@FUZZ_XLSX
@given(xlsx_files())
def test_structured_but_malformed_xlsx_is_read_within_bounds_or_refused(content: bytes) -> None:
    _within_bounds_or_refused(content)


@FUZZ_XLSX
@given(random_packages())
def test_random_zip_parts_are_read_within_bounds_or_refused(content: bytes) -> None:
    _within_bounds_or_refused(content)


@settings(FUZZ, max_examples=40)
@given(st.integers(0, 60_000), st.sampled_from([b"x", b"", b"ab", b'"a"']), st.integers(0, 60_000))
def test_rows_of_any_width_are_read_within_bounds_or_refused(width: int, cell: bytes, at: int) -> None:
    row = b",".join([cell] * width)
    _within_bounds_or_refused(row + b"\n" + row[:at] + b"\n")
