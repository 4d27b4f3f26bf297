"""The rules behind running journeys: compiled once per published version, resolved per journey
version (its pinned versions, or the latest for rules marked "always latest")."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from django.db.models import OuterRef, Subquery

from rules.core import CompiledRule, compile_rule
from rules.models import Rule, RulePin, RuleVersion

_CACHE_SIZE = 512
#: Compiled versions by (id, publication time): the time guards against a reused primary key
#: (a restored or recreated database).
_compiled: OrderedDict[tuple[int, Any], CompiledRule] = OrderedDict()
_lock = threading.Lock()


def compiled_version(version_id: int, definition: Any, published_at: Any = None) -> CompiledRule:
    """The compiled form of a published version (versions never change, so it is kept)."""
    key = (version_id, published_at)
    with _lock:
        found = _compiled.get(key)
        if found is not None:
            _compiled.move_to_end(key)
            return found
    compiled = compile_rule(definition)
    with _lock:
        _compiled[key] = compiled
        while len(_compiled) > _CACHE_SIZE:
            _compiled.popitem(last=False)
    return compiled


def _compiled_by_id(version_id: int, published_at: Any) -> CompiledRule | None:
    with _lock:
        found = _compiled.get((version_id, published_at))
    if found is not None:
        return found
    for definition in RuleVersion.objects.filter(pk=version_id).values_list(
        "definition", flat=True
    ):
        return compiled_version(version_id, definition, published_at)
    return None


def _resolve(key: str, journey_version_id: int | None) -> CompiledRule | None:
    """One query: the rule's latest version and the one the journey version pinned; then the
    compiled form of the one that applies."""
    latest = RuleVersion.objects.filter(rule=OuterRef("pk")).order_by("-number")
    annotations: dict[str, Any] = {
        "latest_id": Subquery(latest.values("pk")[:1]),
        "latest_at": Subquery(latest.values("published_at")[:1]),
    }
    if journey_version_id is not None:
        pin = RulePin.objects.filter(rule=OuterRef("pk"), journey_version_id=journey_version_id)
        annotations["pinned_id"] = Subquery(pin.values("rule_version_id")[:1])
        annotations["pinned_at"] = Subquery(pin.values("rule_version__published_at")[:1])
    row = (
        Rule.objects.filter(key=key)
        .annotate(**annotations)
        .values("always_latest", *annotations)
        .first()
    )
    if row is None or row["latest_id"] is None:
        return None  # no such rule, or never published
    if row.get("pinned_id") is not None and not row["always_latest"]:
        return _compiled_by_id(row["pinned_id"], row["pinned_at"])
    return _compiled_by_id(row["latest_id"], row["latest_at"])


class LatestRules:
    """Resolves each key to its rule's latest published version (drafts and their checks)."""

    def resolve(self, key: str) -> CompiledRule | None:
        return _resolve(key, None)


class JourneyRules:
    """The rules of one journey version: the versions it pinned at publish, except for rules
    marked "always latest", which are read as they are each time they are evaluated.

    A rule the version did not pin (it was published before the rule existed) reads the latest.
    """

    def __init__(self, journey_version_id: int | None) -> None:
        self.journey_version_id = journey_version_id

    def resolve(self, key: str) -> CompiledRule | None:
        return _resolve(key, self.journey_version_id)


def rules_for_version(version: Any) -> JourneyRules:
    """The resolver a journey version's engine uses."""
    return JourneyRules(version.pk)


def assignment_extensions(
    *, instance: Any, node: Any, variables: Mapping[str, Any]
) -> dict[str, str]:
    """What a work item's ``itn:assignmentRule`` gives as ``itn:role``/``itn:assignee``.

    Empty when the task names no assignment rule, no row matched, or the rule fails (the engine
    has already turned that failure into an incident as the item opened).
    """
    if node is None or not node.extensions.get("assignmentRule"):
        return {}
    from processes.engine.core import Incident
    from processes.runtime import engine_for

    try:
        outputs = engine_for(instance.version).assignment(node.id, variables)
    except Incident:
        return {}
    found: dict[str, str] = {}
    if outputs.get("role"):
        found["role"] = str(outputs["role"])
    if outputs.get("assignee"):
        # ``itn:assignee`` is an expression over the case data: the name goes in as a literal.
        found["assignee"] = repr(str(outputs["assignee"]))
        found["assignment"] = "user"
    return found
