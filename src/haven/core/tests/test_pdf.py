"""PDF rendering: a table with French text comes out as a PDF set in DejaVu; only our static files are read."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.templatetags.static import static

from haven.core.pdf import INTERNAL_BASE_URL, PdfResourceError, render_document, render_pdf, static_file

REPORT = """<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Rapport trimestriel</title>
<link rel="stylesheet" href="{css}"></head>
<body>
  <h1>Rapport trimestriel — Québec</h1>
  <table>
    <thead><tr><th>Région</th><th>Enfants suivis</th><th>Séances complétées</th></tr></thead>
    <tbody>
      <tr><td>Montréal</td><td>42</td><td>318</td></tr>
      <tr><td>Trois-Rivières</td><td>17</td><td>126</td></tr>
    </tbody>
  </table>
  <p>Ça s'améliore : cœur à l'ouvrage, été comme hiver.</p>
</body>
</html>
"""


def layout_text(document: Any) -> str:
    """Every run of text WeasyPrint laid out, page by page (the PDF itself stores glyph ids, compressed)."""
    from weasyprint.formatting_structure import boxes

    def walk(box: Any) -> Iterator[str]:
        if isinstance(box, boxes.TextBox):
            yield box.text
        if isinstance(box, boxes.ParentBox):
            for child in box.children:
                yield from walk(child)

    return " ".join(text for page in document.pages for text in walk(page._page_box))


def test_a_table_with_french_text_renders_to_a_pdf_set_in_dejavu():
    html = REPORT.format(css=static("haven/haven.css"))

    pdf = render_pdf(html)
    document = render_document(html)

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(document.pages) == 1
    text = layout_text(document)
    for words in ["Rapport trimestriel — Québec", "Région", "Enfants suivis", "Séances complétées", "Montréal"]:
        assert words in text
    assert "Trois-Rivières" in text
    assert "Ça s'améliore : cœur à l'ouvrage, été comme hiver." in text
    # The glyphs come from an embedded DejaVu subset (font names are only readable uncompressed).
    assert b"+DejaVu-Sans" in document.write_pdf(uncompressed_pdf=True)


def test_static_urls_are_read_from_the_project_static_files():
    css = static("haven/haven.css")

    found = static_file(INTERNAL_BASE_URL.rstrip("/") + css, base_url=INTERNAL_BASE_URL)

    assert found is not None
    assert found.name == "haven.css"
    # The same static URL on the origin of a request the document was rendered for.
    assert static_file("http://127.0.0.1:8000" + css, base_url="http://127.0.0.1:8000/reports/") == found


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/report.css",
        "http://example.org/report.css",
        "//example.org/report.css",
        "http://127.0.0.1:8000/static/haven/haven.css",  # our static path, but on another origin
        "file:///etc/passwd",
        "/static/../settings/base.py",
        "/static/%2e%2e/settings/base.py",
        "/static/haven/missing.css",
        "/media/upload.css",
    ],
)
def test_any_other_stylesheet_url_is_refused(url):
    with pytest.raises(PdfResourceError, match="refused"):
        render_pdf(f'<link rel="stylesheet" href="{url}"><p>Bonjour</p>')


def test_a_remote_image_is_refused_and_a_data_url_is_allowed():
    with pytest.raises(PdfResourceError, match="example.org"):
        render_pdf('<p><img src="https://example.org/logo.png" alt="logo"></p>')

    svg = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/%3E"
    assert render_pdf(f'<p><img src="{svg}" alt="carré"></p>').startswith(b"%PDF-")
