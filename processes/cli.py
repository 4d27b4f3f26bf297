"""The ``itinera`` console script.

``itinera info`` reports the installed version and which graph kernels are in use.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    try:
        return version("itinera")
    except PackageNotFoundError:
        return "unknown"


def _info(arguments: argparse.Namespace) -> int:
    import accelerators

    report = {
        "itinera": _version(),
        "python": sys.version.split()[0],
        "accelerators": accelerators.IMPLEMENTATION,
        "compiled_available": accelerators.COMPILED_AVAILABLE,
    }
    if arguments.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="itinera", description=__doc__)
    parser.add_argument("--version", action="version", version=f"itinera {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    info = commands.add_parser("info", help="show the version and the graph kernels in use")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(handler=_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    return int(arguments.handler(arguments))


if __name__ == "__main__":
    sys.exit(main())
