"""CSV import and export of a decision table's columns and rows.

The header names each column: ``input:<expression>`` (optionally ``input:<expression>:<type>``),
``output:<name>`` (optionally ``output:<name>:<type>``), and ``description``. Each further line is
a row of cell texts as the editor shows them. The hit policy, labels, allowed values and defaults
are not in the file: an import keeps those of the table it replaces where the columns match.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any, Final

from rules.core.cells import literal_text
from rules.core.errors import Problem, RuleDefinitionError
from rules.core.tables import TYPES

MAX_CSV_BYTES: Final = 5 * 1024 * 1024


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else literal_text(value)


def export_csv(definition: Mapping[str, Any]) -> str:
    """The table as CSV text (header, then one line per row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = [
        f"input:{column.get('expression', '')}:{column.get('type') or 'any'}"
        for column in definition.get("inputs") or []
    ]
    header += [
        f"output:{column.get('name', '')}:{column.get('type') or 'any'}"
        for column in definition.get("outputs") or []
    ]
    writer.writerow([*header, "description"])
    for row in definition.get("rules") or []:
        writer.writerow(
            [_cell(cell) for cell in row.get("inputs") or []]
            + [_cell(cell) for cell in row.get("outputs") or []]
            + [row.get("description") or ""]
        )
    return buffer.getvalue()


def import_csv(text: str, base: Mapping[str, Any]) -> dict[str, Any]:
    """A table definition with the columns and rows of ``text``, and the other settings of
    ``base`` (the table being replaced). Raises RuleDefinitionError naming the line at fault."""
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        raise RuleDefinitionError(
            [Problem("file", f"the file is larger than {MAX_CSV_BYTES} bytes")]
        )
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        lines = list(reader)
    except csv.Error as error:
        raise RuleDefinitionError([Problem("file", f"not CSV: {error}")]) from None
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise RuleDefinitionError([Problem("file", "the file is empty")])
    header = [cell.strip() for cell in lines[0]]
    old_inputs = {
        c.get("expression"): c for c in base.get("inputs") or [] if isinstance(c, Mapping)
    }
    old_outputs = {c.get("name"): c for c in base.get("outputs") or [] if isinstance(c, Mapping)}
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    roles: list[str] = []
    problems: list[Problem] = []
    for index, title in enumerate(header):
        role, _, rest = title.partition(":")
        role = role.strip().lower()
        if role == "description" and not rest:
            roles.append("description")
            continue
        name, _, column_type = rest.rpartition(":") if rest.count(":") else (rest, "", "")
        if column_type and column_type.strip() not in TYPES:
            name, column_type = rest, ""
        name, column_type = name.strip(), column_type.strip() or "any"
        if role not in ("input", "output") or not name:
            problems.append(
                Problem(
                    f"header[{index}]",
                    f"{title!r}: a column is input:<expression>, output:<name> or description",
                )
            )
            roles.append("ignored")
            continue
        roles.append(role)
        if role == "input":
            previous = old_inputs.get(name, {})
            inputs.append(
                {"label": previous.get("label") or name, "expression": name, "type": column_type}
            )
        else:
            previous = dict(old_outputs.get(name, {}))
            previous.update({"name": name, "type": column_type})
            previous.setdefault("label", name)
            outputs.append(previous)
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if len(line) > len(header):
            problems.append(
                Problem(f"line[{number}]", f"line {number} has more cells than the header")
            )
            continue
        line = line + [""] * (len(header) - len(line))
        row: dict[str, Any] = {"inputs": [], "outputs": [], "description": ""}
        for role, cell in zip(roles, line, strict=True):
            if role == "input":
                row["inputs"].append(cell.strip() or "-")
            elif role == "output":
                row["outputs"].append(cell.strip())
            elif role == "description":
                row["description"] = cell.strip()
        rows.append(row)
    if problems:
        raise RuleDefinitionError(problems)
    return {
        "kind": "decision_table",
        "hit_policy": base.get("hit_policy") or "unique",
        "aggregation": base.get("aggregation"),
        "inputs": inputs,
        "outputs": outputs,
        "rules": rows,
    }
