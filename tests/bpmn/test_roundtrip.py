from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from processes.bpmn.exporter import convert, export
from processes.bpmn.importer import load
from processes.bpmn.xml import BPMN_NS, BPMNDI_NS, DC_NS, DI_NS, parse_definitions

DEMO = Path(__file__).resolve().parents[2] / "processes" / "demo"
MIWG = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "bpmn-miwg" / "Reference"
MIWG_FILES = sorted(MIWG.glob("*.bpmn")) if MIWG.is_dir() else []
miwg = pytest.mark.skipif(not MIWG_FILES, reason="the MIWG suite is not beside this checkout")

_PREFIXED = re.compile(r"^([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)$")
_REFERENCE_ATTRIBUTES = {"bpmnElement", "sourceElement", "targetElement", "default"}
_EXPRESSION_TAGS = {
    "documentation",
    "text",
    "condition",
    "loopCondition",
    "loopCardinality",
    "completionCondition",
    "activationCondition",
    "timeDate",
    "timeDuration",
    "timeCycle",
    "script",
}


# A canonical view of a BPMN document: what it means, whatever prefixes and layout it is written in.


def _normal_text(text: str | None) -> str:
    return " ".join((text or "").split())


def _value(element: etree._Element, value: str) -> str:
    """An attribute value, with a QName's prefix resolved to its namespace URI."""
    match = _PREFIXED.match(value.strip())
    if match and match.group(1) in element.nsmap:
        return f"{{{element.nsmap[match.group(1)]}}}{match.group(2)}"
    return value


def _attributes(element: etree._Element) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), _value(element, v)) for k, v in element.attrib.items()))


def _tree(node: etree._Element) -> tuple[Any, ...]:
    """The whole subtree: tags, attributes, text, comments, in order, ignoring indentation."""
    if isinstance(node, etree._Comment):
        return ("#comment", _normal_text(node.text), _normal_text(node.tail))
    if isinstance(node, etree._ProcessingInstruction):
        return ("#pi", node.target, _normal_text(node.text), _normal_text(node.tail))
    return (
        node.tag,
        _attributes(node),
        _normal_text(node.text),
        tuple(_tree(child) for child in node),
        _normal_text(node.tail),
    )


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _owner(element: etree._Element | None) -> str | None:
    while element is not None:
        if element.get("id"):
            return element.get("id")
        element = element.getparent()
    return None


def _bounds(element: etree._Element | None) -> tuple[float, ...] | None:
    if element is None:
        return None
    bounds = element.find(f"{{{DC_NS}}}Bounds")
    if bounds is None:
        return None
    return tuple(float(bounds.get(name, "nan")) for name in ("x", "y", "width", "height"))


def canonical_view(root: etree._Element) -> dict[str, Any]:
    elements: dict[str, tuple[Any, ...]] = {}
    structure: set[tuple[str | None, str]] = set()
    references: set[tuple[str | None, str, str]] = set()
    extensions: dict[str | None, list[tuple[Any, ...]]] = {}
    texts: set[tuple[str | None, str, str]] = set()
    shapes: dict[str, tuple[Any, ...]] = {}
    edges: dict[str, tuple[Any, ...]] = {}
    for element in root.iter(etree.Element):
        local = _local(element)
        namespace = etree.QName(element).namespace
        element_id = element.get("id") or ""
        if element_id:
            elements[element_id] = (element.tag, _attributes(element))
            structure.add((_owner(element.getparent()), element_id))
        for key, value in element.attrib.items():
            name = etree.QName(key).localname
            if name.endswith("Ref") or name in _REFERENCE_ATTRIBUTES:
                references.add((_owner(element), name, _value(element, value)))
        if namespace == BPMN_NS and (
            local.endswith(("Ref", "Refs")) or local in ("incoming", "outgoing", "source", "target")
        ):
            references.add((_owner(element.getparent()), local, _normal_text(element.text)))
        if namespace == BPMN_NS and local == "extensionElements":
            extensions.setdefault(_owner(element), []).append(_tree(element))
        if namespace == BPMN_NS and (local in _EXPRESSION_TAGS or local.endswith("Expression")):
            texts.add((_owner(element), local, _normal_text("".join(element.itertext()))))
        if namespace == BPMNDI_NS and local == "BPMNShape":
            label = element.find(f"{{{BPMNDI_NS}}}BPMNLabel")
            shapes[element_id or element.get("bpmnElement") or ""] = (
                element.get("bpmnElement"),
                _bounds(element),
                _bounds(label),
                _attributes(element),
            )
        if namespace == BPMNDI_NS and local == "BPMNEdge":
            label = element.find(f"{{{BPMNDI_NS}}}BPMNLabel")
            waypoints = [
                (float(point.get("x", "nan")), float(point.get("y", "nan")))
                for point in element.iterchildren(f"{{{DI_NS}}}waypoint")
            ]
            edges[element_id or element.get("bpmnElement") or ""] = (
                element.get("bpmnElement"),
                waypoints,
                _bounds(label),
                _attributes(element),
            )
    return {
        "elements": elements,
        "structure": structure,
        "references": references,
        "extensions": extensions,
        "texts": texts,
        "shapes": shapes,
        "edges": edges,
        "tree": _tree(root),
        "around the root": [_tree(sibling) for sibling in root.itersiblings(preceding=True)]
        + [_tree(sibling) for sibling in root.itersiblings()],
    }


