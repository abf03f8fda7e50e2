"""Course and policy text: Markdown rendered to sanitized HTML.

The author writes CommonMark (plus tables); raw HTML in the source is shown as text, never rendered, and the
rendered HTML is cleaned again by nh3 to the tags a course needs, so a course can never carry a script or a
tracking pixel. An image must say what it shows: :func:`images_without_alt` lists those that do not, and the
authoring forms refuse them."""

from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

TAGS = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
        "a", "img", "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"https", "mailto", "tel"})


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render(text: str) -> SafeString:
    """Markdown to HTML that is safe to show: headings start at h2 (the page has the h1)."""
    html = _parser().render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    cleaned = nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - cleaned by nh3 to the tags above


def images_without_alt(text: str) -> list[str]:
    """The sources of the images whose alternative text is empty."""
    missing = []
    for token in _parser().parse(text or ""):
        for child in token.children or ():
            if child.type == "image" and not "".join(c.content for c in child.children or ()).strip():
                missing.append(str(child.attrGet("src") or ""))
    return missing
