"""Keeps Django's middleware synchronous under ASGI.

Under Daphne, Django runs each middleware that can do both in the mode of the one below it, and
the innermost handler is asynchronous. ``SessionMiddleware``, ``CsrfViewMiddleware`` and the
other ``MiddlewareMixin`` middleware then run asynchronously, and in that mode each of their
``process_request`` and ``process_response`` methods is sent to a thread and back: a dozen
thread hops per request, each more costly than the method itself. Placed last, this
synchronous-only middleware makes every middleware above it synchronous, so a request crosses
between the event loop and its thread a fixed few times (in, to the view, and back), however
many middleware there are.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SynchronousChain:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
