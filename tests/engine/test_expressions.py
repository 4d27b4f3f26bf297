from __future__ import annotations

import contextlib
import pickle
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes.engine.expressions import (
    MAX_DEPTH,
    MAX_SOURCE_LENGTH,
    Expression,
    ExpressionError,
    compile_expression,
    evaluate,
    is_truthy,
)

VARIABLES: Mapping[str, Any] = {
    "amount": 60_000,
    "documents_ok": False,
    "nrOfCompletedInstances": 2,
    "nrOfInstances": 3,
    "customer": {"name": "Ada Lovelace", "address": {"city": "London", "zip": "NW1"}},
    "order": {"total": 120.5, "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}]},
    "items": [3, 1, 2],
    "tags": ("urgent", "vip"),
    "name": "  Ada  ",
    "empty": "",
    "nothing": None,
    "price": Decimal("19.99"),
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("amount > 50000 and not documents_ok", True),
        ("amount > 50000 and documents_ok", False),
        ("nrOfCompletedInstances >= 2", True),
        ("nrOfCompletedInstances / nrOfInstances >= 0.5", True),
        ("42", 42),
        ("1.5", 1.5),
        ("'text'", "text"),
        ('"double"', "double"),
        ("True", True),
        ("None", None),
        ("true", True),
        ("false", False),
        ("null", None),
        ("not true", False),
        ("1 < 2 < 3", True),
        ("1 < 3 < 2", False),
        ("3 > 2 == 2 != 1", True),
        ("'vip' in tags", True),
        ("'gold' not in tags", True),
        ("'Ada' in customer.name", True),
        ("'name' in customer", True),
        ("nothing is None", True),
        ("nothing is not None", False),
        ("amount == 60000.0", True),
        ("7 + 3", 10),
        ("7 - 3", 4),
        ("7 * 3", 21),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("7 % 3", 1),
        ("2 ** 10", 1024),
        ("2 ** -1", 0.5),
        ("-amount", -60_000),
        ("+amount", 60_000),
        ("-(1 + 2) * 3", -9),
        ("'a' + 'b'", "ab"),
        ("'ab' * 3", "ababab"),
        ("3 * [0]", [0, 0, 0]),
        ("[1] + [2]", [1, 2]),
        ("(1,) + (2,)", (1, 2)),
        ("'yes' if amount > 1000 else 'no'", "yes"),
        ("'yes' if documents_ok else 'no'", "no"),
        ("amount and 'big'", "big"),
        ("empty or 'fallback'", "fallback"),
        ("nothing or empty or 0", 0),
        ("[1, 'two', None]", [1, "two", None]),
        ("(1, 2)", (1, 2)),
        ("1, 2", (1, 2)),
        ("()", ()),
        ("[]", []),
        ("{'a': 1, 'b': [2]}", {"a": 1, "b": [2]}),
        ("{}", {}),
        ("{1, 2, 2}", {1, 2}),
        ("items[0]", 3),
        ("items[-1]", 2),
        ("items[1:]", [1, 2]),
        ("items[::-1]", [2, 1, 3]),
        ("items[:amount]", [3, 1, 2]),
        ("'abcdef'[1:5:2]", "bd"),
        ("order['total']", 120.5),
        ("order.total", 120.5),
        ("order.lines[1].sku", "B-7"),
        ("order['lines'][0]['qty'] * 2", 4),
        ("customer.address.city", "London"),
        ("customer['address'].zip", "NW1"),
        ("{'k': {'x': 5}}.k.x", 5),
        ("len(items)", 3),
        ("len(customer)", 2),
        ("min(items)", 1),
        ("max(items)", 3),
        ("min(4, 2, 8)", 2),
        ("max([], default=0)", 0),
        ("abs(-3)", 3),
        ("round(2.675, 1)", 2.7),
        ("round(2.5)", 2),
        ("round(1234, -2)", 1200),
        ("round(2.675, ndigits=2)", 2.67),
        ("int('42')", 42),
        ("int(3.9)", 3),
        ("int('ff', base=16)", 255),
        ("float('1.5')", 1.5),
        ("str(12)", "12"),
        ("bool(0)", False),
        ("bool('x')", True),
        ("sum(items)", 6),
        ("sum(items, 10)", 16),
        ("sum([0.5, 0.25], start=1)", 1.75),
        ("any([0, '', 3])", True),
        ("all([1, 'x', []])", False),
        ("sorted(items)", [1, 2, 3]),
        ("sorted(items, reverse=True)", [3, 2, 1]),
        ("list('ab')", ["a", "b"]),
        ("list(tags)", ["urgent", "vip"]),
        ("name.strip()", "Ada"),
        ("name.strip().lower()", "ada"),
        ("customer.name.upper()", "ADA LOVELACE"),
        ("'xxAyy'.strip('xy')", "A"),
        ("customer.name.startswith('Ada')", True),
        ("customer.name.startswith(('Bob', 'Ada'))", True),
        ("customer.address.zip.endswith('1')", True),
        ("f'{customer.name} owes {amount}'", "Ada Lovelace owes 60000"),
        ("f'{name!r}'", "'  Ada  '"),
        ("f'{nothing!s}'", "None"),
        ("price * 2", Decimal("39.98")),
        ("price > 10", True),
        ("price ** 2", Decimal("399.6001")),
        ("2 ** 1000 > 0", True),
        ("len('a' * 100000)", 100_000),
        ("(10 ** 1000) ** 10 > 0", True),
        ("2.0 ** 1000.5 > 0", True),
        ("len(str(12345678901234567890 * 98765432109876543210))", 40),
        ("  amount > 5  ", True),
        ("\n    amount > 5\n    and not documents_ok\n", True),
        ("amount > 5 # a comment", True),
        ("amount > \\\n 5", True),
        ("((((amount))))", 60_000),
        ("'\\d'", "\\d"),
    ],
)
def test_evaluates(source: str, expected: Any) -> None:
    assert evaluate(source, VARIABLES) == expected


