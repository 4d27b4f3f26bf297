"""The machine's calibration: pgbench's built-in simple-update script on the bench PostgreSQL.

As the peers' harness measures it (``../shared/bench-peers``): ``pgbench -i -s 10`` into a
database of its own, then ``-b simple-update -c 4 -j min(4, nproc) -T seconds`` with
``synchronous_commit=on``; that database is dropped afterwards.

``python -m bench.pgbench [--quick] [--seconds N]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from typing import Any

from bench import common

SCALE = 10
CLIENTS = 4
DATABASE = "itinera_pgbench"


def _conninfo(url: str, dbname: str) -> tuple[str, dict[str, str]]:
    """A conninfo for ``dbname`` on the server of ``url`` (the password kept off the command)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params: dict[str, Any] = dict(conninfo_to_dict(url))
    params["dbname"] = dbname
    env = dict(os.environ)
    if "password" in params:
        env["PGPASSWORD"] = str(params.pop("password"))
    env["PGOPTIONS"] = (str(params.pop("options", "")) + " -c synchronous_commit=on").strip()
    return make_conninfo(**params), env


def _recreate(url: str, dbname: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(dbname)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def _drop(url: str, dbname: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(dbname)))


def measure(seconds: float = 10.0, scale: int = SCALE) -> dict[str, Any]:
    url = common.postgres_url()
    executable = shutil.which("pgbench")
    if not url or executable is None:
        reason = "DATABASE_URL is not PostgreSQL" if not url else "pgbench is not on PATH"
        return {"pgbench_simple_update_tps": None, "details": {"pgbench": {"skipped": reason}}}
    dbname = os.environ.get("ITINERA_BENCH_PGBENCH_DB", DATABASE)
    conninfo, env = _conninfo(url, dbname)
    jobs = max(1, min(CLIENTS, os.cpu_count() or 1))
    _recreate(url, dbname)
    try:
        subprocess.run(
            [executable, "-i", "-q", "-s", str(scale), conninfo],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        run = subprocess.run(
            [executable, "-n", "-b", "simple-update", "-c", str(CLIENTS), "-j", str(jobs)]
            + ["-T", str(max(1, round(seconds))), conninfo],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    except subprocess.CalledProcessError as failure:
        raise RuntimeError(f"pgbench failed: {failure.stderr.strip()}") from failure
    finally:
        _drop(url, dbname)
    tps = re.search(r"^tps = ([\d.]+)", run.stdout, re.MULTILINE)
    latency = re.search(r"^latency average = ([\d.]+) ms", run.stdout, re.MULTILINE)
    if tps is None:
        raise RuntimeError(f"could not read tps from pgbench:\n{run.stdout}")
    return {
        "pgbench_simple_update_tps": round(float(tps.group(1)), 1),
        "details": {
            "pgbench": {
                "clients": CLIENTS,
                "jobs": jobs,
                "scale": scale,
                "seconds": max(1, round(seconds)),
                "latency_ms_avg": float(latency.group(1)) if latency else None,
                "synchronous_commit": "on",
            }
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (scale 1, 2 s)")
    parser.add_argument("--seconds", type=float, default=10.0)
    arguments = parser.parse_args(argv)
    figures = measure(2.0, scale=1) if arguments.quick else measure(arguments.seconds)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
