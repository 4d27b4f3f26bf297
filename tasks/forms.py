"""Task forms: turn a task's ``itn:form`` fields into a JSON Schema, and check what people submit.

The schema is a small JSON-Schema subset that a browser can render (``x-widget``) and that
:func:`validate_submission` checks; only schemas made by :func:`form_schema` are supported.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from workflow_site.errors import ApplicationError

FIELD_TYPES: Final = ("text", "textarea", "number", "integer", "boolean", "enum", "date", "email")

#: Longest string a ``pattern`` is matched against: a designer's regular expression may backtrack
#: badly, and the cost grows with the input.
MAX_PATTERN_INPUT: Final = 10_000
MAX_FIELD_NAME_LENGTH: Final = 100
#: RFC 5321 limits a forward path to 256 octets, two of them the angle brackets.
MAX_EMAIL_LENGTH: Final = 254
#: Longer numbers are typing accidents, and ``int()`` of a huge digit string is slow.
MAX_NUMBER_TEXT: Final = 100

NON_FIELD_ERRORS: Final = "non_field_errors"

_JSON_TYPES: Final[Mapping[str, str]] = {
    "text": "string",
    "textarea": "string",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
    "enum": "string",
    "date": "string",
    "email": "string",
}
_WIDGETS: Final[Mapping[str, str]] = {
    "text": "text",
    "textarea": "textarea",
    "number": "number",
    "integer": "number",
    "boolean": "checkbox",
    "enum": "select",
    "date": "date",
    "email": "email",
}
_FORMATS: Final[Mapping[str, str]] = {"date": "date", "email": "email"}

_COMMON_ATTRIBUTES: Final = frozenset({"name", "type", "label", "help", "required"})
_LENGTH_ATTRIBUTES: Final = frozenset({"minLength", "maxLength", "pattern"})
_RANGE_ATTRIBUTES: Final = frozenset({"min", "max"})
_TYPE_ATTRIBUTES: Final[Mapping[str, frozenset[str]]] = {
    "text": _LENGTH_ATTRIBUTES,
    "textarea": _LENGTH_ATTRIBUTES,
    "email": _LENGTH_ATTRIBUTES,
    "number": _RANGE_ATTRIBUTES,
    "integer": _RANGE_ATTRIBUTES,
    "date": _RANGE_ATTRIBUTES,
    "enum": frozenset({"options"}),
    "boolean": frozenset(),
}
_CANONICAL_ATTRIBUTES: Final[Mapping[str, str]] = {
    attribute.lower(): attribute
    for attribute in _COMMON_ATTRIBUTES.union(*_TYPE_ATTRIBUTES.values())
}

_TRUE_WORDS: Final = frozenset({"true", "on", "1", "yes"})
_FALSE_WORDS: Final = frozenset({"false", "off", "0", "no"})

# Field names become case-data variables, which conditions read as plain identifiers.
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_LENGTH = re.compile(r"[0-9]{1,9}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


# --- Building the schema -------------------------------------------------------------------------


def form_schema(fields: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """The JSON Schema of a task form made of ``itn:form`` field definitions.

    A field has a ``name`` and a ``type`` (text by default) and may have ``label``, ``help`` and
    ``required``; text, textarea and email fields ``minLength``, ``maxLength`` and ``pattern``;
    number, integer and date fields ``min`` and ``max``; enum fields ``options``
    (comma-separated).

    Field order is also kept in ``x-order``, because a PostgreSQL ``jsonb`` column does not keep
    the order of ``properties``. A bad definition raises ``ApplicationError("invalid_form")``
    with ``details`` naming the field (and attribute) at fault.
    """
    if isinstance(fields, str | bytes) or not isinstance(fields, Sequence):
        raise _invalid_form("The form must be a list of fields.")
    properties: dict[str, dict[str, Any]] = {}
    required: list[str] = []
    for index, definition in enumerate(fields):
        name, prop, is_required = _field_property(index, definition)
        if name in properties:
            raise _invalid_form(f"Field '{name}' is defined twice.", name=name)
        properties[name] = prop
        if is_required:
            required.append(name)
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": True,
        "x-order": list(properties),
    }


def _field_property(index: int, raw: Any) -> tuple[str, dict[str, Any], bool]:
    definition = _known_attributes(index, raw)
    name = definition.get("name", "").strip()
    if not name:
        raise _invalid_form(f"Field {index + 1} has no name.", index=index, attribute="name")
    if len(name) > MAX_FIELD_NAME_LENGTH or not _FIELD_NAME.fullmatch(name):
        raise _invalid_form(
            f"Field name '{name[:MAX_FIELD_NAME_LENGTH]}' must start with a letter or '_' and "
            f"hold only letters, digits and '_' (at most {MAX_FIELD_NAME_LENGTH} characters).",
            index=index,
            attribute="name",
        )

    field_type = definition.get("type", "").strip().lower() or "text"
    if field_type not in _JSON_TYPES:
        raise _invalid_form(
            f"Field '{name}' has unknown type '{field_type}'; use one of {', '.join(FIELD_TYPES)}.",
            name=name,
            attribute="type",
        )
    misplaced = sorted(definition.keys() - _COMMON_ATTRIBUTES - _TYPE_ATTRIBUTES[field_type])
    if misplaced:
        raise _invalid_form(
            f"Field '{name}': {misplaced[0]} does not apply to a {field_type} field.",
            name=name,
            attribute=misplaced[0],
        )

    prop: dict[str, Any] = {"type": _JSON_TYPES[field_type]}
    label = definition.get("label", "").strip()
    prop["title"] = label or name.replace("_", " ").strip().capitalize() or name
    help_text = definition.get("help", "").strip()
    if help_text:
        prop["description"] = help_text
    if field_type in _FORMATS:
        prop["format"] = _FORMATS[field_type]
    prop["x-widget"] = _WIDGETS[field_type]

    if field_type == "enum":
        prop["enum"] = _options(name, definition.get("options"))
    elif field_type in ("number", "integer"):
        _add_number_range(prop, name, definition, whole=field_type == "integer")
    elif field_type == "date":
        _add_date_range(prop, name, definition)
    else:
        _add_text_limits(prop, name, definition)

    is_required = _flag(name, "required", definition.get("required", "false"))
    return name, prop, is_required


def _known_attributes(index: int, raw: Any) -> dict[str, str]:
    """The attributes this module knows, by their canonical names.

    Names match whatever their case, since HTML spells them ``maxlength``; other attributes are
    left for renderers (``placeholder``, say) and ignored here.
    """
    if not isinstance(raw, Mapping):
        raise _invalid_form(f"Field {index + 1} must be a set of attributes.", index=index)
    known: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise _invalid_form(
                f"Field {index + 1} has an attribute that is not text.", index=index
            )
        canonical = _CANONICAL_ATTRIBUTES.get(key.lower())
        if canonical is None:
            continue
        if canonical in known:
            raise _invalid_form(
                f"Field {index + 1} gives {canonical} twice.", index=index, attribute=canonical
            )
        known[canonical] = value
    return known


def _options(name: str, text: str | None) -> list[str]:
    options = [option.strip() for option in (text or "").split(",")]
    if not any(options):
        raise _invalid_form(
            f"Enum field '{name}' needs options, e.g. options=\"gold,silver\".",
            name=name,
            attribute="options",
        )
    if not all(options):
        raise _invalid_form(f"Field '{name}' has an empty option.", name=name, attribute="options")
    if len(set(options)) != len(options):
        raise _invalid_form(
            f"Field '{name}' lists an option twice.", name=name, attribute="options"
        )
    return options


def _add_number_range(
    prop: dict[str, Any], name: str, definition: Mapping[str, str], *, whole: bool
) -> None:
    bounds: dict[str, int | float] = {}
    for attribute, keyword in (("min", "minimum"), ("max", "maximum")):
        if attribute not in definition:
            continue
        value = _parse_number(definition[attribute], whole=whole)
        if value is None:
            kind = "a whole number" if whole else "a number"
            raise _invalid_form(
                f"Field '{name}': {attribute} must be {kind}, not '{definition[attribute]}'.",
                name=name,
                attribute=attribute,
            )
        bounds[keyword] = value
    if "minimum" in bounds and "maximum" in bounds and bounds["minimum"] > bounds["maximum"]:
        raise _invalid_form(f"Field '{name}': min is greater than max.", name=name, attribute="min")
    prop.update(bounds)


def _add_date_range(prop: dict[str, Any], name: str, definition: Mapping[str, str]) -> None:
    bounds: dict[str, str] = {}
    # JSON Schema has no date bounds; ``formatMinimum`` is the ajv-formats spelling of them.
    for attribute, keyword in (("min", "formatMinimum"), ("max", "formatMaximum")):
        if attribute not in definition:
            continue
        value = _parse_date(definition[attribute])
        if value is None:
            raise _invalid_form(
                f"Field '{name}': {attribute} must be a date as YYYY-MM-DD, "
                f"not '{definition[attribute]}'.",
                name=name,
                attribute=attribute,
            )
        bounds[keyword] = value
    if (
        "formatMinimum" in bounds
        and "formatMaximum" in bounds
        and bounds["formatMinimum"] > bounds["formatMaximum"]
    ):
        raise _invalid_form(f"Field '{name}': min is after max.", name=name, attribute="min")
    prop.update(bounds)


def _add_text_limits(prop: dict[str, Any], name: str, definition: Mapping[str, str]) -> None:
    for attribute in ("minLength", "maxLength"):
        if attribute not in definition:
            continue
        text = definition[attribute].strip()
        if not _LENGTH.fullmatch(text):
            raise _invalid_form(
                f"Field '{name}': {attribute} must be a whole number of characters, "
                f"not '{definition[attribute]}'.",
                name=name,
                attribute=attribute,
            )
        prop[attribute] = int(text)
    if prop.get("minLength", 0) > prop.get("maxLength", math.inf):
        raise _invalid_form(
            f"Field '{name}': minLength is greater than maxLength.",
            name=name,
            attribute="minLength",
        )
    if "pattern" in definition:
        pattern = definition["pattern"]
        if not pattern:
            raise _invalid_form(
                f"Field '{name}' has an empty pattern.", name=name, attribute="pattern"
            )
        try:
            re.compile(pattern)
        except re.error as error:
            raise _invalid_form(
                f"Field '{name}': the pattern is not a valid regular expression ({error}).",
                name=name,
                attribute="pattern",
            ) from error
        prop["pattern"] = pattern


def _flag(name: str, attribute: str, text: str) -> bool:
    word = text.strip().lower()
    if word in ("true", "1", "yes", attribute):
        return True
    if word in ("false", "0", "no", ""):
        return False
    raise _invalid_form(
        f"Field '{name}': {attribute} must be true or false, not '{text}'.",
        name=name,
        attribute=attribute,
    )


def _invalid_form(
    message: str,
    *,
    name: str | None = None,
    index: int | None = None,
    attribute: str | None = None,
) -> ApplicationError:
    details: dict[str, Any] = {}
    if name is not None:
        details["name"] = name
    if index is not None:
        details["index"] = index
    if attribute is not None:
        details["attribute"] = attribute
    return ApplicationError("invalid_form", message, field="form", details=details)


# --- Checking a submission -----------------------------------------------------------------------


def validate_submission(schema: Mapping[str, Any], data: Any) -> dict[str, Any]:
    """The cleaned values of a form submission, or ``ApplicationError("invalid_data")``.

    ``data`` is a JSON object or an HTML form's ``QueryDict`` (the last value of a repeated key
    counts). Strings are coerced to the field's type; an empty string or ``null`` counts as
    missing, and a missing optional field is left out of the result. Keys the form does not
    declare are kept as they are. An unchecked checkbox sends nothing, so a page that must
    always answer a boolean puts a hidden ``false`` input before the checkbox; a required
    boolean needs an answer, and ``false`` is one.

    The error's ``details["errors"]`` maps each field at fault to its messages, in form order;
    ``field`` is the first of them.
    """
    if not isinstance(data, Mapping):
        raise ApplicationError(
            "invalid_data",
            "The form has errors.",
            field=None,
            details={"errors": {NON_FIELD_ERRORS: ["Expected an object of field values."]}},
        )
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        raise _invalid_form("The form schema has no valid properties.")
    required = set(schema.get("required") or ())

    cleaned: dict[str, Any] = {key: data[key] for key in data if key not in properties}
    errors: dict[str, list[str]] = {}
    for name in _form_order(schema, properties):
        value = data.get(name)
        if _is_empty(value):
            if name in required:
                errors[name] = ["This field is required."]
            continue
        value, messages = _clean_value(name, properties[name], value)
        if messages:
            errors[name] = messages
        else:
            cleaned[name] = value
    if errors:
        raise ApplicationError(
            "invalid_data",
            "The form has errors.",
            field=next(iter(errors)),
            details={"errors": errors},
        )
    return cleaned


def _form_order(schema: Mapping[str, Any], properties: Mapping[str, Any]) -> list[str]:
    order = schema.get("x-order")
    listed = [name for name in order if name in properties] if isinstance(order, list) else []
    seen = set(listed)
    return listed + [name for name in properties if name not in seen]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_value(name: str, prop: Any, value: Any) -> tuple[Any, list[str]]:
    if not isinstance(prop, Mapping):
        raise _invalid_form(f"The form schema of field '{name}' is not an object.", name=name)
    json_type = prop.get("type")
    if json_type == "string":
        return _clean_string(name, prop, value)
    if json_type in ("number", "integer"):
        return _clean_number(prop, value, whole=json_type == "integer")
    if json_type == "boolean":
        flag = _coerce_boolean(value)
        return (flag, []) if flag is not None else (value, ["Choose yes or no."])
    raise _invalid_form(
        f"The form schema of field '{name}' has unsupported type '{json_type}'.", name=name
    )


def _clean_string(name: str, prop: Mapping[str, Any], value: Any) -> tuple[Any, list[str]]:
    options = prop.get("enum")
    if options is not None:
        choices = ", ".join(str(option) for option in options)
        if isinstance(value, str) and value.strip() in options:
            return value.strip(), []
        return value, [f"Select one of: {choices}."]

    text_format = prop.get("format")
    if text_format == "date":
        date = _parse_date(value) if isinstance(value, str) else None
        if date is None:
            return value, ["Enter a date as YYYY-MM-DD."]
        return date, _date_range_messages(prop, date)
    if text_format == "email":
        if not isinstance(value, str):
            return value, ["Enter a valid email address."]
        value = value.strip()
        if len(value) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(value):
            return value, ["Enter a valid email address."]
    elif not isinstance(value, str):
        return value, ["Enter text."]

    messages: list[str] = []
    min_length, max_length = prop.get("minLength"), prop.get("maxLength")
    pattern = prop.get("pattern")
    if pattern and (max_length is None or max_length > MAX_PATTERN_INPUT):
        max_length = MAX_PATTERN_INPUT
    if min_length is not None and len(value) < min_length:
        messages.append(f"Enter at least {_characters(min_length)}.")
    if max_length is not None and len(value) > max_length:
        messages.append(f"Enter at most {_characters(max_length)}.")
    if pattern and len(value) <= MAX_PATTERN_INPUT:
        try:
            matched = re.fullmatch(pattern, value) is not None
        except re.error as error:
            raise _invalid_form(
                f"The pattern of field '{name}' is not a valid regular expression.",
                name=name,
                attribute="pattern",
            ) from error
        if not matched:
            messages.append("Enter a value in the expected format.")
    return value, messages


def _clean_number(prop: Mapping[str, Any], value: Any, *, whole: bool) -> tuple[Any, list[str]]:
    number = _coerce_number(value, whole=whole)
    if number is None:
        return value, ["Enter a whole number." if whole else "Enter a number."]
    messages: list[str] = []
    minimum, maximum = prop.get("minimum"), prop.get("maximum")
    if minimum is not None and number < minimum:
        messages.append(f"Must be at least {_number_text(minimum)}.")
    if maximum is not None and number > maximum:
        messages.append(f"Must be at most {_number_text(maximum)}.")
    return number, messages


def _date_range_messages(prop: Mapping[str, Any], date: str) -> list[str]:
    # ISO dates with four-digit years sort as text in calendar order.
    earliest, latest = prop.get("formatMinimum"), prop.get("formatMaximum")
    if earliest is not None and date < earliest:
        return [f"Must be on or after {earliest}."]
    if latest is not None and date > latest:
        return [f"Must be on or before {latest}."]
    return []


def _number_text(number: float) -> str:
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return str(number)


def _characters(count: int) -> str:
    return f"{count} character" if count == 1 else f"{count} characters"


# --- Coercion ------------------------------------------------------------------------------------


def _parse_number(text: str, *, whole: bool) -> int | float | None:
    text = text.strip()
    if len(text) > MAX_NUMBER_TEXT or not _NUMBER.fullmatch(text):
        return None
    if _WHOLE_NUMBER.fullmatch(text):
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        return None
    if whole:
        return int(number) if number.is_integer() else None
    return number


def _coerce_number(value: Any, *, whole: bool) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if whole:
            return int(value) if value.is_integer() else None
        return value
    if isinstance(value, str):
        return _parse_number(value, whole=whole)
    return None


def _coerce_boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


def _parse_date(text: str) -> str | None:
    """``text`` as a real calendar date in YYYY-MM-DD form, or ``None``."""
    text = text.strip()
    # ``fromisoformat`` also takes forms such as 20240131 and 2024-W05-3; the form wants one.
    if not _DATE.fullmatch(text):
        return None
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return text
