"""The process event log of a journey, for process-mining tools: XES (IEEE 1849-2016, one trace
per instance, lifecycle start and complete events per work item, org:resource and org:role) and
OCEL 2.0 JSON (object types case, work item, person and role; one event per case start and end
and per work item creation, start and completion, each related to the objects it touches)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from monitoring.analytics.mining import Case
from monitoring.exports import xml_attribute


def timestamp(moment: datetime) -> str:
    """xs:dateTime with milliseconds and the UTC offset, as XES and OCEL expect."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="__INVALID__"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="__INVALID__"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>
"""


def _xes_event(
    activity: str, transition: str, at: datetime, resource: str | None, role: str | None,
    element: str,
) -> str:  # fmt: skip
    lines = [
        "    <event>",
        f'      <string key="concept:name" value={xml_attribute(activity)}/>',
        f'      <string key="lifecycle:transition" value="{transition}"/>',
        f'      <date key="time:timestamp" value="{timestamp(at)}"/>',
    ]
    if resource:
        lines.append(f'      <string key="org:resource" value={xml_attribute(resource)}/>')
    if role:
        lines.append(f'      <string key="org:role" value={xml_attribute(role)}/>')
    lines.append(f'      <string key="itinera:element" value={xml_attribute(element)}/>')
    lines.append("    </event>")
    return "\n".join(lines) + "\n"


def as_xes(cases: Iterable[Case], *, journey: str) -> Iterator[str]:
    """One trace per instance; each completed work item gives a ``start`` and a ``complete``
    event (events in time order)."""
    yield XES_HEAD
    yield f'  <string key="concept:name" value={xml_attribute(journey)}/>\n'
    for case in cases:
        yield (
            "  <trace>\n"
            f'    <string key="concept:name" value="{case.id}"/>\n'
            f'    <string key="itinera:business_key" value={xml_attribute(case.business_key)}/>\n'
            f'    <int key="itinera:version" value="{case.version}"/>\n'
            f'    <string key="itinera:status" value={xml_attribute(case.status)}/>\n'
        )
        events: list[tuple[datetime, int, str]] = []
        for item in case.items:
            if item.completed is None:
                continue
            name = item.name or item.element
            events.append(
                (
                    item.begun,
                    0,
                    _xes_event(name, "start", item.begun, item.user, item.role, item.element),
                )  # fmt: skip
            )
            events.append(
                (
                    item.completed,
                    1,
                    _xes_event(
                        name, "complete", item.completed, item.user, item.role, item.element
                    ),
                )  # fmt: skip
            )
        events.sort(key=lambda event: (event[0], event[1]))
        for _, _, text in events:
            yield text
        yield "  </trace>\n"
    yield "</log>\n"


def as_ocel(cases: Iterable[Case], *, journey: str) -> dict[str, Any]:
    """The cases as an OCEL 2.0 JSON document."""
    objects: dict[str, dict[str, Any]] = {}
    events: list[dict[str, Any]] = []
    activities: set[str] = set()

    def person(name: str | None) -> str | None:
        if not name:
            return None
        key = f"person:{name}"
        objects.setdefault(
            key, {"id": key, "type": "person", "attributes": [], "relationships": []}
        )
        return key

    def role(name: str | None) -> str | None:
        if not name:
            return None
        key = f"role:{name}"
        objects.setdefault(key, {"id": key, "type": "role", "attributes": [], "relationships": []})
        return key

    def event(
        kind: str, at: datetime, related: list[tuple[str | None, str]], **values: Any
    ) -> None:
        events.append(
            {
                "id": f"e{len(events) + 1}",
                "type": kind,
                "time": timestamp(at),
                "attributes": [{"name": name, "value": value} for name, value in values.items()],
                "relationships": [
                    {"objectId": object_id, "qualifier": qualifier}
                    for object_id, qualifier in related
                    if object_id is not None
                ],
            }
        )

    for case in cases:
        case_id = f"case:{case.id}"
        objects[case_id] = {
            "id": case_id,
            "type": "case",
            "attributes": [
                {"name": "journey", "value": journey, "time": timestamp(case.started)},
                {"name": "version", "value": case.version, "time": timestamp(case.started)},
                {
                    "name": "business_key",
                    "value": case.business_key,
                    "time": timestamp(case.started),
                },
                {
                    "name": "status",
                    "value": case.status,
                    "time": timestamp(case.ended or case.started),
                },
            ],  # fmt: skip
            "relationships": [],
        }
        event("start case", case.started, [(case_id, "case")], journey=journey)
        for number, item in enumerate(case.items, start=1):
            item_id = f"item:{case.id}:{number}"
            name = item.name or item.element
            activities.add(name)
            who, queue = person(item.user), role(item.role)
            objects[item_id] = {
                "id": item_id,
                "type": "work item",
                "attributes": [
                    {"name": "element", "value": item.element, "time": timestamp(item.created)},
                    {"name": "name", "value": name, "time": timestamp(item.created)},
                ],
                "relationships": [{"objectId": case_id, "qualifier": "part of"}]
                + ([{"objectId": queue, "qualifier": "offered to"}] if queue else []),
            }
            related = [(case_id, "case"), (item_id, "work item")]
            event("create work item", item.created, [*related, (queue, "offered to")],
                  element=item.element, activity=name)  # fmt: skip
            if item.completed is not None:
                event("start work item", item.begun, [*related, (who, "performed by")],
                      element=item.element, activity=name)  # fmt: skip
                event(name, item.completed, [*related, (who, "performed by"), (queue, "role")],
                      element=item.element, lifecycle="complete")  # fmt: skip
        if case.ended is not None:
            event(f"end case ({case.status})", case.ended, [(case_id, "case")], journey=journey)

    string = "string"
    event_types = [
        {"name": "start case", "attributes": [{"name": "journey", "type": string}]},
        {"name": "create work item", "attributes": [
            {"name": "element", "type": string}, {"name": "activity", "type": string}]},
        {"name": "start work item", "attributes": [
            {"name": "element", "type": string}, {"name": "activity", "type": string}]},
    ]  # fmt: skip
    ends = sorted({e["type"] for e in events if e["type"].startswith("end case (")})
    event_types += [
        {"name": name, "attributes": [{"name": "journey", "type": string}]} for name in ends
    ]
    event_types += [
        {"name": name, "attributes": [
            {"name": "element", "type": string}, {"name": "lifecycle", "type": string}]}
        for name in sorted(activities - {t["name"] for t in event_types})
    ]  # fmt: skip
    events.sort(key=lambda e: (e["time"], int(e["id"][1:])))
    return {
        "objectTypes": [
            {
                "name": "case",
                "attributes": [
                    {"name": "journey", "type": string},
                    {"name": "version", "type": "integer"},
                    {"name": "business_key", "type": string},
                    {"name": "status", "type": string},
                ],
            },
            {
                "name": "work item",
                "attributes": [
                    {"name": "element", "type": string},
                    {"name": "name", "type": string},
                ],
            },
            {"name": "person", "attributes": []},
            {"name": "role", "attributes": []},
        ],  # fmt: skip
        "eventTypes": event_types,
        "objects": list(objects.values()),
        "events": events,
    }