def test_results_keep_their_python_types() -> None:
    assert evaluate("1, 2", {}) == (1, 2)
    assert type(evaluate("7 // 2", {})) is int
    assert type(evaluate("7 / 7", {})) is float
    assert evaluate("documents_ok or nothing", VARIABLES) is None


@pytest.mark.parametrize("alias", ["true", "false", "null"])
def test_a_variable_shadows_a_lowercase_constant(alias: str) -> None:
    assert evaluate(alias, {alias: "given"}) == "given"


def test_names_are_the_variables_read() -> None:
    expression = compile_expression(
        "len(items) > limit and customer.address.city in cities and true and sorted(x)[0]"
    )
    assert expression.names == frozenset({"items", "limit", "customer", "cities", "x"})
    assert compile_expression("1 + 2").names == frozenset()
    # A function name that is read, not called, is a variable.
    assert compile_expression("len").names == frozenset({"len"})
    assert compile_expression("f'{a}{b!r}' + c[d:e]").names == frozenset("abcde")


def test_compilation_is_cached() -> None:
    first = compile_expression("amount > 100")
    assert compile_expression("amount > 100") is first
    assert isinstance(first, Expression)
    assert first.source == "amount > 100"
    assert "amount > 100" in repr(first)


def test_an_expression_is_reusable_with_other_variables() -> None:
    expression = compile_expression("amount > 50000")
    assert expression.evaluate({"amount": 60_000}) is True
    assert expression.evaluate({"amount": 10}) is False


