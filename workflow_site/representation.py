"""Read-only serializers represented from a plan made once per class.

DRF deep-copies a serializer's declared fields, nested serializers' included, for every object
it represents: on a task response that copying cost more than the database work. A ``Plan``
binds the fields once and keeps, per field, how to read its value and how to represent it;
``represent`` then gives exactly what ``serializer.data`` gives (the serializer classes stay the
single description of the output, and of the API schema).

Only fields that represent a value without the serializer's context are planned (the leaf types
in ``LEAF_FIELDS``, nested serializers, lists of them, and ``SerializerMethodField``, whose
method gets a serializer holding the caller's context); any other field is refused when the
plan is made, so a serializer that needs more keeps DRF's path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

#: Fields whose representation depends on their value alone.
LEAF_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,  # and its subclasses: email, slug, URL, regex, UUID as text
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.DecimalField,
    serializers.DictField,
    serializers.FloatField,
    serializers.IntegerField,
    serializers.JSONField,
    serializers.ReadOnlyField,
    serializers.UUIDField,
)

_LEAF, _NESTED, _MANY, _METHOD = range(4)


class Plan:
    """How to represent objects as ``serializer_class`` does, made once (see ``plan``)."""

    def __init__(self, serializer_class: type[serializers.BaseSerializer[Any]]) -> None:
        if not issubclass(serializer_class, serializers.Serializer):
            raise TypeError(f"{serializer_class.__name__} is not a Serializer")
        self.serializer_class = serializer_class
        template = serializer_class(context={})
        self.steps: list[tuple[str, Any, int, Any]] = [
            self._step(serializer_class, field) for field in template._readable_fields
        ]
        self.has_methods = any(step[2] == _METHOD for step in self.steps)

    @staticmethod
    def _step(owner: type[Any], field: Any) -> tuple[str, Any, int, Any]:
        name = field.field_name
        if isinstance(field, serializers.SerializerMethodField):
            return name, field, _METHOD, field.method_name
        if isinstance(field, serializers.ListSerializer) and isinstance(
            field.child, serializers.Serializer
        ):
            return name, field, _MANY, plan(type(field.child))
        if isinstance(field, serializers.Serializer):
            return name, field, _NESTED, plan(type(field))
        if isinstance(field, serializers.ListField) and isinstance(field.child, LEAF_FIELDS):
            return name, field, _LEAF, field.to_representation
        if isinstance(field, LEAF_FIELDS):
            return name, field, _LEAF, field.to_representation
        raise TypeError(
            f"{owner.__name__}.{name}: a {type(field).__name__} is not planned; "
            "represent this serializer with DRF"
        )

    def represent(self, obj: Any, context: dict[str, Any] | None = None) -> dict[str, Any]:
        """``serializer_class(obj, context=context).data``, without the field copies."""
        holder = self.serializer_class(context=context or {}) if self.has_methods else None
        out: dict[str, Any] = {}
        for name, field, kind, how in self.steps:
            if kind == _METHOD:
                out[name] = getattr(holder, how)(obj)
                continue
            try:
                value = field.get_attribute(obj)
            except SkipField:
                continue
            if (value.pk if isinstance(value, PKOnlyObject) else value) is None:
                out[name] = None
            elif kind == _LEAF:
                out[name] = how(value)
            elif kind == _NESTED:
                out[name] = how.represent(value, context)
            else:
                out[name] = how.represent_many(value, context)
        return out

    def represent_many(
        self, objects: Iterable[Any], context: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """``serializer_class(objects, many=True, context=context).data``."""
        if isinstance(objects, models.manager.BaseManager):
            objects = objects.all()
        return [self.represent(obj, context) for obj in objects]


_plans: dict[type[Any], Plan] = {}


def plan(serializer_class: type[serializers.BaseSerializer[Any]]) -> Plan:
    """The plan of ``serializer_class``, made on first use."""
    made = _plans.get(serializer_class)
    if made is None:
        made = _plans[serializer_class] = Plan(serializer_class)
    return made


def represent(
    serializer_class: type[serializers.BaseSerializer[Any]],
    obj: Any,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return plan(serializer_class).represent(obj, context)


def represent_many(
    serializer_class: type[serializers.BaseSerializer[Any]],
    objects: Iterable[Any],
    context: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    return plan(serializer_class).represent_many(objects, context)
