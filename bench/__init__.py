"""The benchmark harness: ``make bench`` writes ``bench/results/latest.json`` and prints a table."""
