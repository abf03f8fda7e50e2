"""Helpers for the tests of uploaded tables: XLSX packages written part by part, the database's row counts, and
hypothesis strategies for files: malformed CSV and XLSX, random zip parts, and tables with an import's columns."""

import io
import tracemalloc
import zipfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.db import connection
from hypothesis import strategies as st

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"


SPREADSHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{SPREADSHEETML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SPREADSHEETML}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SPREADSHEETML}.sharedStrings+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{SPREADSHEETML}.styles+xml"/>'
    "</Types>"
)


def _relations(*targets: tuple[str, str]) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
        + "".join(
            f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/{kind}" Target="{target}"/>'
            for n, (kind, target) in enumerate(targets, start=1)
        )
        + "</Relationships>"
    )


def sheet(rows: str, *, dimension: str = "") -> str:
    """A worksheet part around ``rows`` (the XML of its <row> elements)."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{declared}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def shared_strings(strings: list[str]) -> str:
    items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">{items}</sst>'


def package(
    worksheet: str | bytes,
    *,
    strings: str | bytes | None = None,
    styles: str | None = None,
    workbook_pr: str = "",
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """An XLSX package as Excel would open it: the content types, the relationships, a workbook with one sheet,
    and the parts given."""
    targets = [("worksheet", "worksheets/sheet1.xml")]
    if strings is not None:
        targets.append(("sharedStrings", "sharedStrings.xml"))
    if styles is not None:
        targets.append(("styles", "styles.xml"))
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">{workbook_pr}'
        '<sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", _relations(("officeDocument", "xl/workbook.xml")))
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", _relations(*targets))
        archive.writestr("xl/worksheets/sheet1.xml", worksheet)
        if strings is not None:
            archive.writestr("xl/sharedStrings.xml", strings)
        if styles is not None:
            archive.writestr("xl/styles.xml", styles)
    return buffer.getvalue()


def dimension_bomb(rows: int) -> bytes:
    """A few kilobytes whose sheet claims 16,384 columns (A1:XFD...) and holds two short cells a row: the file
    that made the reader pad every row to the declared width."""
    body = "".join(
        f"<row><c t='s'><v>{0 if n == 1 else 2}</v></c><c t='s'><v>{1 if n == 1 else 3}</v></c></row>"
        for n in range(1, rows + 1)
    )
    strings = shared_strings(["email", "completed_on", "x@example.org", "2025-01-15"])
    return package(sheet(body, dimension=f"A1:XFD{rows}"), strings=strings)


def inflating_part(name: str, size: int) -> bytes:
    """A workbook whose part ``name`` inflates to ``size`` bytes, nearly all of one repeated character: a zip bomb."""
    parts = {}
    with zipfile.ZipFile(io.BytesIO(package(sheet("<row><c><v>1</v></c></row>")))) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist() if info.filename != name}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
        with archive.open(name, "w") as part:
            part.write(f"<worksheet xmlns='{MAIN}'><sheetData>".encode())
            for _ in range(size // 2**20):
                part.write(b" " * 2**20)
            part.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


PEAK = 100 * 2**20  # what reading and planning any file within the upload limit may hold at once


def peak_of(work: Callable[[], Any]) -> tuple[Any, int]:
    """What ``work`` returns (or the message of the error it raises) and the most memory it held at once."""
    tracemalloc.start()
    try:
        result = work()
    except ValueError as error:
        result = str(error)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, peak


def row_counts() -> dict[str, int]:
    """Every table's number of rows: what a rejected import must leave as it was."""
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names from the database itself
            counts[table] = cursor.fetchone()[0]
    return counts


# Strategies -----------------------------------------------------------------------------------------------------

