from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from processes.cli import main


def test_info_reports_the_kernels(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accelerators"] in {"compiled", "python"}
    assert report["itinera"] != "unknown"


def test_console_script_is_installed() -> None:
    script = shutil.which("itinera", path=os.path.dirname(sys.executable))
    assert script is not None
    result = subprocess.run(
        [script, "info", "--json"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ITINERA_PUREPYTHON": "1"},
    )
    assert json.loads(result.stdout)["accelerators"] == "python"


def test_a_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


DEMO = Path(__file__).resolve().parents[1] / "processes" / "demo" / "loan-application.bpmn"


def itinera(*args: str, pure: bool = False) -> subprocess.CompletedProcess[str]:
    script = shutil.which("itinera", path=os.path.dirname(sys.executable))
    assert script is not None
    env = {**os.environ, "ITINERA_PUREPYTHON": "1" if pure else "0"}
    return subprocess.run([script, *args], capture_output=True, text=True, env=env, timeout=60)


LOAN_SCRIPT = {
    "data": {"channel": "web"},
    "events": [
        {"complete": "Task_Capture", "data": {"applicant": "Ann", "amount": 80000}},
        {"start": "Task_Documents"},
        {"complete": "Task_Underwrite"},
        {"complete": "Task_Documents", "data": {"documents_ok": True}},
        {"complete": "Task_Underwrite", "data": {"approved": True}},
    ],
}


def test_play_prints_a_line_per_step(tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps(LOAN_SCRIPT))
    result = itinera("play", str(DEMO), str(events))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["step"] for line in lines] == [0, 1, 2, 3, 4, 5]
    assert lines[0]["open"] == {"Task_Capture": 1}
    assert lines[0]["data"] == {"channel": "web"}
    assert lines[2]["started"] == {"Task_Documents": 1}
    assert lines[3]["ok"] is False
    assert lines[3]["error"]
    assert {k: v for k, v in lines[3].items() if k not in ("step", "event", "ok", "error")} == {
        k: v for k, v in lines[2].items() if k not in ("step", "event", "ok", "error")
    }
    assert lines[4]["open"] == {"Task_Underwrite": 1}
    assert lines[5]["state"] == "completed"
    assert lines[5]["log"] == {"Task_Capture": 1, "Task_Documents": 1, "Task_Underwrite": 1}
    assert set(lines[0]) == {
        "step",
        "event",
        "ok",
        "error",
        "state",
        "open",
        "started",
        "log",
        "waiting",
        "data",
    }


def test_play_gives_the_same_lines_on_the_pure_python_kernels(tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps(LOAN_SCRIPT["events"]))
    compiled = itinera("play", str(DEMO), str(events))
    pure = itinera("play", str(DEMO), str(events), pure=True)
    assert compiled.returncode == pure.returncode == 0
    assert compiled.stdout == pure.stdout


def test_play_refuses_an_invalid_process_naming_the_element(tmp_path: Path) -> None:
    process = tmp_path / "bad.bpmn"
    process.write_text(
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        '<process id="p" isExecutable="true"><startEvent id="S"/>'
        '<sequenceFlow id="F" sourceRef="S" targetRef="T"><conditionExpression>a &gt;'
        '</conditionExpression></sequenceFlow><task id="T"/></process></definitions>'
    )
    events = tmp_path / "events.json"
    events.write_text("[]")
    result = itinera("play", str(process), str(events))
    assert result.returncode == 2
    assert "F" in result.stderr
    assert "expression" in result.stderr
    unreadable = itinera("play", str(tmp_path / "missing.bpmn"), str(events))
    assert unreadable.returncode == 2
    assert "cannot read" in unreadable.stderr
    not_xml = tmp_path / "not.bpmn"
    not_xml.write_text("hello")
    assert itinera("play", str(not_xml), str(events)).returncode == 2


def test_validate_reports_findings_and_exits_1_on_errors(tmp_path: Path) -> None:
    clean = itinera("validate", str(DEMO))
    assert clean.returncode == 0
    assert "no findings" in clean.stdout
    process = tmp_path / "island.bpmn"
    process.write_text(
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        '<process id="p" isExecutable="true"><startEvent id="S"/><task id="T"/><task id="Island"/>'
        '<sequenceFlow id="F" sourceRef="S" targetRef="T"/></process></definitions>'
    )
    result = itinera("validate", str(process), "--json")
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert {"element_id": "Island", "code": "unreachable"}.items() <= findings[0].items()


def test_convert_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "out.bpmn"
    result = itinera("convert", str(DEMO), str(out))
    assert result.returncode == 0, result.stderr
    again = tmp_path / "again.bpmn"
    assert itinera("convert", str(out), str(again)).returncode == 0
    assert out.read_bytes() == again.read_bytes()
    assert b"BPMNShape" in out.read_bytes()
