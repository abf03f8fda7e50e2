"""What every response must say about caching and device features (used by the authorization walk and
``test_headers``)."""

from typing import Any

# The only pages that say any cache may keep them: the same page for everyone, whoever asks.
PUBLIC = frozenset({"impact", "impact_fr"})
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def directives(response: Any) -> set[str]:
    return {part.strip().lower() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def assert_headers(response: Any, *, public: bool, where: str) -> None:
    policy = response.get("Permissions-Policy", "")
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in policy, (where, policy)
    cache = directives(response)
    if public:
        assert "public" in cache and "no-store" not in cache and "private" not in cache, (where, cache)
        # A shared cache would hand a cookie set here to the next visitor: session, CSRF, language or messages.
        assert not response.cookies, (where, list(response.cookies))
    else:
        assert {"no-store", "private"} <= cache and "public" not in cache, (where, cache)
