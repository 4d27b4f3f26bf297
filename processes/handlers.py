"""Service-task handlers: the code a service task with ``itn:topic="NAME"`` runs.

A handler takes the case data (a copy) and returns a dict merged into it. Register one with
``@register_handler("topic")`` in a module the application imports (an app's ``handlers.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any] | None]

_handlers: dict[str, Handler] = {}


class NoHandler(LookupError):
    """No handler is registered for the topic: retrying cannot help."""


def register_handler(topic: str) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        if topic in _handlers and _handlers[topic] is not handler:
            raise ValueError(f"a handler for topic {topic!r} is already registered")
        _handlers[topic] = handler
        return handler

    return decorator


def handler_for(topic: str) -> Handler:
    try:
        return _handlers[topic]
    except KeyError:
        raise NoHandler(f"no handler is registered for the topic {topic!r}") from None


def unregister_handler(topic: str) -> None:
    _handlers.pop(topic, None)
