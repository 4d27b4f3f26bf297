from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import graph_kernels, run


def test_peer_graph_is_the_agreed_one() -> None:
    node_count, edges = graph_kernels.peer_graph()
    assert node_count == 1_000
    assert len(set(edges)) == 3_000
    assert all(a < b for a, b in edges)


def test_bench_writes_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_kernels, "REPEATS", 1)
    monkeypatch.setattr(graph_kernels, "TRAVERSALS", 2)
    out = tmp_path / "latest.json"
    assert run.main(["--only", "graph", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["graph_ns_per_edge"] > 0
    assert report["networkx_ns_per_edge"] > 0
    assert report["details"]["graph"]["edges_examined"] > 0


def test_engine_benchmark_runs_both_shapes_to_completion() -> None:
    from bench import engine_core

    for shape in ("seq10", "par10"):
        figures = engine_core.measure_shape(shape, seconds=0.0, batch=2)
        assert figures["us_per_completion"] > 0
        assert figures["instances"] >= 6


# --- The benchmarks against the running services, each once in its quick mode --------------------


@pytest.fixture
def bench_env(transactional_db: Any) -> dict[str, str]:
    """This run's services, with the benchmark's database the test database (emptied after)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the service benchmarks need PostgreSQL")
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    return dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="")


def _quick(module: str, env: dict[str, str], *arguments: str) -> dict[str, Any]:
    env = {key: value for key, value in env.items() if value}
    run = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return dict(json.loads(run.stdout.split("\n-- EXPLAIN")[0]))


def _needs_redis() -> None:
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL")


def test_pgbench_calibration_runs(bench_env: dict[str, str]) -> None:
    figures = _quick("pgbench", bench_env, "--quick")
    assert figures["pgbench_simple_update_tps"] > 0


def test_durable_benchmark_completes_tasks_through_the_services(bench_env: dict[str, str]) -> None:
    figures = _quick("durable", bench_env, "--quick")
    for shape in ("seq10", "par10"):
        assert figures[f"durable_completions_per_s_{shape}"] > 0
        assert figures[f"durable_p99_ms_{shape}"] >= figures[f"durable_p50_ms_{shape}"] > 0
        assert figures[f"durable_client_cpu_ms_{shape}"] > 0


def test_api_benchmark_completes_tasks_over_http(bench_env: dict[str, str]) -> None:
    _needs_redis()
    figures = _quick("api_http", bench_env, "--quick")
    assert figures["api_completions_per_s_seq10"] > 0
    assert figures["api_p99_ms_seq10"] >= figures["api_p50_ms_seq10"] > 0


def test_fan_out_benchmark_delivers_to_every_socket(bench_env: dict[str, str]) -> None:
    _needs_redis()
    figures = _quick("ws_fanout", bench_env, "--subscribers", "20", "--rounds", "2")
    assert figures["ws_fanout_20_lost"] == 0
    assert figures["details"]["ws_fanout"]["deliveries"] == 40
    assert figures["ws_fanout_20_median_ms"] > 0


def test_celery_benchmark_runs_every_job_in_a_real_worker(bench_env: dict[str, str]) -> None:
    _needs_redis()
    figures = _quick("celery_jobs", bench_env, "--jobs", "20")
    assert figures["celery_jobs_per_s"] > 0
    assert figures["details"]["celery_jobs"]["jobs"] == 20


def test_scale_benchmark_times_the_inbox_and_dashboard(bench_env: dict[str, str]) -> None:
    import psycopg

    name = f"test_scale_{os.getpid()}"
    env = dict(bench_env, ITINERA_BENCH_SCALE_DB=name)
    try:
        figures = _quick("scale", env, "--quick")
    finally:
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}_1000" WITH (FORCE)')
    assert figures["details"]["scale"]["open_tasks"] == 10_000
    assert figures["inbox_p95_ms_10k"] > 0
    assert figures["dashboard_p95_ms_10k"] > 0


def test_peer_ratios_say_how_many_times_better_we_are() -> None:
    from bench import peers

    found = peers.ratios(
        {
            "engine_us_per_completion_seq10": 5.0,
            "spiff_inmem_us_per_completion_seq10": 250.0,
            "durable_completions_per_s_seq10": 1400.0,
            "viewflow_pg_completions_per_s_seq10": 700.0,
        }
    )
    assert found["engine_vs_spiff_inmem_seq10"] == 50.0
    assert found["durable_vs_viewflow_pg_seq10"] == 2.0
    assert found["durable_vs_spiff_pg_par10"] is None


def test_peers_harness_runs_when_its_virtualenv_exists() -> None:
    from bench import peers

    if peers.interpreter() is None or not (peers.HARNESS / "run.py").exists():
        pytest.skip("no peers harness or virtualenv here (python -m bench.peers --setup)")
    figures = peers.measure(seconds=1, clients=1, only="graph")
    assert figures["peers_networkx_ns_per_edge"] > 0


def test_telemetry_overhead_benchmark_runs(db: Any) -> None:
    from bench import telemetry_overhead

    figures = telemetry_overhead.measure(calls=2_000, rounds=1)
    assert figures["details"]["telemetry"]["on_in_memory"]["traced_call_ns"] > 0
    assert "telemetry_off_ns_per_traced_call" in figures
