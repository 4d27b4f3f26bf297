"""The site's own request middleware: null characters refused, and the chain kept synchronous.

``RefuseNullCharacters``: PostgreSQL cannot hold a NUL character in text, so a query parameter
holding one would fail whatever statement it reached, as a 500. It is refused first, as a 400
naming the parameter (in the API's error shape under ``/api/``).

``SynchronousChain``: under Daphne, Django runs each middleware that can do both in the mode of
the one below it, and the innermost handler is asynchronous. ``SessionMiddleware``,
``CsrfViewMiddleware`` and the other ``MiddlewareMixin`` middleware then run asynchronously, and
in that mode each of their ``process_request`` and ``process_response`` methods is sent to a
thread and back: a dozen thread hops per request, each more costly than the method itself.
Placed last, this synchronous-only middleware makes every middleware above it synchronous, so a
request crosses between the event loop and its thread a fixed few times (in, to the view, and
back), however many middleware there are.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import bad_request


class RefuseNullCharacters:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return _refused(request, name)
        return self.get_response(request)


def _refused(request: HttpRequest, name: str) -> HttpResponse:
    message = "Null characters are not allowed."
    if request.path.startswith("/api/"):
        error = {"code": "null_character", "message": message, "field": name, "details": {}}
        return JsonResponse({"error": error}, status=400)
    return bad_request(request, SuspiciousOperation(f"{message} ({name!r})"))


class SynchronousChain:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
