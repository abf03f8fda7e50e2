from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# Device features no page of Haven uses: a page (or anything injected into one) may not ask for them.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


def is_public(response: HttpResponse) -> bool:
    directives = {part.strip().split("=")[0].lower() for part in response.get("Cache-Control", "").split(",")}
    return "public" in directives


class ResponseHeadersMiddleware:
    """What a cache may keep and which device features a page may use, on every response.

    Nothing may be stored by a browser or a proxy (``no-store, private``) unless the view opted in with
    ``Cache-Control: public`` (``@cache_control(public=True)``, the impact page), promising the same page for
    everyone. A public response never carries a cookie: a shared cache would hand the session, CSRF, language or
    messages cookie to the next visitor, so they are dropped. Listed before the session and CSRF middleware, so it
    sees the cookies they set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if is_public(response):
            response.cookies.clear()
        else:
            patch_cache_control(response, no_store=True, private=True)
        return response