CELL_TEXT = st.text(alphabet=st.sampled_from('ab,;\t"\r\n\x00 é€😀\u2028'), max_size=12)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    rows = draw(st.lists(st.lists(CELL_TEXT, max_size=6), max_size=8))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quote = draw(st.booleans())
    lines = [delimiter.join('"' + cell.replace('"', '""') + '"' if quote else cell for cell in row) for row in rows]
    text = end.join(lines) + draw(st.sampled_from(["", end]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    content = text.encode(encoding, errors="replace")
    if draw(st.booleans()) and content:  # a stray byte anywhere
        at = draw(st.integers(0, len(content) - 1))
        content = content[:at] + bytes([draw(st.integers(0, 255))]) + content[at + 1 :]
    return content


XML_TEXT = st.text(alphabet=st.sampled_from("ab1 <&>\"'é\x00\x01"), max_size=6)
REFERENCE = st.one_of(
    st.builds(
        lambda col, row: f"{col}{row}",
        st.sampled_from(["A", "B", "Z", "GR", "GS", "XFD", "XFE", "é", ""]),
        st.sampled_from(["", "1", "2", "0", "99999999"]),
    ),
    XML_TEXT,
)


def _attribute(name: str, value: str) -> str:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return f' {name}="{escaped}"'


@st.composite
def cells(draw: st.DrawFn) -> str:
    attributes = ""
    if draw(st.booleans()):
        attributes += _attribute("r", draw(REFERENCE))
    if draw(st.booleans()):
        attributes += _attribute("t", draw(st.sampled_from(["s", "n", "b", "str", "inlineStr", "e", "d", "x"])))
    if draw(st.booleans()):
        attributes += _attribute("s", draw(st.sampled_from(["0", "1", "2", "99", "x", "-1", "9" * 5_000])))
    values = ["0", "1", "2", "3", "-1", "1.5", "1E400", "nan", "45000", "", "x", "99999999999", "9" * 5_000]
    value = draw(st.sampled_from(values))
    content = draw(
        st.sampled_from(
            [
                f"<v>{value}</v>",
                f"<is><t>{value}</t></is>",
                f"<is><r><t>{value}</t></r><rPh><t>x</t></rPh></is>",
                f"<f>SUM(A1)</f><v>{value}</v>",
                "",
                "<c><v>1</v></c>",
            ]
        )
    )
    return f"<c{attributes}>{content}</c>"


@st.composite
def rows(draw: st.DrawFn) -> str:
    number = draw(st.one_of(st.none(), st.integers(-2, 1_048_580).map(str), st.just("9" * 5_000), XML_TEXT))
    attributes = _attribute("r", number) if number is not None else ""
    return f"<row{attributes}>" + "".join(draw(st.lists(cells(), max_size=5))) + "</row>"


@st.composite
def xlsx_files(draw: st.DrawFn) -> bytes:
    body = "".join(draw(st.lists(rows(), max_size=8)))
    worksheet = sheet(body, dimension=draw(st.sampled_from(["", "A1:XFD1048576", "junk"])))
    if draw(st.booleans()):  # cut short, or with junk inside
        at = draw(st.integers(0, len(worksheet)))
        worksheet = (
            worksheet[:at] + draw(st.sampled_from(["", "<", "&bad;", "<?pi?>", "<!-- -->", "\x00"])) + worksheet[at:]
        )
    strings = draw(
        st.one_of(
            st.none(),
            st.lists(XML_TEXT, max_size=4).map(
                lambda texts: shared_strings([t.replace("\x00", "").replace("\x01", "") for t in texts])
            ),
            st.binary(max_size=40),
        )
    )
    styles = draw(
        st.one_of(
            st.none(),
            st.sampled_from(
                [
                    f"<styleSheet xmlns='{MAIN}'><cellXfs><xf numFmtId='14'/><xf numFmtId='22'/></cellXfs>"
                    "</styleSheet>",
                    f"<styleSheet xmlns='{MAIN}'><numFmts><numFmt numFmtId='200' formatCode='yyyy'/></numFmts>"
                    "<cellXfs><xf numFmtId='200'/><xf/></cellXfs></styleSheet>",
                    "not xml",
                ]
            ),
        )
    )
    content = package(
        worksheet,
        strings=strings,
        styles=styles,
        workbook_pr=draw(st.sampled_from(["", "<workbookPr date1904='1'/>", "<workbookPr date1904='x'/>"])),
        compression=draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])),
    )
    if draw(st.booleans()):  # a byte of the archive itself changed
        at = draw(st.integers(0, len(content) - 1))
        content = content[:at] + bytes([draw(st.integers(0, 255))]) + content[at + 1 :]
    return content


