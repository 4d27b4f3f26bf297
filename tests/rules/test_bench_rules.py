"""The decision-table benchmark builds the table it claims and measures it."""

from __future__ import annotations

from bench import rules as rules_bench
from rules.core import DecisionTable, compile_rule


def test_the_benchmark_table_has_1000_rows_5_inputs_and_first_hit() -> None:
    table = compile_rule(rules_bench.make_table())
    assert isinstance(table, DecisionTable)
    assert table.size == 1000
    assert len(table.columns) == 5
    assert table.hit_policy == "first"
    inputs = rules_bench.make_inputs(20)
    assert all(table.evaluate(data).selected for data in inputs)  # the catch-all row
    assert rules_bench.measure_table(table, inputs, seconds=0.0) > 0