def test_only_the_taken_branch_is_evaluated() -> None:
    assert evaluate("missing if false else 1", {}) == 1
    assert evaluate("true or missing", {}) is True
    assert evaluate("false and missing", {}) is False
    assert evaluate("1 > 2 > missing", {}) is False


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("lambda: 1", "lambda is not allowed"),
        ("(lambda: 1)()", "lambda is not allowed"),
        ("[x for x in y]", "comprehensions are not allowed"),
        ("{x for x in y}", "comprehensions are not allowed"),
        ("{x: 1 for x in y}", "comprehensions are not allowed"),
        ("list(x for x in y)", "generator expressions are not allowed"),
        ("(y := 1)", "assignment expressions (:=) are not allowed"),
        ("[*items]", "unpacking with '*' is not allowed"),
        ("len(*items)", "unpacking with '*' is not allowed"),
        ("{**customer}", "unpacking with '**' is not allowed"),
        ("max(**customer)", "unpacking with '**' is not allowed"),
        ("await x", "await is not allowed"),
        ("(yield x)", "yield is not allowed"),
        ("(yield from x)", "yield is not allowed"),
        ("f'{amount:>10}'", "format specifications in f-strings are not allowed"),
        ("f'{amount:{width}}'", "format specifications in f-strings are not allowed"),
        ("open('x')", "calling 'open' is not allowed"),
        ("eval('1')", "calling 'eval' is not allowed"),
        ("exec('1')", "calling 'exec' is not allowed"),
        ("getattr(x, 'y')", "calling 'getattr' is not allowed"),
        ("type(x)", "calling 'type' is not allowed"),
        ("range(10)", "calling 'range' is not allowed"),
        ("'{}'.format(x)", "calling the method 'format' is not allowed"),
        ("name.replace('a', 'b')", "calling the method 'replace' is not allowed"),
        ("customer.get('name')", "calling the method 'get' is not allowed"),
        ("items[0]()", "only the functions"),
        ("customer()", "calling 'customer' is not allowed"),
        ("(items or len)(x)", "only the functions"),
        ("sorted(items, key=len)", "sorted() does not accept the argument 'key'"),
        ("min(items, key=abs)", "min() does not accept the argument 'key'"),
        ("name.lower(x=1)", ".lower() takes no keyword arguments"),
        ("_secret", "names starting with '_' are not allowed"),
        ("__import__('os')", "names starting with '_' are not allowed"),
        ("x._y", "names starting with '_' are not allowed"),
        ("().__class__", "names starting with '_' are not allowed"),
        ("().__class__.__bases__", "names starting with '_' are not allowed"),
        ("''.__class__.__mro__[1].__subclasses__()", "names starting with '_' are not allowed"),
        ("round(1, _x=2)", "names starting with '_' are not allowed"),
        ("x @ y", "the operator '@' is not allowed"),
        ("x << 2", "the operator '<<' is not allowed"),
        ("x >> 2", "the operator '>>' is not allowed"),
        ("x | y", "the operator '|' is not allowed"),
        ("x & y", "the operator '&' is not allowed"),
        ("x ^ y", "the operator '^' is not allowed"),
        ("~x", "the operator '~' is not allowed"),
        ("b'bytes'", "bytes literals are not allowed"),
        ("1j", "complex numbers are not allowed"),
        ("...", "the literal Ellipsis is not allowed"),
        ("items[1:2, 3]", "a slice is only allowed directly inside [...]"),
        ("x = 1", "syntax error"),
        ("import os", "syntax error"),
        ("1 +", "syntax error"),
        ("amount >", "syntax error"),
        ("(amount", "syntax error"),
        ("a) or (b", "syntax error"),
        ("x for x in y", "syntax error"),
        ("if x: y", "syntax error"),
        ("a\nb", "syntax error"),
        ("x\x00", "NUL character"),
        ("", "the expression is empty"),
        ("   \n\t ", "the expression is empty"),
    ],
)
def test_refused_at_compile_time(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    assert message in caught.value.message
    assert caught.value.source == source
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "source",
    [
        "().__class__.__bases__",
        "().__class__.__bases__[0].__subclasses__()",
        "__import__('os')",
        "__import__('os').system('true')",
        "__builtins__",
        "open('x')",
        "open('/etc/passwd').read()",
        "(lambda: 1)()",
        "[x for x in y]",
        "getattr(1, 'real')",
        "globals()",
        "vars()",
        "compile('1', 'x', 'eval')",
        "breakpoint()",
        "f'{().__class__}'",
        "'{0.__class__}'.format(1)",
        "'%s' % x.__class__",
    ],
)
def test_injection_attempts_are_refused_at_compile_time(source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("'a' * 10**9", "longer than 100,000 items"),
        ("10**9 * 'a'", "longer than 100,000 items"),
        ("[0] * 100001", "longer than 100,000 items"),
        ("(0,) * 100001", "longer than 100,000 items"),
        ("[[0] * 1000] * 1000", "longer than 100,000 items"),
        ("[10 ** 1000] * 1000", "longer than 100,000 items"),
        ("'a' * 99999 * 2", "longer than 100,000 items"),
        ("2 ** 10**10", "the exponent of '**' is larger than 1000"),
        ("2 ** 1001", "the exponent of '**' is larger than 1000"),
        ("10 ** 5000", "the exponent of '**' is larger than 1000"),
        ("(10 ** 1000) ** 1000", "the result of '**' would be too large"),
        ("9 ** 9 ** 9", "the exponent of '**' is larger than 1000"),
        ("(2 ** 999) ** 200", "the result of '**' would be too large"),
        ("(10 ** 1000) ** 20 * (10 ** 1000) ** 20", "the result of '*' would be too large"),
        ("2.0 ** 5000", "the result of '**' is too large"),
        ("'%999999999d' % 1", "formatting text with '%' is not allowed"),
        ("'%s' % 'x'", "formatting text with '%' is not allowed"),
        ("round(5, -10**9)", "ndigits must be between -100 and 100"),
        ("sum([[1], [2]], [])", "start must be a number"),
        ("sum(['a'], '')", "start must be a number"),
        (
            "len(" + " + ".join(["'a' * 99999"] * 11) + ")",
            "the expression builds more than 1,000,000 items",
        ),
        ("[" + ", ".join(["[0] * 99999"] * 11) + "]", "builds more than 1,000,000 items"),
    ],
)
def test_resource_limits(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, {})
    assert message in caught.value.message


