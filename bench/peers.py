"""The peers in the same run: ``../shared/bench-peers/run.py`` (SpiffWorkflow in memory and on
PostgreSQL, viewflow on PostgreSQL, networkx), and Itinera's ratios against them.

The peers run in their own virtualenv: ``ITINERA_PEERS_PYTHON`` if set, else the harness's
``.venv-peers``, else ``var/bench-peers-venv`` (``python -m bench.peers --setup`` makes it from
the harness's pinned ``requirements.txt``). They use the server of ``DATABASE_URL``, in a
database the harness drops and recreates (``ITINERA_PEERS_DB``, default ``peers_bench``).
pgbench is measured by ``bench.pgbench`` and not again here.

``python -m bench.peers [--quick] [--seconds N] [--clients N] [--setup]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import common

HARNESS = Path(os.environ.get("ITINERA_PEERS_DIR", common.ROOT.parent / "shared" / "bench-peers"))
OWN_VENV = common.ROOT / "var" / "bench-peers-venv"
PEER_KEYS = (
    "spiff_inmem_us_per_completion_seq10",
    "spiff_inmem_us_per_completion_par10",
    "spiff_pg_completions_per_s_seq10",
    "spiff_pg_completions_per_s_par10",
    "viewflow_pg_completions_per_s_seq10",
    "viewflow_pg_completions_per_s_par10",
)
#: (ratio name, our key, their key, True when higher is better for us)
RATIOS = (
    (
        "engine_vs_spiff_inmem_seq10",
        "engine_us_per_completion_seq10",
        "spiff_inmem_us_per_completion_seq10",
        False,
    ),
    (
        "engine_vs_spiff_inmem_par10",
        "engine_us_per_completion_par10",
        "spiff_inmem_us_per_completion_par10",
        False,
    ),
    (
        "durable_vs_spiff_pg_seq10",
        "durable_completions_per_s_seq10",
        "spiff_pg_completions_per_s_seq10",
        True,
    ),
    (
        "durable_vs_spiff_pg_par10",
        "durable_completions_per_s_par10",
        "spiff_pg_completions_per_s_par10",
        True,
    ),
    (
        "durable_vs_viewflow_pg_seq10",
        "durable_completions_per_s_seq10",
        "viewflow_pg_completions_per_s_seq10",
        True,
    ),
    (
        "durable_vs_viewflow_pg_par10",
        "durable_completions_per_s_par10",
        "viewflow_pg_completions_per_s_par10",
        True,
    ),
    (
        "graph_vs_networkx",
        "graph_ns_per_edge",
        "peers_networkx_ns_per_edge",
        False,
    ),
    (
        "durable_vs_pgbench_seq10",
        "durable_completions_per_s_seq10",
        "pgbench_simple_update_tps",
        True,
    ),
)


def interpreter() -> Path | None:
    for candidate in (
        os.environ.get("ITINERA_PEERS_PYTHON"),
        HARNESS / ".venv-peers" / "bin" / "python",
        OWN_VENV / "bin" / "python",
    ):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


def setup() -> Path:
    """Make ``var/bench-peers-venv`` from the harness's pinned requirements."""
    if not (OWN_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(OWN_VENV)], check=True)
    python = OWN_VENV / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(HARNESS / "requirements.txt")],
        check=True,
    )
    return python


def ratios(report: dict[str, Any]) -> dict[str, float | None]:
    """How many times better Itinera is than each peer (above 1: Itinera is ahead)."""
    found: dict[str, float | None] = {}
    for name, ours_key, theirs_key, higher_is_better in RATIOS:
        ours, theirs = report.get(ours_key), report.get(theirs_key)
        if not ours or not theirs:
            found[name] = None
            continue
        found[name] = round(ours / theirs if higher_is_better else theirs / ours, 2)
    return found


def measure(
    seconds: int = 10, clients: int = 4, only: str = "spiff,viewflow,graph"
) -> dict[str, Any]:
    url = common.postgres_url()
    python = interpreter()
    if not (HARNESS / "run.py").exists():
        return {"details": {"peers": {"skipped": f"no harness at {HARNESS}"}}}
    if python is None:
        reason = "no peers virtualenv (python -m bench.peers --setup)"
        return {"details": {"peers": {"skipped": reason}}}
    if not url and only != "graph":
        return {"details": {"peers": {"skipped": "DATABASE_URL is not PostgreSQL"}}}
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "peers.json"
        command = [str(python), str(HARNESS / "run.py"), "--no-venv", "--only", only]
        command += ["--seconds", str(seconds), "--clients", str(clients), "--json", str(out)]
        if url:
            command += ["--dsn", url, "--db", os.environ.get("ITINERA_PEERS_DB", "peers_bench")]
        run = subprocess.run(command, capture_output=True, text=True, cwd=scratch)
        if not out.exists():
            said = run.stdout[-2000:] + run.stderr[-3000:]
            raise RuntimeError(f"the peers harness failed:\n{said}")
        peers = json.loads(out.read_text())
    results: dict[str, Any] = {key: peers.get(key) for key in PEER_KEYS}
    # Our graph benchmark reports networkx under the same key: the peers' figure is kept apart.
    results["peers_networkx_ns_per_edge"] = peers.get("networkx_ns_per_edge")
    results["details"] = {
        "peers": {
            "clients": peers.get("clients"),
            "seconds": peers.get("seconds"),
            "versions": peers.get("versions"),
            "errors": peers.get("errors"),
            "measurements": peers.get("details"),
        }
    }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 s per measurement, 1 client")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--setup", action="store_true", help="make the peers' virtualenv first")
    arguments = parser.parse_args(argv)
    if arguments.setup:
        print(f"peers' virtualenv: {setup()}")
    if arguments.quick:
        arguments.seconds, arguments.clients = 1, 1
    print(json.dumps(measure(arguments.seconds, arguments.clients), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
