"""DMN XML import and export of decision tables (the decision-table subset of DMN 1.1 to 1.3).

Import reads the first decision whose logic is a decision table (or the one named): its hit
policy and aggregation, input clauses (label, ``inputExpression`` text and ``typeRef``), output
clauses (``name``, label, ``typeRef``, ``outputValues``, ``defaultOutputEntry``) and rules
(``inputEntry``/``outputEntry`` texts, ``description`` or ``annotationEntry``). Cells keep their
FEEL text: what falls outside the supported unary tests is reported when the table is compiled.
Export writes DMN 1.3.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from lxml import etree

from rules.core.cells import parse_cell
from rules.core.errors import CellSyntaxError

DMN13_NS: Final = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMN_NAMESPACES: Final = frozenset(
    {
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",  # 1.1
        "http://www.omg.org/spec/DMN/20180521/MODEL/",  # 1.2
        DMN13_NS,
        "https://www.omg.org/spec/DMN/20191111/MODEL",
        "https://www.omg.org/spec/DMN/20211108/MODEL/",  # 1.4, same table elements
        "https://www.omg.org/spec/DMN/20230324/MODEL/",  # 1.5
    }
)
FEEL13: Final = "https://www.omg.org/spec/DMN/20191111/FEEL/"
MAX_DOCUMENT_BYTES: Final = 5 * 1024 * 1024
_HIT_POLICIES: Final = {
    "UNIQUE": "unique",
    "FIRST": "first",
    "PRIORITY": "priority",
    "ANY": "any",
    "COLLECT": "collect",
    "RULE ORDER": "rule_order",
    "OUTPUT ORDER": "output_order",
}
_TYPES: Final = {
    "string": "string",
    "number": "number",
    "integer": "number",
    "int": "number",
    "long": "number",
    "double": "number",
    "decimal": "number",
    "boolean": "boolean",
}
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARSER: Final = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)


class DmnError(ValueError):
    """The document is not DMN, or holds no decision table; ``line`` where the parser knows it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class ImportedDecision:
    """A decision read from DMN: its id (a rule key), name, description and table definition."""

    key: str
    name: str
    description: str
    definition: dict[str, Any]


def _local(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _children(element: Any, name: str) -> list[Any]:
    return [child for child in element if _local(child) == name]


def _child(element: Any, name: str) -> Any:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: Any) -> str:
    if element is None:
        return ""
    text = _child(element, "text")
    if text is None:
        return ""
    return "".join(text.itertext()).strip()


def _values(text: str) -> list[Any]:
    """The literals of an ``outputValues`` text such as ``"high","low"``."""
    if not text.strip():
        return []
    try:
        tests = parse_cell(text)
    except CellSyntaxError:
        return []
    values = []
    for atom in tests.atoms:
        if atom.kind != "eq" or atom.low is None or not atom.low.is_literal:
            return []
        values.append(atom.low.value)
    return values


def _literal(text: str) -> Any:
    values = _values(text)
    return values[0] if len(values) == 1 else None


def _output_name(output: Any, index: int) -> str:
    for candidate in (output.get("name"), output.get("label"), output.get("id")):
        if not candidate:
            continue
        if _NAME.fullmatch(candidate):
            return candidate
        words = re.sub(r"[^A-Za-z0-9]+", "_", candidate).strip("_")
        if words and _NAME.fullmatch(words):
            return words[0].lower() + words[1:]
    return f"output{index + 1}"


