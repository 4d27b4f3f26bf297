from __future__ import annotations

from pathlib import Path

import pytest

from processes.bpmn.xml import BpmnSyntaxError, parse_definitions, process_summaries

DEMO = Path(__file__).resolve().parents[2] / "processes" / "demo"
MIWG = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "bpmn-miwg" / "Reference"


@pytest.mark.parametrize("path", sorted(DEMO.glob("*.bpmn")), ids=lambda p: p.name)
def test_demo_journeys_are_executable_bpmn_with_a_diagram(path: Path) -> None:
    definitions = parse_definitions(path.read_bytes())
    (process,) = process_summaries(definitions)
    assert process.is_executable
    shapes = definitions.findall(".//{*}BPMNShape")
    elements = {e.get("id") for e in definitions.find("{*}process").iter() if e.get("id")}
    assert {shape.get("bpmnElement") for shape in shapes} | {
        edge.get("bpmnElement") for edge in definitions.findall(".//{*}BPMNEdge")
    } == elements - {process.id}


@pytest.mark.skipif(not MIWG.exists(), reason="the conformance suite is not beside this checkout")
@pytest.mark.parametrize("path", sorted(MIWG.glob("*.bpmn")), ids=lambda p: p.name)
def test_reference_models_parse(path: Path) -> None:
    assert process_summaries(parse_definitions(path.read_bytes()))


def test_syntax_error_reports_the_line() -> None:
    with pytest.raises(BpmnSyntaxError) as caught:
        parse_definitions("<a>\n<b>\n</a>")
    assert caught.value.line == 3
