"""Read a page the way a person does: its text, its facts (dt/dd) and its tables' rows."""

import re
from html.parser import HTMLParser

from django.http import HttpResponse


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.facts: dict[str, str] = {}
        self.tables: list[tuple[dict[str, str], list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._fact: tuple[str, list[str]] | None = None
        self._dt: list[str] | None = None
        self._dt_text = ""
        self._labelled = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(({k: v or "" for k, v in attrs}, []))
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "dt":
            self._dt = []
        elif tag == "dd":
            self._fact = (self._dt_text, [])
        elif tag == "span" and self._cell is not None:
            # Attendance marks carry their meaning in aria-label: read the label instead of the symbol.
            label = dict(attrs).get("aria-label")
            if label:
                self._cell.append(f"[{label}]")
                self._labelled = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._labelled = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(_squash("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None
        elif tag == "dt" and self._dt is not None:
            self._dt_text = _squash("".join(self._dt))
            self._dt = None
        elif tag == "dd" and self._fact is not None:
            self.facts[self._fact[0]] = _squash("".join(self._fact[1]))
            self._fact = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._labelled:
            return
        for sink in (self._cell, self._dt, self._fact[1] if self._fact else None):
            if sink is not None:
                sink.append(data)


def _squash(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _read(response: HttpResponse) -> _Reader:
    reader = _Reader()
    reader.feed(response.content.decode())
    return reader


def text(response: HttpResponse) -> str:
    """The page's visible text, whitespace collapsed."""
    return _squash(" ".join(_read(response).text))


def facts(response: HttpResponse) -> dict[str, str]:
    """The page's definition lists as {term: description}."""
    return _read(response).facts


def table(response: HttpResponse, labelledby: str | None = None, index: int = 0) -> list[list[str]]:
    """Rows of a table (header row included), by its ``aria-labelledby`` or its position."""
    tables = _read(response).tables
    if labelledby is not None:
        return next(rows for attrs, rows in tables if attrs.get("aria-labelledby") == labelledby)
    return tables[index][1]


def tables(response: HttpResponse) -> list[list[list[str]]]:
    """Every table's rows (header row included), in the page's order."""
    return [rows for _attrs, rows in _read(response).tables]