def _element(tag: str, attributes: str, inner: list[str]) -> str:
    return f"<{tag}{attributes}>{''.join(inner)}</{tag}>"


def _elements(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Elements a workbook's parts use, with some of their attributes, around ``children``."""
    tags = ["Relationship", "sheet", "sheets", "workbook", "row", "c", "v", "t", "si", "sst", "worksheet"]
    attributes = [
        "",
        ' Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"',
        ' Type="a/officeDocument" Target="/xl/workbook.xml"',
        ' r:id="rId1"',
        ' r="A1"',
        ' t="s"',
    ]
    return st.builds(_element, st.sampled_from(tags), st.sampled_from(attributes), st.lists(children, max_size=3))


@st.composite
def random_packages(draw: st.DrawFn) -> bytes:
    """Zip archives of random parts under the names a workbook uses, holding random XML or bytes."""
    names = [
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/worksheets/sheet1.xml",
        "xl/sharedStrings.xml",
        "xl/styles.xml",
        "[Content_Types].xml",
    ]
    xml = st.recursive(XML_TEXT.map(lambda t: t.replace("<", "").replace("&", "")), _elements, max_leaves=12)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))) as archive:
        for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names))):
            archive.writestr(name, draw(st.one_of(xml.map(str.encode), st.binary(max_size=60))))
    return buffer.getvalue()


def _inline(value: str) -> str:
    return "<c t='inlineStr'><is><t>" + escape(value) + "</t></is></c>"


@st.composite
def import_files(draw: st.DrawFn, columns: Mapping[str, Sequence[str]]) -> tuple[str, bytes]:
    """(file name, content) of a table with an import's ``columns`` (some dropped, some unknown added), each cell
    drawn from its column's values or odd text, as CSV in any encoding and line ending, or as XLSX; sometimes with
    a stray byte."""
    header = [column for column in columns if draw(st.integers(0, 9))]
    header += draw(st.lists(st.sampled_from(["notes", "", "3", "item_1", "t1"]), max_size=2))
    cells = [st.one_of(st.sampled_from(list(columns.get(column, [""]))), CELL_TEXT) for column in header]
    rows = draw(st.lists(st.tuples(*cells).map(list), max_size=6))
    if draw(st.booleans()):
        body = "".join("<row>" + "".join(map(_inline, row)) + "</row>" for row in [header, *rows])
        clean = body.translate({code: None for code in range(32) if code not in (9, 10, 13)})
        name, content = "export.xlsx", package(sheet(clean))
    else:
        end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        lines = [",".join('"' + cell.replace('"', '""') + '"' for cell in row) for row in [header, *rows]]
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
        name, content = "export.csv", (end.join(lines) + end).encode(encoding, errors="replace")
    if draw(st.integers(0, 4)) == 0 and content:
        at = draw(st.integers(0, len(content) - 1))
        content = content[:at] + bytes([draw(st.integers(0, 255))]) + content[at + 1 :]
    return name, content


def any_files() -> st.SearchStrategy[tuple[str, bytes]]:
    """(file name, content) of anything: bytes, malformed CSV, malformed XLSX, random zip parts."""
    names = st.sampled_from(["export.csv", "export.xlsx", "export.txt"])
    contents = st.one_of(st.binary(max_size=2048), csv_files(), xlsx_files(), random_packages())
    return st.tuples(names, contents)
