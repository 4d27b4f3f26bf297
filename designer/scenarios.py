"""Saved test scenarios: an ``itinera play`` script plus expectations on the lines it produces.

A scenario document is what ``itinera play`` reads, with one more key ``expect`` (which ``play``
ignores), so the same file runs in CI::

    {"data": {"amount": 50},
     "events": [{"complete": "Review", "data": {"ok": true}}],
     "expect": [{"step": 0, "open": {"Review": 1}},
                {"state": "completed", "log": {"Review": 1}}]}

An expectation names a ``step`` (0 is the line after the case starts; left out, the last line) and
any of the fields of that line: ``ok`` and ``state`` must be equal; ``open``, ``started`` and
``log`` must be equal as counts by element; ``waiting`` must hold the same entries; ``data`` must
hold each given variable with the given value (other variables may be there too); ``error`` must
occur in the line's error message. An event the engine rejects fails the scenario unless an
expectation on its step says ``"ok": false``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from processes.engine.compiled import CompileError
from processes.engine.core import Incident as EngineIncident
from processes.engine.model import Definitions
from processes.engine.play import ScriptError, format_line, play, read_script
from processes.selectors import MAX_SCRIPT_EVENTS
from workflow_site.errors import ApplicationError

EXPECTATION_FIELDS: Final = frozenset(
    {"step", "ok", "error", "state", "open", "started", "log", "waiting", "data"}
)
_COUNT_FIELDS: Final = ("open", "started", "log")
MAX_EXPECTATIONS: Final = 1_000


def check_scenario(*, script: Any, expect: Any) -> None:
    """A 400 naming ``script`` or ``expect`` (and the item at fault) unless both are well formed."""
    try:
        _, events, _ = read_script(script)
    except ScriptError as error:
        raise ApplicationError("invalid_script", str(error), field="script") from None
    if len(events) > MAX_SCRIPT_EVENTS:
        raise ApplicationError(
            "invalid_script", f"A script has at most {MAX_SCRIPT_EVENTS} events.", field="script"
        )
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not event:
            raise ApplicationError(
                "invalid_script",
                f'Event {index + 1} is not an event object such as {{"complete": "B"}}.',
                field="script",
                details={"event": index},
            )
    if not isinstance(expect, list):
        raise ApplicationError("invalid_expectation", "expect must be a list.", field="expect")
    if len(expect) > MAX_EXPECTATIONS:
        raise ApplicationError(
            "invalid_expectation",
            f"A scenario has at most {MAX_EXPECTATIONS} expectations.",
            field="expect",
        )
    for index, expectation in enumerate(expect):
        _check_expectation(index, expectation, len(events))


def _check_expectation(index: int, expectation: Any, events: int) -> None:
    def bad(message: str) -> ApplicationError:
        return ApplicationError(
            "invalid_expectation",
            f"Expectation {index + 1}: {message}",
            field=f"expect[{index}]",
            details={"expectation": index},
        )

    if not isinstance(expectation, dict) or not expectation:
        raise bad('it must be an object such as {"state": "completed"}.')
    unknown = sorted(set(expectation) - EXPECTATION_FIELDS)
    if unknown:
        raise bad(
            f"unknown field(s) {', '.join(unknown)}; use {', '.join(sorted(EXPECTATION_FIELDS))}."
        )
    if set(expectation) == {"step"}:
        raise bad("it names a step but expects nothing of it.")
    step = expectation.get("step")
    if step is not None and (
        isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= events
    ):
        raise bad(f"step must be a whole number from 0 to {events} (the number of events).")
    if "ok" in expectation and not isinstance(expectation["ok"], bool):
        raise bad("ok must be true or false.")
    for name in ("state", "error"):
        if name in expectation and not isinstance(expectation[name], str):
            raise bad(f"{name} must be a string.")
    for name in _COUNT_FIELDS:
        if name in expectation:
            counts = expectation[name]
            if not isinstance(counts, dict) or not all(
                isinstance(count, int) and not isinstance(count, bool) and count >= 0
                for count in counts.values()
            ):
                raise bad(f'{name} must map element ids to counts, such as {{"Review": 1}}.')
    if "waiting" in expectation and not (
        isinstance(expectation["waiting"], list)
        and all(isinstance(entry, str) for entry in expectation["waiting"])
    ):
        raise bad('waiting must be a list such as ["message:approved", "timer:Wait"].')
    if "data" in expectation and not isinstance(expectation["data"], dict):
        raise bad("data must be an object of variables.")


def run_scenario(definitions: Definitions, *, script: Any, expect: list[Any]) -> dict[str, Any]:
    """Play the script against the process and check the expectations.

    ``{"passed", "error", "failures", "lines"}``: ``error`` says why the script could not be
    played at all (the scenario then fails); each failure names the expectation, step and field.
    """
    lines: list[dict[str, Any]] = []
    try:
        lines.extend(json.loads(format_line(line)) for line in play(definitions, script))
    except ScriptError as error:
        return _outcome(lines, [], f"The script is not valid: {error}")
    except CompileError as error:
        return _outcome(lines, [], f"The process cannot run: {error.element_id}: {error.message}")
    except EngineIncident as error:
        return _outcome(lines, [], f"The engine stopped at {error.element_id}: {error.message}")
    except KeyError as error:
        return _outcome(lines, [], f"The process cannot run: {error.args[0]}")
    return _outcome(lines, check_expectations(lines, expect), None)


def _outcome(
    lines: list[dict[str, Any]], failures: list[dict[str, Any]], error: str | None
) -> dict[str, Any]:
    return {
        "passed": error is None and not failures,
        "error": error,
        "failures": failures,
        "lines": lines,
    }


def check_expectations(lines: list[dict[str, Any]], expect: list[Any]) -> list[dict[str, Any]]:
    """The failed checks of ``expect`` against the lines of a play run."""
    failures: list[dict[str, Any]] = []
    if not lines:
        return failures
    last = len(lines) - 1
    excused = {
        expectation.get("step", last)
        for expectation in expect
        if isinstance(expectation, Mapping) and expectation.get("ok") is False
    }
    for line in lines:
        if not line["ok"] and line["step"] not in excused:
            failures.append(
                _failure(
                    None,
                    line["step"],
                    "ok",
                    True,
                    False,
                    f"Step {line['step']}: the event {json.dumps(line['event'])} was rejected: "
                    f"{line['error']}",
                )
            )
    for index, expectation in enumerate(expect):
        step = expectation.get("step", last)
        if step > last:
            failures.append(_failure(index, step, "step", step, last, f"There is no step {step}."))
            continue
        line = lines[step]
        for name, wanted in expectation.items():
            if name == "step":
                continue
            actual = line.get(name)
            if not _matches(name, wanted, actual):
                failures.append(
                    _failure(
                        index,
                        step,
                        name,
                        wanted,
                        actual,
                        f"Step {step}: {name} is {json.dumps(actual, default=str)}, "
                        f"expected {json.dumps(wanted, default=str)}.",
                    )
                )
    return failures


def _matches(name: str, wanted: Any, actual: Any) -> bool:
    if name in _COUNT_FIELDS:
        counts = {element: count for element, count in wanted.items() if count}
        return bool(counts == dict(actual or {}))
    if name == "waiting":
        return sorted(set(wanted)) == sorted(set(actual or []))
    if name == "data":
        variables = actual if isinstance(actual, dict) else {}
        return all(key in variables and variables[key] == value for key, value in wanted.items())
    if name == "error":
        return isinstance(actual, str) and wanted in actual
    return bool(wanted == actual)


def _failure(
    expectation: int | None, step: int, field: str, expected: Any, actual: Any, message: str
) -> dict[str, Any]:
    return {
        "expectation": expectation,
        "step": step,
        "field": field,
        "expected": expected,
        "actual": actual,
        "message": message,
    }
