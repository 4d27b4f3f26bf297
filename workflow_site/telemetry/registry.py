"""The telemetry conventions of ``registry.yaml``, loaded once and checked for consistency."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REGISTRY_FILE = Path(__file__).resolve().parent / "registry.yaml"
PREFIX = "itinera."
ATTRIBUTE_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "int": (int,),
    "double": (float, int),
    "boolean": (bool,),
}
INSTRUMENTS = ("counter", "histogram", "observable_gauge", "up_down_counter")


class UnknownTelemetryName(LookupError):
    """A span, metric or attribute name that ``registry.yaml`` does not define (a code bug)."""


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str
    brief: str
    enum: tuple[str, ...] = ()

    @property
    def keyword(self) -> str:
        """The keyword argument that stands for this attribute in the helpers."""
        return self.name.removeprefix(PREFIX).replace(".", "_")

    def problem(self, value: Any) -> str | None:
        """Why ``value`` does not fit this attribute, or None."""
        if isinstance(value, bool) and self.type != "boolean":
            return f"{self.name} is a {self.type}, not a boolean"
        if not isinstance(value, ATTRIBUTE_TYPES[self.type]):
            return f"{self.name} is a {self.type}, not {type(value).__name__}"
        if self.enum and value not in self.enum:
            return f"{self.name}={value!r} is not one of {list(self.enum)}"
        return None


@dataclass(frozen=True)
class SpanSpec:
    name: str
    brief: str
    kind: str
    required: frozenset[str]
    optional: frozenset[str]
    duration_metric: str | None
    #: keyword -> attribute name, for every attribute the span may carry.
    keywords: Mapping[str, str]

    @property
    def allowed(self) -> frozenset[str]:
        return self.required | self.optional


@dataclass(frozen=True)
class MetricSpec:
    name: str
    instrument: str
    unit: str
    brief: str
    attributes: frozenset[str]
    keywords: Mapping[str, str]
    buckets: tuple[float, ...] = ()


@dataclass(frozen=True)
class Registry:
    scope: str
    attributes: Mapping[str, Attribute]
    spans: Mapping[str, SpanSpec]
    metrics: Mapping[str, MetricSpec]
    instrumentations: Mapping[str, str]

    def span(self, name: str) -> SpanSpec:
        try:
            return self.spans[name]
        except KeyError:
            raise UnknownTelemetryName(f"span {name!r} is not in {REGISTRY_FILE.name}") from None

    def metric(self, name: str) -> MetricSpec:
        try:
            return self.metrics[name]
        except KeyError:
            raise UnknownTelemetryName(f"metric {name!r} is not in {REGISTRY_FILE.name}") from None

    def problems(self, allowed: Iterable[str], attributes: Mapping[str, Any]) -> list[str]:
        """What is wrong with ``attributes`` (names → values) for something allowing ``allowed``."""
        allowed = set(allowed)
        found = []
        for name, value in attributes.items():
            if name not in allowed:
                found.append(f"{name} is not an attribute it may carry")
            elif (problem := self.attributes[name].problem(value)) is not None:
                found.append(problem)
        return found


def _names(raw: Any, where: str, known: Mapping[str, Attribute]) -> frozenset[str]:
    names = frozenset(raw or ())
    unknown = sorted(names - set(known))
    if unknown:
        raise ValueError(f"{where} names undefined attributes {unknown}")
    return names


def _keywords(names: Iterable[str], known: Mapping[str, Attribute]) -> dict[str, str]:
    return {known[name].keyword: name for name in names}


def parse(document: Mapping[str, Any]) -> Registry:
    """Build the registry from the YAML document, refusing dangling or ambiguous names."""
    attributes = {
        name: Attribute(
            name=name,
            type=spec["type"],
            brief=spec.get("brief", ""),
            enum=tuple(spec.get("enum", ())),
        )
        for name, spec in document["attributes"].items()
    }
    for attribute in attributes.values():
        if attribute.type not in ATTRIBUTE_TYPES:
            raise ValueError(f"attribute {attribute.name} has an unknown type {attribute.type!r}")
    keywords = [attribute.keyword for attribute in attributes.values()]
    if len(set(keywords)) != len(keywords):
        raise ValueError("two attributes share a keyword")
    metrics = {}
    for name, spec in document["metrics"].items():
        if spec["instrument"] not in INSTRUMENTS:
            raise ValueError(f"metric {name} has an unknown instrument {spec['instrument']!r}")
        names = _names(spec.get("attributes"), f"metric {name}", attributes)
        metrics[name] = MetricSpec(
            name=name,
            instrument=spec["instrument"],
            unit=spec.get("unit", ""),
            brief=spec.get("brief", ""),
            attributes=names,
            keywords=_keywords(names, attributes),
            buckets=tuple(float(bound) for bound in spec.get("buckets", ())),
        )
    spans = {}
    for name, spec in document["spans"].items():
        declared = spec.get("attributes") or {}
        required = _names(declared.get("required"), f"span {name}", attributes)
        optional = _names(declared.get("optional"), f"span {name}", attributes)
        duration = spec.get("duration_metric")
        if duration is not None:
            if metrics.get(duration) is None or metrics[duration].instrument != "histogram":
                raise ValueError(f"span {name}: {duration} is not a histogram of the registry")
            if not metrics[duration].attributes <= required | optional:
                raise ValueError(f"span {name}: {duration} has attributes the span does not")
        spans[name] = SpanSpec(
            name=name,
            brief=spec.get("brief", ""),
            kind=spec.get("kind", "internal"),
            required=required,
            optional=optional,
            duration_metric=duration,
            keywords=_keywords(required | optional, attributes),
        )
    return Registry(
        scope=document["scope"],
        attributes=attributes,
        spans=spans,
        metrics=metrics,
        instrumentations=dict(document.get("instrumentations") or {}),
    )


@functools.cache
def load() -> Registry:
    with REGISTRY_FILE.open(encoding="utf-8") as source:
        return parse(yaml.safe_load(source))
