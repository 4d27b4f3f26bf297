from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

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
