from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict

from tasks.forms import MAX_PATTERN_INPUT, form_schema, validate_submission
from workflow_site.errors import ApplicationError

LOAN_FORM = [
    {"name": "amount", "type": "number", "label": "Amount", "required": "true", "min": "1000"},
    {"name": "approved", "type": "boolean"},
    {"name": "level", "type": "enum", "options": "gold,silver,bronze"},
    {"name": "email", "type": "text", "pattern": "^[^@]+@[^@]+$", "maxLength": "200"},
    {"name": "notes", "type": "textarea", "help": "Anything the next person should know."},
    {"name": "when", "type": "date"},
]


def schema_of(**attributes: str) -> dict[str, Any]:
    return form_schema([{"name": "value", **attributes}])


def errors_of(schema: dict[str, Any], data: Any) -> dict[str, list[str]]:
    with pytest.raises(ApplicationError) as caught:
        validate_submission(schema, data)
    assert caught.value.code == "invalid_data"
    assert caught.value.message == "The form has errors."
    errors: dict[str, list[str]] = caught.value.details["errors"]
    assert caught.value.field == next(iter(errors))
    return errors


# --- form_schema ---------------------------------------------------------------------------------


def test_schema_of_a_whole_form() -> None:
    schema = form_schema(LOAN_FORM)
    assert schema["type"] == "object"
    assert schema["required"] == ["amount"]
    assert schema["additionalProperties"] is True
    assert schema["x-order"] == ["amount", "approved", "level", "email", "notes", "when"]
    assert schema["properties"] == {
        "amount": {"type": "number", "title": "Amount", "x-widget": "number", "minimum": 1000},
        "approved": {"type": "boolean", "title": "Approved", "x-widget": "checkbox"},
        "level": {
            "type": "string",
            "title": "Level",
            "x-widget": "select",
            "enum": ["gold", "silver", "bronze"],
        },
        "email": {
            "type": "string",
            "title": "Email",
            "x-widget": "text",
            "maxLength": 200,
            "pattern": "^[^@]+@[^@]+$",
        },
        "notes": {
            "type": "string",
            "title": "Notes",
            "description": "Anything the next person should know.",
            "x-widget": "textarea",
        },
        "when": {"type": "string", "title": "When", "format": "date", "x-widget": "date"},
    }


def test_empty_form() -> None:
    assert form_schema([]) == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": True,
        "x-order": [],
    }


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({}, {"type": "string", "x-widget": "text"}),
        ({"type": "text"}, {"type": "string", "x-widget": "text"}),
        ({"type": "Number"}, {"type": "number", "x-widget": "number"}),
        ({"type": "integer"}, {"type": "integer", "x-widget": "number"}),
        ({"type": "boolean"}, {"type": "boolean", "x-widget": "checkbox"}),
        ({"type": "textarea"}, {"type": "string", "x-widget": "textarea"}),
        ({"type": "date"}, {"type": "string", "format": "date", "x-widget": "date"}),
        ({"type": "email"}, {"type": "string", "format": "email", "x-widget": "email"}),
        (
            {"type": "enum", "options": " a , b "},
            {"type": "string", "x-widget": "select", "enum": ["a", "b"]},
        ),
        (
            {"type": "number", "min": "-1.5", "max": "1e3"},
            {"type": "number", "x-widget": "number", "minimum": -1.5, "maximum": 1000.0},
        ),
        (
            {"type": "integer", "min": "0", "max": "10.0"},
            {"type": "integer", "x-widget": "number", "minimum": 0, "maximum": 10},
        ),
        (
            {"type": "date", "min": "2024-01-01", "max": "2024-12-31"},
            {
                "type": "string",
                "format": "date",
                "x-widget": "date",
                "formatMinimum": "2024-01-01",
                "formatMaximum": "2024-12-31",
            },
        ),
        (
            {"type": "text", "minLength": "2", "maxLength": "5", "pattern": "[a-z]+"},
            {
                "type": "string",
                "x-widget": "text",
                "minLength": 2,
                "maxLength": 5,
                "pattern": "[a-z]+",
            },
        ),
        # HTML spells length limits in lower case.
        ({"maxlength": "9"}, {"type": "string", "x-widget": "text", "maxLength": 9}),
        # Attributes meant for renderers only are left alone.
        ({"placeholder": "Type here"}, {"type": "string", "x-widget": "text"}),
    ],
)
def test_schema_of_one_field(attributes: dict[str, str], expected: dict[str, Any]) -> None:
    prop = schema_of(**attributes)["properties"]["value"]
    assert prop == {"title": "Value", **expected}


