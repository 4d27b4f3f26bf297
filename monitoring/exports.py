"""Audit events as CSV, JSON lines and XES (the IEEE 1849 event log format process-mining tools
read), produced a chunk at a time so a large export streams."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from xml.sax.saxutils import quoteattr

from monitoring import chain
from monitoring.models import AuditEvent

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl"),
    "xes": ("application/xml; charset=utf-8", "xes"),
}
COLUMNS = (*chain.EVENT_COLUMNS, "hash")
# A spreadsheet runs a cell that starts like this as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot carry at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _row(event: AuditEvent) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in COLUMNS}
    values["at"] = chain.timestamp(event.at)
    return values


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Line:
    """A file-like object that hands back what the csv writer writes to it."""

    def write(self, text: str) -> str:
        return text


def as_csv(events: Iterable[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for event in events:
        row = _row(event)
        yield writer.writerow([_cell(row[name]) for name in COLUMNS])


def as_jsonl(events: Iterable[AuditEvent]) -> Iterator[str]:
    for event in events:
        yield json.dumps(_row(event), sort_keys=True, ensure_ascii=False) + "\n"


#: XES lifecycle transitions of the event types that have one; the rest are "complete".
LIFECYCLE = {
    "task.offered": "schedule",
    "task.claimed": "assign",
    "task.unclaimed": "reassign",
    "task.reassigned": "reassign",
    "task.delegated": "reassign",
    "task.escalated": "reassign",
    "task.started": "start",
    "task.completed": "complete",
    "task.withdrawn": "withdraw",
    "instance.started": "start",
    "instance.suspended": "suspend",
    "instance.resumed": "resume",
    "instance.cancelled": "pi_abort",
    "instance.terminated": "pi_abort",
}

XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="?"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="?"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000000+00:00"/>
    <string key="org:resource" value="?"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>
  <string key="concept:name" value="Itinera audit trail"/>
"""


def xml_attribute(value: str) -> str:
    """``value`` quoted as an XML attribute, characters XML 1.0 cannot carry replaced."""
    return quoteattr(_NOT_XML.sub("\ufffd", value))


def _xes_event(event: AuditEvent) -> str:
    activity = (
        event.element_id if event.type.startswith("task.") and event.element_id else event.type
    )
    return (
        "    <event>\n"
        f'      <string key="concept:name" value={xml_attribute(activity)}/>\n'
        f'      <date key="time:timestamp" value={xml_attribute(chain.timestamp(event.at))}/>\n'
        f'      <string key="org:resource" value={xml_attribute(event.actor_label)}/>\n'
        f'      <string key="lifecycle:transition" '
        f"value={xml_attribute(LIFECYCLE.get(event.type, 'complete'))}/>\n"
        f'      <string key="itinera:type" value={xml_attribute(event.type)}/>\n'
        f'      <int key="itinera:seq" value="{event.seq}"/>\n'
        "    </event>\n"
    )


def as_xes(events: Iterable[AuditEvent]) -> Iterator[str]:
    """One trace per process instance (``events`` ordered by instance, then seq); events that
    belong to no instance are left out."""
    yield XES_HEAD
    current: int | None = None
    for event in events:
        if event.instance_id is None:
            continue
        if event.instance_id != current:
            if current is not None:
                yield "  </trace>\n"
            current = event.instance_id
            yield (
                "  <trace>\n"
                f'    <string key="concept:name" value="{current}"/>\n'
                + (
                    f'    <int key="itinera:journey" value="{event.journey_id}"/>\n'
                    if event.journey_id is not None
                    else ""
                )
            )
        yield _xes_event(event)
    if current is not None:
        yield "  </trace>\n"
    yield "</log>\n"
