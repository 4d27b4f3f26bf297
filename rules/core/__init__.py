"""The rules engine: condition rules and decision tables, with no Django in it.

``compile_rule(definition)`` turns a stored definition into a compiled rule once per version;
``rule.evaluate(case_data)`` returns an ``Evaluation``. The process engine reaches rules through a
``RuleResolver`` it is given at construction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from rules.core.base import CompiledRule, Evaluation, RuleResolver, StaticRules, bits
from rules.core.conditions import OPERATORS, ConditionRule
from rules.core.errors import (
    CellSyntaxError,
    HitPolicyViolation,
    Problem,
    RuleDefinitionError,
    RuleError,
)
from rules.core.tables import (
    AGGREGATIONS,
    HIT_POLICIES,
    TYPES,
    DecisionTable,
    Overlap,
    example_variables,
    hit_policy_overlaps,
)

KINDS: Final = ("condition", "decision_table")
#: What a rule's key may look like: it is written into BPMN attributes.
KEY_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")


def compile_rule(definition: Any) -> ConditionRule | DecisionTable:
    """Compile a definition; raises RuleDefinitionError listing every problem found."""
    if not isinstance(definition, Mapping):
        raise RuleDefinitionError([Problem("", "a rule definition is an object")])
    kind = definition.get("kind")
    if kind == "condition":
        return ConditionRule(definition)
    if kind == "decision_table":
        return DecisionTable(definition)
    raise RuleDefinitionError([Problem("kind", f"the kind is one of {', '.join(KINDS)}")])


def definition_problems(definition: Any) -> list[Problem]:
    """Every problem that keeps a definition from being published: compile errors, then the
    hit-policy overlaps the rows show."""
    try:
        compiled = compile_rule(definition)
    except RuleDefinitionError as error:
        return error.problems
    if isinstance(compiled, DecisionTable):
        return [
            Problem(f"rules[{overlap.rows[1]}]", overlap.message(compiled.hit_policy))
            for overlap in hit_policy_overlaps(compiled)
        ]
    return []


def case_outputs(
    rule: CompiledRule, evaluation: Evaluation, result_variable: str | None, key: str
) -> dict[str, Any]:
    """What a business rule task writes into the case data.

    A single-hit table writes each output under its name (null when no row matched and the
    output has no default); a multi-hit table writes the list of rows (or the aggregate) under
    ``result_variable``, else under its only output's name, else under the rule key with ``-``
    turned into ``_``; a condition rule writes its truth value the same way. With
    ``result_variable`` set, a single-hit result is written whole under it instead.
    """
    fallback = key.replace("-", "_")
    result = evaluation.result
    if rule.kind == "condition":
        return {result_variable or fallback: result}
    if isinstance(result, dict) or (result is None and _single_hit(rule)):
        outputs = result if result is not None else dict.fromkeys(rule.outputs)
        return {result_variable: outputs} if result_variable else dict(outputs)
    name = result_variable or (rule.outputs[0] if len(rule.outputs) == 1 else fallback)
    return {name: result}


def _single_hit(rule: CompiledRule) -> bool:
    return getattr(rule, "hit_policy", "") in ("unique", "first", "priority", "any")


__all__ = [
    "AGGREGATIONS",
    "HIT_POLICIES",
    "KEY_PATTERN",
    "KINDS",
    "OPERATORS",
    "TYPES",
    "CellSyntaxError",
    "CompiledRule",
    "ConditionRule",
    "DecisionTable",
    "Evaluation",
    "HitPolicyViolation",
    "Overlap",
    "Problem",
    "RuleDefinitionError",
    "RuleError",
    "RuleResolver",
    "StaticRules",
    "bits",
    "case_outputs",
    "compile_rule",
    "definition_problems",
    "example_variables",
    "hit_policy_overlaps",
]