def test_sizes_within_the_limits_are_fine() -> None:
    # Each '+' counts what it copies, so a chain of them counts its intermediate results too.
    assert len(evaluate("'a' * 100000", {})) == 100_000
    assert len(evaluate("[0] * 100000", {})) == 100_000
    assert evaluate("len(" + " + ".join(["'a' * 99999"] * 3) + ")", {}) == 299_997
    assert evaluate("(10 ** 1000) ** 30 > 0", {}) is True


def test_source_length_is_limited() -> None:
    with pytest.raises(ExpressionError, match="longer than 10,000 characters"):
        compile_expression("1" + " + 1" * MAX_SOURCE_LENGTH)


@pytest.mark.parametrize(
    "source",
    [
        "-" * (MAX_DEPTH + 1) + "1",
        "not " * (MAX_DEPTH + 1) + "x",
        "1" + " + 1" * (MAX_DEPTH + 1),
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "x" + ".y" * (MAX_DEPTH + 1),
        "-" * 5000 + "1",
        "1" + "+1" * 4900,
        "(" * 300 + ")" * 300,
    ],
)
def test_deep_nesting_is_refused(source: str) -> None:
    with pytest.raises(ExpressionError, match="nested too deeply|syntax error"):
        compile_expression(source)


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 2
    assert evaluate("-" * depth + "1", {}) == (-1) ** depth
    assert evaluate("(" * 150 + "1" + ")" * 150, {}) == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("unknown > 3", "unknown variable 'unknown'"),
        ("amount > 1 and missing", "unknown variable 'missing'"),
        ("nothing > 3", "cannot compare None and int with '>'"),
        ("1 < 2 < 'a'", "cannot compare int and str with '<'"),
        ("'a' < items", "cannot compare str and list with '<'"),
        ("1 in amount", "cannot look for int in int"),
        ("1 in 'abc'", "cannot look for int in str"),
        ("1 / 0", "division by zero"),
        ("1 // 0", "division by zero"),
        ("1 % 0", "division by zero"),
        ("0 ** -1", "division by zero"),
        ("amount + 'x'", "cannot apply '+' to int and str"),
        ("nothing * 2", "cannot apply '*' to None and int"),
        ("-name", "cannot apply '-' to str"),
        ("items[10]", "index 10 is out of range for items (length 3)"),
        ("items['a']", "cannot look up 'a' in items (list)"),
        ("order['missing']", "order has no key 'missing'"),
        ("order.missing", "order has no key 'missing'"),
        ("customer.address.country", "customer.address has no key 'country'"),
        ("amount.digits", "cannot read '.digits': amount is int, not a dict"),
        ("nothing.x", "cannot read '.x': nothing is None, not a dict"),
        ("items.count", "cannot read '.count': items is list, not a dict"),
        ("name.upper", "'.upper' must be called, as in name.upper()"),
        ("amount.lower()", ".lower() needs text, not int"),
        ("customer.strip()", ".strip() needs text, not dict"),
        ("name.startswith(1)", ".startswith()"),
        ("name.lower(1)", ".lower()"),
        ("nothing[0]", "cannot look up 0 in nothing (None)"),
        ("len(amount)", "len()"),
        ("len(items, 2)", "len() takes exactly one argument"),
        ("min([])", "min()"),
        ("int('x')", "int(): invalid literal"),
        ("int('9' * 5000)", "int()"),
        ("float('x')", "float()"),
        ("sorted([1, 'a'])", "sorted()"),
        ("{[1]: 2}", "a list cannot be a dict key"),
        ("{[1]}", "a set cannot hold a list"),
        ("items[::0]", "cannot look up"),
        ("order[1:2]", "cannot look up"),
        ("str(10 ** 999 * 10 ** 999 * 10 ** 999 * 10 ** 999 * 10 ** 999)", "str()"),
    ],
)
def test_runtime_errors(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, VARIABLES)
    assert message in caught.value.message
    assert caught.value.source == source