def _assert_round_trip(data: bytes) -> None:
    original = load(data)
    exported = export(original)
    assert exported.startswith(b"<?xml version='1.0' encoding='UTF-8'")
    reimported = load(exported)

    before = canonical_view(parse_definitions(data))
    after = canonical_view(reimported.tree)
    for aspect in before:
        assert after[aspect] == before[aspect], aspect
    assert before["shapes"]
    assert all(shape[1] is not None for shape in before["shapes"].values())
    assert reimported.definitions == original.definitions
    # A second export writes the very same bytes: nothing drifts from one save to the next.
    assert export(reimported) == exported


# Tests -------------------------------------------------------------------------------------------


@miwg
@pytest.mark.parametrize("path", MIWG_FILES, ids=lambda p: p.name)
def test_reference_models_round_trip(path: Path) -> None:
    _assert_round_trip(path.read_bytes())


@pytest.mark.parametrize("path", sorted(DEMO.glob("*.bpmn")), ids=lambda p: p.name)
def test_demo_journeys_round_trip(path: Path) -> None:
    _assert_round_trip(path.read_bytes())


@miwg
def test_round_trip_keeps_diagram_interchange_of_a_reference_model() -> None:
    exported = load(export(load((MIWG / "C.9.1.bpmn").read_bytes()))).tree
    view = canonical_view(exported)
    (task_shape,) = [
        shape for shape in view["shapes"].values() if shape[0] == "ReceiveTask_WaitForDocument"
    ]
    assert task_shape[1] is not None
    assert all(value >= 0 for value in task_shape[1])
    assert any(len(edge[1]) >= 2 for edge in view["edges"].values())


def test_canonical_view_ignores_prefixes_and_layout_but_not_meaning() -> None:
    def document(prefix: str, y: str) -> bytes:
        tag = f"{prefix}:" if prefix else ""
        declaration = f"xmlns:{prefix}" if prefix else "xmlns"
        return f"""<{tag}definitions {declaration}="{BPMN_NS}" xmlns:b="{BPMN_NS}"
              xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
              xmlns:bpmndi="{BPMNDI_NS}" xmlns:dc="{DC_NS}" xmlns:di="{DI_NS}" id="D">
          <{tag}process id="P"><{tag}sequenceFlow id="F" sourceRef="A" targetRef="B">
              <{tag}conditionExpression xsi:type="b:tFormalExpression">ok</{tag}conditionExpression>
          </{tag}sequenceFlow></{tag}process>
          <bpmndi:BPMNDiagram id="Dia"><bpmndi:BPMNPlane id="Pl" bpmnElement="P">
            <bpmndi:BPMNEdge id="F_di" bpmnElement="F">
              <di:waypoint x="1" y="{y}"/><di:waypoint x="5" y="2"/>
            </bpmndi:BPMNEdge>
          </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
        </{tag}definitions>""".encode()

    semantic = canonical_view(parse_definitions(document("semantic", "2")))
    assert canonical_view(parse_definitions(document("", "2"))) == semantic
    moved = canonical_view(parse_definitions(document("semantic", "3")))
    assert moved["edges"] != semantic["edges"]


def test_export_keeps_comments_extensions_and_unused_namespaces() -> None:
    data = f"""<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>
<!-- made by hand -->
<definitions xmlns="{BPMN_NS}" xmlns:unused="urn:unused" xmlns:x="urn:vendor"
    xmlns:itn="urn:itinera:bpmn:1" id="D">
  <process id="P" x:colour="blue">
    <userTask id="T" name="Prüfen" itn:role="clerks">
      <extensionElements><x:setting x:key="k">v<!-- keep --></x:setting></extensionElements>
    </userTask>
  </process>
</definitions>""".encode("iso-8859-1")
    exported = export(load(data))
    assert exported.startswith(b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>")
    assert b"<!-- made by hand -->" in exported
    assert b'xmlns:unused="urn:unused"' in exported
    assert b'<x:setting x:key="k">v<!-- keep --></x:setting>' in exported
    assert "Prüfen".encode() in exported
    assert canonical_view(parse_definitions(exported)) == canonical_view(parse_definitions(data))


def test_export_only_takes_a_whole_definitions_document() -> None:
    root = load((DEMO / "expense-claim.bpmn").read_bytes()).tree
    assert export(root) == export(load(export(root)))
    with pytest.raises(ValueError, match="definitions"):
        export(root[0])


def test_convert_writes_the_export_and_returns_the_import_findings(tmp_path: Path) -> None:
    source = tmp_path / "in.bpmn"
    source.write_text(
        f"""<definitions xmlns="{BPMN_NS}" xmlns:itn="urn:itinera:bpmn:1" id="D">
              <process id="P"><task id="T" itn:colour="red"/></process>
            </definitions>""",
        encoding="utf-8",
    )
    target = tmp_path / "out.bpmn"
    findings = convert(source, target)
    assert [(f.code, f.element_id) for f in findings] == [("unknown-itinera-attribute", "T")]
    assert canonical_view(parse_definitions(target.read_bytes())) == canonical_view(
        parse_definitions(source.read_bytes())
    )