def test_title_and_description() -> None:
    schema = form_schema(
        [
            {"name": "decision_reason", "help": "  Why?  "},
            {"name": "x", "label": " The X ", "help": ""},
        ]
    )
    assert schema["properties"]["decision_reason"]["title"] == "Decision reason"
    assert schema["properties"]["decision_reason"]["description"] == "Why?"
    assert schema["properties"]["x"]["title"] == "The X"
    assert "description" not in schema["properties"]["x"]


@pytest.mark.parametrize(
    ("word", "required"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("required", True)]
    + [("false", False), ("0", False), ("no", False), ("", False)],
)
def test_required_flag(word: str, required: bool) -> None:
    assert schema_of(required=word)["required"] == (["value"] if required else [])


@pytest.mark.parametrize(
    ("fields", "attribute"),
    [
        ([{"name": "x", "type": "money"}], "type"),
        ([{"name": "x", "type": "number", "min": "ten"}], "min"),
        ([{"name": "x", "type": "number", "max": "nan"}], "max"),
        ([{"name": "x", "type": "number", "max": "1e999"}], "max"),
        ([{"name": "x", "type": "number", "min": "1_000"}], "min"),
        ([{"name": "x", "type": "integer", "min": "1.5"}], "min"),
        ([{"name": "x", "type": "number", "min": "5", "max": "1"}], "min"),
        ([{"name": "x", "type": "date", "min": "2024-02-30"}], "min"),
        ([{"name": "x", "type": "date", "max": "20240101"}], "max"),
        ([{"name": "x", "type": "date", "min": "2025-01-01", "max": "2024-01-01"}], "min"),
        ([{"name": "x", "pattern": "[a-"}], "pattern"),
        ([{"name": "x", "pattern": "(?P<"}], "pattern"),
        ([{"name": "x", "pattern": ""}], "pattern"),
        ([{"name": "x", "minLength": "-1"}], "minLength"),
        ([{"name": "x", "maxLength": "many"}], "maxLength"),
        ([{"name": "x", "minLength": "5", "maxLength": "2"}], "minLength"),
        ([{"name": "x", "type": "enum"}], "options"),
        ([{"name": "x", "type": "enum", "options": " , "}], "options"),
        ([{"name": "x", "type": "enum", "options": "a,,b"}], "options"),
        ([{"name": "x", "type": "enum", "options": "a,b,a"}], "options"),
        ([{"name": "x", "type": "text", "min": "1"}], "min"),
        ([{"name": "x", "type": "number", "pattern": "[0-9]+"}], "pattern"),
        ([{"name": "x", "type": "boolean", "options": "a,b"}], "options"),
        ([{"name": "x", "required": "maybe"}], "required"),
        ([{"name": "x", "maxLength": "1", "maxlength": "2"}], "maxLength"),
        ([{"type": "text"}], "name"),
        ([{"name": "  "}], "name"),
        ([{"name": "first name"}], "name"),
        ([{"name": "1st"}], "name"),
        ([{"name": "a.b"}], "name"),
        ([{"name": "x" * 101}], "name"),
    ],
)
def test_bad_field_definitions_are_refused(fields: list[dict[str, str]], attribute: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        form_schema(fields)
    assert (caught.value.code, caught.value.field) == ("invalid_form", "form")
    assert caught.value.details["attribute"] == attribute
    assert caught.value.message


@pytest.mark.parametrize(
    "fields",
    [
        "name=x",
        [{"name": "x"}, "y"],
        [{"name": "x", "min": 1}],
        [{"name": "x"}, {"name": "x", "type": "number"}],
    ],
)
def test_malformed_forms_are_refused(fields: Any) -> None:
    with pytest.raises(ApplicationError) as caught:
        form_schema(fields)
    assert (caught.value.code, caught.value.field) == ("invalid_form", "form")


def test_duplicate_names_say_which() -> None:
    with pytest.raises(ApplicationError) as caught:
        form_schema([{"name": "x"}, {"name": "x"}])
    assert caught.value.details == {"name": "x"}
    assert "'x'" in caught.value.message


# --- validate_submission: valid data -------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "value", "cleaned"),
    [
        ({"type": "number"}, "12", 12),
        ({"type": "number"}, " 12 ", 12),
        ({"type": "number"}, "-12.5", -12.5),
        ({"type": "number"}, "1e3", 1000.0),
        ({"type": "number"}, ".5", 0.5),
        ({"type": "number"}, 7, 7),
        ({"type": "number"}, 7.25, 7.25),
        ({"type": "integer"}, "42", 42),
        ({"type": "integer"}, "+42", 42),
        ({"type": "integer"}, "42.0", 42),
        ({"type": "integer"}, 42.0, 42),
        ({"type": "integer"}, -3, -3),
        ({"type": "boolean"}, True, True),
        ({"type": "boolean"}, False, False),
        ({"type": "boolean"}, "true", True),
        ({"type": "boolean"}, "on", True),
        ({"type": "boolean"}, "1", True),
        ({"type": "boolean"}, "Yes", True),
        ({"type": "boolean"}, "false", False),
        ({"type": "boolean"}, "off", False),
        ({"type": "boolean"}, "0", False),
        ({"type": "boolean"}, 1, True),
        ({"type": "boolean"}, 0, False),
        ({"type": "enum", "options": "gold,silver"}, "silver", "silver"),
        ({"type": "enum", "options": "gold,silver"}, " gold ", "gold"),
        ({"type": "date"}, "2024-02-29", "2024-02-29"),
        ({"type": "date"}, " 2024-02-29 ", "2024-02-29"),
        ({"type": "date", "min": "2024-01-01", "max": "2024-01-31"}, "2024-01-31", "2024-01-31"),
        ({"type": "email"}, "ada@example.org", "ada@example.org"),
        ({"type": "email"}, " ada@mail.example.org ", "ada@mail.example.org"),
        ({"type": "text"}, " keep my spaces ", " keep my spaces "),
        ({"type": "textarea"}, "line one\nline two", "line one\nline two"),
        ({"type": "text", "minLength": "3", "maxLength": "3"}, "abc", "abc"),
        ({"type": "text", "pattern": "[A-Z]{2}[0-9]+"}, "AB123", "AB123"),
        ({"type": "number", "min": "1000", "max": "5000"}, "1000", 1000),
        ({"type": "number", "min": "1000", "max": "5000"}, 5000.0, 5000.0),
    ],
)
def test_valid_values_are_cleaned(attributes: dict[str, str], value: Any, cleaned: Any) -> None:
    result = validate_submission(schema_of(**attributes), {"value": value})
    assert result == {"value": cleaned}
    assert type(result["value"]) is type(cleaned)