class Unpredictable:
    def __bool__(self) -> bool:
        raise RuntimeError("no truth value")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no equality")

    __hash__ = None  # type: ignore[assignment]


@pytest.mark.parametrize("source", ["odd == 1", "odd and 1", "not odd", "1 if odd else 2"])
def test_errors_raised_by_values_become_expression_errors(source: str) -> None:
    with pytest.raises(ExpressionError, match="evaluation failed"):
        evaluate(source, {"odd": Unpredictable()})


def test_deeply_nested_data_is_an_expression_error() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ExpressionError, match="nested too deeply"):
        evaluate("str(deep)", {"deep": deep})


def test_variables_need_not_be_a_dict() -> None:
    class Lookup(Mapping[str, Any]):
        def __getitem__(self, key: str) -> Any:
            if key == "amount":
                return 7
            raise KeyError(key)

        def __iter__(self) -> Any:
            return iter(["amount"])

        def __len__(self) -> int:
            return 1

    assert evaluate("amount * 2 if true else null", Lookup()) == 14
    with pytest.raises(ExpressionError, match="unknown variable 'other'"):
        evaluate("other", Lookup())


@pytest.mark.parametrize(
    ("source", "offset"),
    [
        ("open('x')", 0),
        ("1 + (lambda: 1)", 5),
        ("x + _y", 4),
        ("a.b._c", 4),
        ("  1 +", 5),
        ("1 +* 2", 3),
        ("amount >\n  _x", 11),
        ("é + _x", 4),
    ],
)
def test_compile_errors_point_at_the_problem(source: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    assert caught.value.offset == offset


@pytest.mark.parametrize(
    ("source", "offset"),
    [
        ("missing", 0),
        ("1 + missing", 4),
        ("items[10]", 6),
        ("  customer.nowhere", 11),
        ("'é' + customer.address.nowhere", 23),
        ("amount > 1 and\n  missing", 17),
    ],
)
def test_runtime_errors_point_at_the_problem(source: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, VARIABLES)
    assert caught.value.offset == offset


def test_error_text_names_the_expression_and_place() -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate("amount > 1 and missing", VARIABLES)
    assert str(caught.value) == (
        "unknown variable 'missing' (in 'amount > 1 and missing', column 16)"
    )
    with pytest.raises(ExpressionError) as caught:
        evaluate("amount > 1 and\n  missing", VARIABLES)
    assert str(caught.value).endswith("line 2 column 3)")
    long_source = "amount + " * 20 + "missing"
    with pytest.raises(ExpressionError) as caught:
        evaluate(long_source, VARIABLES)
    assert "..." in str(caught.value)
    assert len(str(caught.value)) < 150


def test_expression_error_is_a_value_error_and_pickles() -> None:
    error = ExpressionError("unknown variable 'x'", "x + 1", 0)
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert (copy.message, copy.source, copy.offset) == ("unknown variable 'x'", "x + 1", 0)
    assert str(ExpressionError("plain")) == "plain"


def test_runtime_errors_keep_the_python_cause() -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate("1 / 0", {})
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (None, False),
        (0, False),
        (1, True),
        (0.0, False),
        ("", False),
        ("false", True),
        ([], False),
        ([0], True),
        ({}, False),
        (Decimal("0"), False),
    ],
)
def test_is_truthy(value: Any, expected: bool) -> None:
    assert is_truthy(value) is expected


