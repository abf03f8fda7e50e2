"""HTML to PDF with WeasyPrint, offline.

Text is set in the fonts fontconfig finds: DejaVu Sans (Debian's fonts-dejavu-core) unless the document's CSS names
another installed font. Nothing is fetched from the network or read from arbitrary files: a URL under STATIC_URL on
the document's own origin is read from the project's static files (staticfiles' finders, as `runserver` serves
them), a data: URL is decoded, and any other URL stops the rendering with PdfResourceError (fail early rather than
print a report without its stylesheet). WeasyPrint is imported on first use: it takes most of a second to load.
"""

import mimetypes
import posixpath
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation

# Documents rendered without a base URL (a task has no request) resolve "/static/..." against this origin. It names
# no real host (.invalid is reserved) and is never contacted: the fetcher serves its static URLs from disk.
INTERNAL_BASE_URL = "https://haven.invalid/"

# A user stylesheet: below the document's own CSS, so a report that names a font gets it.
DEFAULT_CSS = 'html { font-family: "DejaVu Sans", sans-serif; }'


class PdfResourceError(Exception):
    """The document refers to a resource that is not one of the project's static files."""


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html``; relative URLs resolve against ``base_url`` (default: an internal origin)."""
    pdf: bytes = render_document(html, base_url=base_url).write_pdf()
    return pdf


def render_document(html: str, *, base_url: str | None = None) -> Any:
    """The laid-out ``weasyprint.document.Document`` (pages, then ``write_pdf()``)."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import FatalURLFetchingError

    base = base_url or INTERNAL_BASE_URL
    fetcher = _static_only_fetcher_class()(base_url=base)
    try:
        return HTML(string=html, base_url=base, url_fetcher=fetcher).render(stylesheets=[CSS(string=DEFAULT_CSS)])
    except FatalURLFetchingError as error:
        # WeasyPrint's fatal error is a BaseException (it would get past Django's handlers); ours is an Exception.
        raise PdfResourceError(str(error.__cause__ or error)) from error


def static_file(url: str, *, base_url: str) -> Path | None:
    """The file behind ``url`` if it is a static URL on ``base_url``'s origin and one of our static files."""
    parts, base = urlsplit(url), urlsplit(base_url)
    if (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()):
        return None
    prefix = urlsplit(settings.STATIC_URL).path
    path = unquote(parts.path)
    if not path.startswith(prefix):
        return None
    relative = posixpath.normpath(path.removeprefix(prefix))
    if relative in {".", ".."} or relative.startswith(("../", "/")):
        return None
    try:
        found = finders.find(relative)
    except SuspiciousFileOperation:
        return None
    return Path(found) if isinstance(found, str) else None


@cache
def _static_only_fetcher_class() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves the project's static files and data: URLs; refuses everything else (fail_on_errors)."""

        def __init__(self, *, base_url: str) -> None:
            super().__init__(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=True)
            self.base_url = base_url

        def fetch(self, url: str, headers: Any = None) -> Any:
            if urlsplit(url).scheme.lower() == "data":
                return super().fetch(url, headers)
            path = static_file(url, base_url=self.base_url)
            if path is None:
                raise PdfResourceError(f"refused {url!r}: a PDF may only use the project's static files")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    return StaticOnlyFetcher
