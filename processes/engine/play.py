"""The scripted dry run: one BPMN process in memory, a list of events, one JSON line per step.

This is both a user feature (unit-testing a process in CI) and the black-box contract of the engine:
see ``itinera play``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from processes.engine.core import Engine, Rejected, snapshot
from processes.engine.model import Definitions
from processes.engine.timers import TimerError, parse_datetime


class ScriptError(ValueError):
    """The events script is not of the documented shape."""


def read_script(script: Any) -> tuple[dict[str, Any], list[Any], datetime | None]:
    """Split an events script into initial data, the events and an optional start time."""
    if isinstance(script, list):
        return {}, script, None
    if not isinstance(script, Mapping):
        raise ScriptError("the events file must hold a list of events or an object with 'events'")
    data = script.get("data", {})
    events = script.get("events", [])
    if not isinstance(data, dict):
        raise ScriptError("'data' must be an object")
    if not isinstance(events, list):
        raise ScriptError("'events' must be a list")
    now = script.get("now")
    start: datetime | None = None
    if now is not None:
        try:
            start = parse_datetime(str(now))
        except TimerError as error:
            raise ScriptError(f"'now': {error}") from None
    return dict(data), events, start


def play(
    definitions: Definitions, script: Any, process_id: str | None = None
) -> Iterator[dict[str, Any]]:
    """Run the script; yield the line after the case starts, then one after each event."""
    data, events, now = read_script(script)
    engine = Engine(definitions, process_id)
    state, _ = engine.start(data, now=now or datetime.now(UTC))
    yield {"step": 0, "event": None, "ok": True, "error": None, **snapshot(engine, state)}
    for step, event in enumerate(events, start=1):
        ok, error = True, None
        try:
            engine.fire(state, event)
        except Rejected as rejection:
            ok, error = False, rejection.message
        yield {"step": step, "event": event, "ok": ok, "error": error, **snapshot(engine, state)}


def format_line(line: Mapping[str, Any]) -> str:
    return json.dumps(line, ensure_ascii=False, default=str)
