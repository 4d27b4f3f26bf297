"""Helpers for pattern scenarios: small BPMN processes written inline, run through ``play``."""

from __future__ import annotations

import itertools
from typing import Any

from processes.bpmn.importer import import_definitions
from processes.engine.play import play

_flow_ids = itertools.count(1)


def bpmn(body: str, *, extra: str = "", process_id: str = "P", more_processes: str = "") -> str:
    """A definitions document with one executable process whose content is ``body``."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:itn="urn:itinera:bpmn:1" id="Definitions_test" targetNamespace="urn:test">\n'
        f"{extra}\n"
        f'<process id="{process_id}" isExecutable="true">\n{body}\n</process>\n'
        f"{more_processes}\n"
        "</definitions>\n"
    )


def flow(source: str, target: str, condition: str | None = None, flow_id: str | None = None) -> str:
    flow_id = flow_id or f"f{next(_flow_ids)}"
    if condition is None:
        return f'<sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    condition = condition.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<conditionExpression xsi:type="tFormalExpression">{condition}</conditionExpression>'
        "</sequenceFlow>"
    )


def chain(*ids: str) -> str:
    """Unconditional flows linking each id to the next."""
    return "\n".join(flow(a, b) for a, b in itertools.pairwise(ids))


def tasks(*ids: str, kind: str = "userTask") -> str:
    return "\n".join(f'<{kind} id="{i}" name="{i}"/>' for i in ids)


def run(
    xml: str, events: list[Any], data: dict[str, Any] | None = None, **kw: Any
) -> list[dict[str, Any]]:
    """Every line ``itinera play`` prints for this process and script."""
    definitions = import_definitions(xml)
    errors = [f for f in definitions.findings if f.severity == "error"]
    assert not errors, errors
    script: dict[str, Any] = {"data": data or {}, "events": events}
    script.update(kw)
    return list(play(definitions, script))


def final(
    xml: str, events: list[Any], data: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    return run(xml, events, data, **kw)[-1]


def view(line: dict[str, Any]) -> tuple[str, dict[str, int], dict[str, int]]:
    """(state, open, log) of a line: what most assertions look at."""
    return line["state"], line["open"], line["log"]


Line = dict[str, Any]
Counts = dict[str, int]
#: The fields of a line that an event may change.
FIELDS = ("state", "open", "started", "log", "waiting")


def complete(element: str, **data: Any) -> dict[str, Any]:
    return {"complete": element, "data": data} if data else {"complete": element}


def expect(
    line: Line,
    state: str = "running",
    *,
    open: Counts | None = None,
    started: Counts | None = None,
    log: Counts | None = None,
    waiting: list[str] | None = None,
) -> None:
    """The line was accepted and shows exactly these fields."""
    assert line["ok"] is True, line["error"]
    assert {field: line[field] for field in FIELDS} == {
        "state": state,
        "open": open or {},
        "started": started or {},
        "log": log or {},
        "waiting": waiting or [],
    }


def at(
    line: Line, state: str, open_items: Counts, log: Counts, started: Counts | None = None
) -> None:
    """The line was accepted and shows exactly this state, open items, log and started items."""
    seen = {k: line[k] for k in ("ok", "state", "open", "started", "log")}
    assert seen == {
        "ok": True,
        "state": state,
        "open": open_items,
        "started": started or {},
        "log": log,
    }


def rejected(lines: list[Line], step: int) -> None:
    """The event of ``step`` was refused and changed nothing."""
    line, before = lines[step], lines[step - 1]
    assert line["ok"] is False
    assert line["error"]
    for field in (*FIELDS, "data"):
        assert line[field] == before[field], field
