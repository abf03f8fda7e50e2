"""Tracked links (reference/awareness.md): the destination with UTM parameters, in one lowercase vocabulary.

Values are case-sensitive for the analytics that read them, so Haven writes them lowercase, with hyphens for
spaces; pairs follow ``?`` (or ``&`` when the destination has a query already) and keep the destination's own."""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


def vocabulary(value: str) -> str:
    """``"Instagram Stories"`` -> ``"instagram-stories"``: lowercase, runs of other characters as one hyphen (a
    paid keyword keeps ``+`` between words)."""
    words = re.split(r"[^0-9a-z+]+", value.strip().lower())
    return "-".join(word for word in words if word)


def build(destination: str, *, source: str, medium: str, campaign: str, content: str = "", term: str = "") -> str:
    """The destination with its UTM parameters (replacing any it had), empty ones left out."""
    parts = urlsplit(destination)
    kept = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in PARAMETERS]
    values = {
        "utm_source": vocabulary(source),
        "utm_medium": vocabulary(medium),
        "utm_campaign": vocabulary(campaign),
        "utm_content": vocabulary(content),
        "utm_term": vocabulary(term),
    }
    query = urlencode(kept + [(key, value) for key, value in values.items() if value], safe="+")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))