def test_a_whole_submission() -> None:
    data = {
        "amount": "2500",
        "approved": "on",
        "level": "gold",
        "email": "ada@example.org",
        "notes": "",
        "when": "2024-06-01",
        "customer_id": 17,
    }
    assert validate_submission(form_schema(LOAN_FORM), data) == {
        "amount": 2500,
        "approved": True,
        "level": "gold",
        "email": "ada@example.org",
        "when": "2024-06-01",
        "customer_id": 17,
    }


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_empty_optional_values_count_as_missing(empty: Any) -> None:
    schema = form_schema(LOAN_FORM)
    data = {name: empty for name in schema["properties"]} | {"amount": 1000}
    assert validate_submission(schema, data) == {"amount": 1000}


def test_extra_keys_are_kept_unchecked() -> None:
    data = {"value": "x", "case": {"nested": [1, 2]}, "flag": "maybe"}
    assert validate_submission(schema_of(), data) == data


def test_an_empty_schema_accepts_any_object() -> None:
    assert validate_submission({}, {"a": 1}) == {"a": 1}
    assert validate_submission(form_schema([]), {}) == {}


def test_a_required_boolean_accepts_false() -> None:
    schema = schema_of(type="boolean", required="true")
    assert validate_submission(schema, {"value": "false"}) == {"value": False}
    assert errors_of(schema, {}) == {"value": ["This field is required."]}