def parse_dmn(text: str | bytes, decision_id: str | None = None) -> ImportedDecision:
    """Read a decision table from DMN XML; raises DmnError when there is none to read."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DmnError(f"The DMN document is larger than {MAX_DOCUMENT_BYTES} bytes.")
    if b"<!DOCTYPE" in data[:4096].upper():
        raise DmnError("DMN documents may not declare a DOCTYPE.")
    if isinstance(text, str):
        data = re.sub(rb"^(\s*<\?xml[^>]*?encoding=)([\"'])[^\"']*\2", rb"\1\2UTF-8\2", data)
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        line = error.position[0] if error.position else None
        raise DmnError(f"The DMN document is not well-formed XML: {error.msg}", line) from None
    namespace = root.tag.partition("}")[0].lstrip("{") if isinstance(root.tag, str) else ""
    if _local(root) != "definitions" or namespace not in DMN_NAMESPACES:
        raise DmnError("The root element must be the definitions element of DMN 1.1 to 1.5.")
    decisions = [element for element in root if _local(element) == "decision"]
    for decision in decisions:
        table = _child(decision, "decisionTable")
        if table is None or (decision_id is not None and decision.get("id") != decision_id):
            continue
        return ImportedDecision(
            key=decision.get("id") or "",
            name=decision.get("name") or decision.get("id") or "",
            description=_description(decision),
            definition=_table(table),
        )
    if decision_id is not None:
        raise DmnError(f"The document has no decision table with the id {decision_id!r}.")
    raise DmnError("The document has no decision whose logic is a decision table.")


def _description(element: Any) -> str:
    description = _child(element, "description")
    return "".join(description.itertext()).strip() if description is not None else ""


def _table(table: Any) -> dict[str, Any]:
    hit_policy = _HIT_POLICIES.get((table.get("hitPolicy") or "UNIQUE").strip().upper(), "")
    aggregation = (table.get("aggregation") or "").strip().lower() or None
    inputs = []
    for clause in _children(table, "input"):
        expression = _child(clause, "inputExpression")
        source = _text(expression) or (clause.get("label") or "")
        type_ref = (expression.get("typeRef") if expression is not None else None) or ""
        inputs.append(
            {
                "label": clause.get("label") or source,
                "expression": source,
                "type": _TYPES.get(type_ref.strip().lower(), "any"),
            }
        )
    outputs = []
    for index, clause in enumerate(_children(table, "output")):
        output: dict[str, Any] = {
            "name": _output_name(clause, index),
            "label": clause.get("label") or clause.get("name") or "",
            "type": _TYPES.get((clause.get("typeRef") or "").strip().lower(), "any"),
        }
        allowed = _values(_text(_child(clause, "outputValues")))
        if allowed:
            output["allowed"] = allowed
        default = _child(clause, "defaultOutputEntry")
        if default is not None:
            output["default"] = _literal(_text(default))
        outputs.append(output)
    rules = []
    for rule in _children(table, "rule"):
        annotation = _child(rule, "annotationEntry")
        rules.append(
            {
                "inputs": [_text(entry) or "-" for entry in _children(rule, "inputEntry")],
                "outputs": [_text(entry) for entry in _children(rule, "outputEntry")],
                "description": _description(rule) or _text(annotation),
            }
        )
    return {
        "kind": "decision_table",
        "hit_policy": hit_policy or (table.get("hitPolicy") or ""),
        "aggregation": aggregation,
        "inputs": inputs,
        "outputs": outputs,
        "rules": rules,
    }


_DMN_POLICIES: Final = {value: key for key, value in _HIT_POLICIES.items()}
_DMN_TYPES: Final = {"string": "string", "number": "number", "boolean": "boolean"}


def _literal_text(value: Any) -> str:
    from rules.core.cells import literal_text

    return literal_text(value)


def export_dmn(*, key: str, name: str, description: str, definition: Mapping[str, Any]) -> bytes:
    """A DMN 1.3 document with one decision (id ``key``) whose logic is the table."""
    nsmap = {None: DMN13_NS}
    root = etree.Element(
        f"{{{DMN13_NS}}}definitions",
        nsmap=nsmap,
        id=f"Definitions_{key}".replace("-", "_"),
        name=name,
        namespace="urn:itinera:rules",
        exporter="Itinera",
    )

    def sub(parent: Any, tag: str, **attributes: str) -> Any:
        return etree.SubElement(parent, f"{{{DMN13_NS}}}{tag}", attrib=attributes)

    def text_child(parent: Any, value: str) -> None:
        sub(parent, "text").text = value

    decision = sub(root, "decision", id=key, name=name)
    if description:
        sub(decision, "description").text = description
    attributes = {"id": f"{key}_table".replace("-", "_")}
    policy = _DMN_POLICIES.get(str(definition.get("hit_policy") or "unique"), "UNIQUE")
    if policy != "UNIQUE":
        attributes["hitPolicy"] = policy
    if definition.get("aggregation"):
        attributes["aggregation"] = str(definition["aggregation"]).upper()
    table = sub(decision, "decisionTable", **attributes)
    for index, column in enumerate(definition.get("inputs") or []):
        clause = sub(table, "input", id=f"input_{index + 1}", label=str(column.get("label") or ""))
        expression_attributes = {"id": f"inputExpression_{index + 1}"}
        if column.get("type") in _DMN_TYPES:
            expression_attributes["typeRef"] = _DMN_TYPES[column["type"]]
        expression = sub(clause, "inputExpression", **expression_attributes)
        text_child(expression, str(column.get("expression") or ""))
    for index, column in enumerate(definition.get("outputs") or []):
        output_attributes = {
            "id": f"output_{index + 1}",
            "name": str(column.get("name") or ""),
            "label": str(column.get("label") or column.get("name") or ""),
        }
        if column.get("type") in _DMN_TYPES:
            output_attributes["typeRef"] = _DMN_TYPES[column["type"]]
        clause = sub(table, "output", **output_attributes)
        if column.get("allowed"):
            values = sub(clause, "outputValues", id=f"outputValues_{index + 1}")
            text_child(values, ",".join(_literal_text(value) for value in column["allowed"]))
        if column.get("default") is not None:
            default = sub(clause, "defaultOutputEntry", id=f"defaultOutput_{index + 1}")
            text_child(default, _literal_text(column["default"]))
    for row_index, row in enumerate(definition.get("rules") or []):
        rule = sub(table, "rule", id=f"rule_{row_index + 1}")
        if row.get("description"):
            sub(rule, "description").text = str(row["description"])
        for index, cell in enumerate(row.get("inputs") or []):
            entry = sub(rule, "inputEntry", id=f"rule_{row_index + 1}_in_{index + 1}")
            shown = cell if isinstance(cell, str) else "-" if cell is None else _literal_text(cell)
            text_child(entry, shown.strip() or "-")
        for index, cell in enumerate(row.get("outputs") or []):
            entry = sub(rule, "outputEntry", id=f"rule_{row_index + 1}_out_{index + 1}")
            text_child(
                entry,
                cell if isinstance(cell, str) else "" if cell is None else _literal_text(cell),
            )
    etree.indent(root, space="  ")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
