"""The ``itinera`` console script.

- ``itinera play PROCESS.bpmn EVENTS.json [--process ID]``: the scripted dry run, a line a step;
- ``itinera validate FILE.bpmn [--json]``: the validation findings (exit 1 when there are errors);
- ``itinera convert IN.bpmn OUT.bpmn``: import, then export (the round trip);
- ``itinera info``: the version and which graph kernels are in use.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

EXIT_INVALID = 2


def _version() -> str:
    try:
        return version("itinera")
    except PackageNotFoundError:
        return "unknown"


def _fail(message: str) -> int:
    print(f"itinera: {message}", file=sys.stderr)
    return EXIT_INVALID


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise SystemExit(_fail(f"cannot read {what} {path}: {error.strerror or error}")) from None


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


def _load_process(path: str) -> Any:
    """Import a BPMN file; exit 2 naming the element when the engine cannot run it."""
    from processes.bpmn.importer import import_definitions
    from processes.bpmn.xml import BpmnSyntaxError

    try:
        definitions = import_definitions(_read(path, "process"))
    except BpmnSyntaxError as error:
        where = f" (line {error.line})" if error.line else ""
        raise SystemExit(_fail(f"{path}{where}: {error}")) from None
    errors = [finding for finding in definitions.findings if finding.severity == "error"]
    if errors:
        for finding in errors:
            kind = f" ({finding.element_type})" if finding.element_type else ""
            print(
                f"itinera: {path}: {finding.element_id}{kind}: {finding.message}", file=sys.stderr
            )
        raise SystemExit(EXIT_INVALID)
    return definitions


def _play(arguments: argparse.Namespace) -> int:
    from processes.engine.compiled import CompileError
    from processes.engine.core import Incident
    from processes.engine.play import ScriptError, format_line, play

    definitions = _load_process(arguments.process_file)
    try:
        script = json.loads(_read(arguments.events_file, "events"))
    except json.JSONDecodeError as error:
        return _fail(f"{arguments.events_file}: not JSON: {error}")
    try:
        for line in play(definitions, script, arguments.process):
            print(format_line(line), flush=True)
    except ScriptError as error:
        return _fail(f"{arguments.events_file}: {error}")
    except CompileError as error:
        return _fail(f"{arguments.process_file}: {error.element_id}: {error.message}")
    except KeyError as error:
        return _fail(f"{arguments.process_file}: {error.args[0]}")
    except Incident as error:
        return _fail(f"{arguments.process_file}: {error.message}")
    return 0


def _validate(arguments: argparse.Namespace) -> int:
    from processes.bpmn.importer import import_definitions
    from processes.bpmn.xml import BpmnSyntaxError
    from processes.engine.validate import has_errors, validate

    try:
        definitions = import_definitions(_read(arguments.file, "process"))
        findings = validate(definitions, arguments.process)
    except BpmnSyntaxError as error:
        where = f" (line {error.line})" if error.line else ""
        return _fail(f"{arguments.file}{where}: {error}")
    except KeyError as error:
        return _fail(f"{arguments.file}: {error.args[0]}")
    if arguments.json:
        print(json.dumps([finding.as_dict() for finding in findings], indent=2))
    elif not findings:
        print(f"{arguments.file}: no findings")
    else:
        for finding in findings:
            kind = f" ({finding.element_type})" if finding.element_type else ""
            print(
                f"{finding.severity}: {finding.element_id}{kind}: {finding.code}: {finding.message}"
            )
    return 1 if has_errors(findings) else 0


def _convert(arguments: argparse.Namespace) -> int:
    from processes.bpmn.exporter import convert
    from processes.bpmn.xml import BpmnSyntaxError

    try:
        findings = convert(arguments.input, arguments.output)
    except BpmnSyntaxError as error:
        return _fail(f"{arguments.input}: {error}")
    except OSError as error:
        return _fail(f"{error.filename}: {error.strerror or error}")
    for finding in findings:
        print(f"{finding.severity}: {finding.element_id}: {finding.message}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="itinera", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"itinera {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    play = commands.add_parser("play", help="run a process in memory against a script of events")
    play.add_argument("process_file", metavar="PROCESS.bpmn")
    play.add_argument("events_file", metavar="EVENTS.json")
    play.add_argument(
        "--process", help="the id of the process to run (default: the first executable)"
    )
    play.set_defaults(handler=_play)

    validate = commands.add_parser("validate", help="list what is wrong with a BPMN file")
    validate.add_argument("file", metavar="FILE.bpmn")
    validate.add_argument("--json", action="store_true", help="print the findings as JSON")
    validate.add_argument("--process", help="validate only this process (and what it calls)")
    validate.set_defaults(handler=_validate)

    convert = commands.add_parser("convert", help="import a BPMN file, then export it")
    convert.add_argument("input", metavar="IN.bpmn")
    convert.add_argument("output", metavar="OUT.bpmn")
    convert.set_defaults(handler=_convert)

    info = commands.add_parser("info", help="show the version and the graph kernels in use")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(handler=_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    return int(arguments.handler(arguments))


if __name__ == "__main__":
    sys.exit(main())