def test_html_form_data() -> None:
    # A hidden "false" before the checkbox: the checked box's value comes last and wins.
    checked = QueryDict("amount=1200&approved=false&approved=on&level=silver")
    unchecked = QueryDict("amount=1200&approved=false&level=silver")
    schema = form_schema(LOAN_FORM)
    assert validate_submission(schema, checked) == {
        "amount": 1200,
        "approved": True,
        "level": "silver",
    }
    assert validate_submission(schema, unchecked)["approved"] is False


def test_the_schema_survives_a_json_round_trip_that_loses_key_order() -> None:
    schema = form_schema(LOAN_FORM)
    shuffled = dict(schema, properties=dict(reversed(schema["properties"].items())))
    errors = errors_of(shuffled, {"approved": "perhaps", "when": "soon"})
    assert list(errors) == ["amount", "approved", "when"]


def test_the_input_is_not_changed() -> None:
    data = {"amount": "1500", "notes": ""}
    validate_submission(form_schema(LOAN_FORM), data)
    assert data == {"amount": "1500", "notes": ""}


# --- validate_submission: invalid data -----------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "value", "messages"),
    [
        ({"type": "number"}, "twelve", ["Enter a number."]),
        ({"type": "number"}, "12abc", ["Enter a number."]),
        ({"type": "number"}, "1_000", ["Enter a number."]),
        ({"type": "number"}, "nan", ["Enter a number."]),
        ({"type": "number"}, "inf", ["Enter a number."]),
        ({"type": "number"}, "1e999", ["Enter a number."]),
        ({"type": "number"}, "１２", ["Enter a number."]),
        ({"type": "number"}, "1" * 101, ["Enter a number."]),
        ({"type": "number"}, float("nan"), ["Enter a number."]),
        ({"type": "number"}, True, ["Enter a number."]),
        ({"type": "number"}, [1], ["Enter a number."]),
        ({"type": "integer"}, "1.5", ["Enter a whole number."]),
        ({"type": "integer"}, 1.5, ["Enter a whole number."]),
        ({"type": "integer"}, False, ["Enter a whole number."]),
        ({"type": "number", "min": "1000"}, "999", ["Must be at least 1000."]),
        ({"type": "number", "min": "0.5"}, 0.25, ["Must be at least 0.5."]),
        ({"type": "number", "max": "10"}, "10.01", ["Must be at most 10."]),
        ({"type": "integer", "min": "-5"}, "-6", ["Must be at least -5."]),
        ({"type": "boolean"}, "maybe", ["Choose yes or no."]),
        ({"type": "boolean"}, 2, ["Choose yes or no."]),
        ({"type": "boolean"}, [True], ["Choose yes or no."]),
        ({"type": "enum", "options": "gold,silver"}, "Gold", ["Select one of: gold, silver."]),
        ({"type": "enum", "options": "gold,silver"}, ["gold"], ["Select one of: gold, silver."]),
        ({"type": "date"}, "01/02/2024", ["Enter a date as YYYY-MM-DD."]),
        ({"type": "date"}, "2024-02-30", ["Enter a date as YYYY-MM-DD."]),
        ({"type": "date"}, "20240201", ["Enter a date as YYYY-MM-DD."]),
        ({"type": "date"}, "2024-W05-3", ["Enter a date as YYYY-MM-DD."]),
        ({"type": "date"}, "2024-02-01T10:00", ["Enter a date as YYYY-MM-DD."]),
        ({"type": "date"}, 20240201, ["Enter a date as YYYY-MM-DD."]),
        ({"type": "date", "min": "2024-01-01"}, "2023-12-31", ["Must be on or after 2024-01-01."]),
        (
            {"type": "date", "max": "2024-01-31"},
            "2024-02-01",
            ["Must be on or before 2024-01-31."],
        ),
        ({"type": "email"}, "ada", ["Enter a valid email address."]),
        ({"type": "email"}, "ada@localhost", ["Enter a valid email address."]),
        ({"type": "email"}, "ada@@example.org", ["Enter a valid email address."]),
        ({"type": "email"}, "ada lovelace@example.org", ["Enter a valid email address."]),
        ({"type": "email"}, "ada@example..org", ["Enter a valid email address."]),
        ({"type": "email"}, "a" * 250 + "@example.org", ["Enter a valid email address."]),
        ({"type": "email"}, 5, ["Enter a valid email address."]),
        ({"type": "text"}, 5, ["Enter text."]),
        ({"type": "textarea"}, {"a": 1}, ["Enter text."]),
        ({"type": "text", "minLength": "3"}, "ab", ["Enter at least 3 characters."]),
        (
            {"type": "text", "minLength": "1", "pattern": "x"},
            "y",
            ["Enter a value in the expected format."],
        ),
        ({"type": "text", "maxLength": "1"}, "ab", ["Enter at most 1 character."]),
        ({"type": "text", "pattern": "[0-9]+"}, "12a", ["Enter a value in the expected format."]),
        # fullmatch: a pattern without anchors must match the whole value.
        ({"type": "text", "pattern": "[0-9]+"}, "a12", ["Enter a value in the expected format."]),
        (
            {"type": "text", "maxLength": "2", "pattern": "[0-9]+"},
            "abc",
            ["Enter at most 2 characters.", "Enter a value in the expected format."],
        ),
    ],
)
def test_invalid_values(attributes: dict[str, str], value: Any, messages: list[str]) -> None:
    assert errors_of(schema_of(**attributes), {"value": value}) == {"value": messages}


