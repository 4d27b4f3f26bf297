"""What changed between two versions of a journey's BPMN: elements added, removed and changed.

Elements are matched by id. An element has changed when its own attributes or content differ;
content that is an element of its own (a task inside a sub-process) is compared on its own, and the
``incoming``/``outgoing`` lists are left out since they only repeat the flows. Diagram interchange
(positions and sizes) is compared as a whole: ``layout_changed``.
"""

from __future__ import annotations

from typing import Any, Final

from lxml import etree

from processes.bpmn.xml import BPMN_NS, BPMNDI_NS, ITINERA_NS, parse_definitions

_DERIVED: Final = frozenset({f"{{{BPMN_NS}}}incoming", f"{{{BPMN_NS}}}outgoing"})
_PREFIXES: Final = {BPMN_NS: "", ITINERA_NS: "itn:"}


def _local(tag: Any) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def _label(key: str) -> str:
    if key.startswith("{"):
        namespace, local = key[1:].split("}", 1)
        return _PREFIXES.get(namespace, f"{{{namespace}}}") + local
    return key


def _is_model_element(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and bool(element.get("id"))


def _content(element: etree._Element) -> tuple[Any, ...]:
    """An element's own content: children that are no elements of their own, and text."""
    parts: list[Any] = []
    text = " ".join((element.text or "").split())
    if text:
        parts.append(text)
    for child in element:
        if not isinstance(child.tag, str) or child.tag in _DERIVED:
            continue
        if child.get("id") and child.tag.startswith(f"{{{BPMN_NS}}}"):
            continue  # compared as an element of its own
        parts.append(
            (
                _local(child.tag),
                tuple(sorted((_label(str(k)), v) for k, v in child.attrib.items())),
                _content(child),
            )
        )
    return tuple(parts)


def _elements(root: etree._Element) -> dict[str, etree._Element]:
    """The model elements with ids (not diagram interchange), by id, in document order."""
    found: dict[str, etree._Element] = {}
    for element in root.iter():
        if element is root or not _is_model_element(element):
            continue
        if not str(element.tag).startswith(f"{{{BPMN_NS}}}"):
            continue
        found.setdefault(element.get("id", ""), element)
    return found


def _diagram(root: etree._Element) -> tuple[Any, ...]:
    return tuple(
        etree.tostring(diagram, method="c14n")
        for diagram in root.iter(f"{{{BPMNDI_NS}}}BPMNDiagram")
    )


def _summary(element: etree._Element) -> dict[str, str]:
    return {
        "id": element.get("id", ""),
        "type": _local(element.tag),
        "name": element.get("name", ""),
    }


def _changes(old: etree._Element, new: etree._Element) -> list[str]:
    """What differs between two versions of one element, in words."""
    changes: list[str] = []
    if old.tag != new.tag:
        changes.append(f"type: {_local(old.tag)} → {_local(new.tag)}")
    before = {_label(str(k)): v for k, v in old.attrib.items() if k != "id"}
    after = {_label(str(k)): v for k, v in new.attrib.items() if k != "id"}
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            if name not in before:
                changes.append(f"{name} set to {after[name]!r}")
            elif name not in after:
                changes.append(f"{name} removed (was {before[name]!r})")
            else:
                changes.append(f"{name}: {before[name]!r} → {after[name]!r}")
    old_content, new_content = _content(old), _content(new)
    if old_content != new_content:
        tags = {part[0] for part in old_content + new_content if isinstance(part, tuple)}
        changed_tags = sorted(
            tag
            for tag in tags
            if [p for p in old_content if isinstance(p, tuple) and p[0] == tag]
            != [p for p in new_content if isinstance(p, tuple) and p[0] == tag]
        )
        texts_differ = [p for p in old_content if isinstance(p, str)] != [
            p for p in new_content if isinstance(p, str)
        ]
        described = changed_tags + (["text"] if texts_differ else [])
        changes.append("changed: " + ", ".join(described))
    return changes


def bpmn_diff(old_xml: str | None, new_xml: str) -> dict[str, Any]:
    """``{"added", "removed", "changed", "layout_changed"}`` from ``old_xml`` to ``new_xml``.

    With no old document (a first version) every element is added.
    """
    new_root = parse_definitions(new_xml)
    new = _elements(new_root)
    if old_xml is None:
        return {
            "added": [_summary(element) for element in new.values()],
            "removed": [],
            "changed": [],
            "layout_changed": True,
        }
    old_root = parse_definitions(old_xml)
    old = _elements(old_root)
    changed = []
    for element_id, element in new.items():
        if element_id in old:
            changes = _changes(old[element_id], element)
            if changes:
                changed.append({**_summary(element), "changes": changes})
    return {
        "added": [_summary(element) for key, element in new.items() if key not in old],
        "removed": [_summary(element) for key, element in old.items() if key not in new],
        "changed": changed,
        "layout_changed": _diagram(old_root) != _diagram(new_root),
    }
