"""Decision tables: µs per evaluation of a 1,000-row, 5-input table with the first hit policy.

The table mixes the cell forms people write (comparisons, closed and half-open intervals, text
lists, negations, ``-``); the last row catches everything, so every input gets a result. The
inputs are a fixed pseudo-random sample; the figure is the median batch time per evaluation.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from rules.core import DecisionTable, compile_rule

ROWS = 1000
TIERS = ("gold", "silver", "bronze", "none")
REGIONS = ("north", "south", "east", "west", "abroad")


def make_table(rows: int = ROWS, seed: int = 7) -> dict[str, Any]:
    """A first-hit table with ``rows`` rows over five inputs (deterministic for a seed)."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
    body = []
    for index in range(rows - 1):
        low = rng.randrange(300, 850)
        amount = rng.randrange(1, 100) * 10_000
        cells = [
            rng.choice([f">= {low}", f"[{low}..{low + rng.randrange(10, 80)})", "-"]),
            rng.choice([f"< {amount}", f"[{amount}..]", "-"]),
            rng.choice(['"gold","silver"', f'"{rng.choice(TIERS)}"', 'not("none")', "-"]),
            rng.choice([f'"{rng.choice(REGIONS)}"', 'not("abroad")', "-"]),
            rng.choice([f"[18..{rng.randrange(25, 70)}]", f"> {rng.randrange(18, 80)}", "-"]),
        ]
        body.append({"inputs": cells, "outputs": [f'"r{index}"', str(index % 7)]})
    body.append({"inputs": ["-"] * 5, "outputs": ['"fallback"', "0"]})
    return {
        "kind": "decision_table",
        "hit_policy": "first",
        "inputs": [
            {"expression": "credit_score", "type": "number"},
            {"expression": "amount", "type": "number"},
            {"expression": "tier", "type": "string"},
            {"expression": "region", "type": "string"},
            {"expression": "age", "type": "number"},
        ],
        "outputs": [
            {"name": "decision", "type": "string"},
            {"name": "band", "type": "number"},
        ],
        "rules": body,
    }


def make_inputs(count: int = 1000, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
    return [
        {
            "credit_score": rng.randrange(300, 850),
            "amount": rng.randrange(1_000, 1_000_000),
            "tier": rng.choice(TIERS),
            "region": rng.choice(REGIONS),
            "age": rng.randrange(18, 90),
        }
        for _ in range(count)
    ]


def measure_table(table: DecisionTable, inputs: list[dict[str, Any]], seconds: float) -> float:
    """Median µs per evaluation over batches of the whole input sample."""
    evaluate = table.evaluate
    for data in inputs[:100]:  # warm-up, and the index must agree with testing row by row
        if table.match(data) != table.evaluate_naive(data):
            raise AssertionError(f"the index and the row-by-row test disagree on {data}")
    samples: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(samples) < 5:
        start = time.perf_counter()
        for data in inputs:
            evaluate(data)
        samples.append((time.perf_counter() - start) / len(inputs))
    return statistics.median(samples) * 1e6


def measure(seconds: float = 3.0) -> dict[str, Any]:
    started = time.perf_counter()
    table = compile_rule(make_table())
    compile_ms = (time.perf_counter() - started) * 1000
    assert isinstance(table, DecisionTable)
    inputs = make_inputs()
    per_evaluation = measure_table(table, inputs, seconds)
    positions = [table.evaluate(data).selected[0] for data in inputs]
    # Inputs most rows reject, so the match comes late: the index costs the same wherever it is.
    late = [
        dict(data, credit_score=299, amount=2_000_000, region="abroad", age=17) for data in inputs
    ]
    late_positions = [table.evaluate(data).selected[0] for data in late]
    late_match = measure_table(table, late, seconds / 3)
    started = time.perf_counter()
    for data in inputs[:20]:
        table.evaluate_naive(data)
    row_by_row = (time.perf_counter() - started) / 20 * 1e6
    return {
        "rules_first_hit_1000x5_us": round(per_evaluation, 2),
        "details": {
            "rules_table_compile_ms": round(compile_ms, 1),
            "rules_median_selected_row": statistics.median(positions) + 1,
            "rules_late_match_us": round(late_match, 2),
            "rules_late_median_selected_row": statistics.median(late_positions) + 1,
            "rules_row_by_row_us": round(row_by_row, 1),
            "rules_budget_us": 50,
        },
    }


if __name__ == "__main__":
    print(measure())