@pytest.mark.parametrize("missing", [{}, {"value": ""}, {"value": "  "}, {"value": None}])
@pytest.mark.parametrize("field_type", ["text", "number", "boolean", "date", "email"])
def test_required_fields(field_type: str, missing: dict[str, Any]) -> None:
    schema = schema_of(type=field_type, required="true")
    assert errors_of(schema, missing) == {"value": ["This field is required."]}


def test_errors_are_reported_for_every_field_in_form_order() -> None:
    data = {"when": "tomorrow", "amount": "12", "level": "platinum", "approved": "on"}
    with pytest.raises(ApplicationError) as caught:
        validate_submission(form_schema(LOAN_FORM), data)
    error = caught.value
    assert error.as_dict() == {
        "code": "invalid_data",
        "message": "The form has errors.",
        "field": "amount",
        "details": {
            "errors": {
                "amount": ["Must be at least 1000."],
                "level": ["Select one of: gold, silver, bronze."],
                "when": ["Enter a date as YYYY-MM-DD."],
            }
        },
    }


@pytest.mark.parametrize("data", [None, [], ["amount"], "amount=1", 12])
def test_data_must_be_an_object(data: Any) -> None:
    with pytest.raises(ApplicationError) as caught:
        validate_submission(form_schema(LOAN_FORM), data)
    assert caught.value.code == "invalid_data"
    assert caught.value.field is None
    assert caught.value.details == {
        "errors": {"non_field_errors": ["Expected an object of field values."]}
    }


def test_huge_input_is_not_matched_against_a_pattern() -> None:
    # A pattern that backtracks catastrophically: matching it against the long value would hang.
    schema = schema_of(pattern="(a+)+b")
    errors = errors_of(schema, {"value": "a" * (MAX_PATTERN_INPUT + 1)})
    assert errors == {"value": [f"Enter at most {MAX_PATTERN_INPUT} characters."]}


def test_a_larger_max_length_does_not_lift_the_pattern_guard() -> None:
    schema = schema_of(pattern="a+", maxLength=str(MAX_PATTERN_INPUT * 2))
    assert validate_submission(schema, {"value": "a" * MAX_PATTERN_INPUT}) == {
        "value": "a" * MAX_PATTERN_INPUT
    }
    errors = errors_of(schema, {"value": "a" * (MAX_PATTERN_INPUT + 1)})
    assert errors == {"value": [f"Enter at most {MAX_PATTERN_INPUT} characters."]}


def test_long_text_without_a_pattern_is_accepted() -> None:
    long_text = "x" * (MAX_PATTERN_INPUT * 3)
    assert validate_submission(schema_of(type="textarea"), {"value": long_text}) == {
        "value": long_text
    }


@pytest.mark.parametrize(
    "schema",
    [
        {"properties": []},
        {"properties": {"x": "string"}},
        {"properties": {"x": {"type": "array"}}},
        {"properties": {"x": {"type": "string", "pattern": "[a-"}}},
    ],
)
def test_a_broken_stored_schema_is_a_form_error(schema: dict[str, Any]) -> None:
    with pytest.raises(ApplicationError) as caught:
        validate_submission(schema, {"x": "value"})
    assert caught.value.code == "invalid_form"
