"""What every user meets first: the version, the help of every command."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

from annotator.cli import main


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"annotator {version('annotator')}"


def test_version_works_as_a_console_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "annotator", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.startswith("annotator ")


@pytest.mark.parametrize(
    "command", [["doccano", "user", "add"], ["doccano", "user", "list"], ["doccano", "user"]]
)
def test_account_commands_have_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    assert "Usage:" in capsys.readouterr().out


def test_commands_loaded_later_in_the_same_process_are_found(capsys: pytest.CaptureFixture[str]) -> None:
    # `main` loads only the module of the command it runs; a later call runs another command
    assert main(["cache", "--help"]) == 0
    assert main(["evaluate", "--help"]) == 0
    assert main(["doccano", "user", "list", "--help"]) == 0
    assert "Usage:" in capsys.readouterr().out