def test_is_truthy_refuses_values_without_truth() -> None:
    with pytest.raises(ExpressionError, match="cannot be used as a condition"):
        is_truthy(Unpredictable())


@settings(max_examples=500)
@given(st.text(max_size=200))
def test_compiling_random_text_raises_only_expression_errors(source: str) -> None:
    with contextlib.suppress(ExpressionError):
        compile_expression(source)


EXPRESSION_TOKENS = st.sampled_from(
    [
        "a",
        "b",
        "s",
        "d",
        "l",
        "x",
        "0",
        "1",
        "2",
        "9",
        "10",
        "99999",
        "1000",
        "0.5",
        "-",
        "+",
        "*",
        "**",
        "/",
        "//",
        "%",
        "<",
        ">",
        "==",
        "!=",
        "<=",
        " in ",
        " not ",
        " and ",
        " or ",
        " if ",
        " else ",
        " is ",
        "None",
        "true",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ":",
        ",",
        ".",
        "'x'",
        "''",
        "len(",
        "str(",
        "int(",
        "list(",
        "sorted(",
        "sum(",
        "min(",
        "max(",
        "round(",
        "float(",
        ".lower()",
        ".strip(",
        ".startswith(",
        "f'{a}'",
        " ",
    ]  # fmt: skip
)
RANDOM_VARIABLES: Mapping[str, Any] = {
    "a": 3,
    "b": -2.5,
    "s": "Text",
    "d": {"x": [1, 2], "a": {"b": None}},
    "l": [1, "two", [3], None],
}


@settings(max_examples=1000, deadline=None)
@given(st.lists(EXPRESSION_TOKENS, min_size=1, max_size=25).map("".join))
def test_evaluating_random_expressions_raises_only_expression_errors(source: str) -> None:
    error: ExpressionError | None = None
    try:
        evaluate(source, RANDOM_VARIABLES)
    except ExpressionError as caught:
        error = caught
    if error is not None:
        assert error.message
        assert error.offset is None or 0 <= error.offset <= len(source)
