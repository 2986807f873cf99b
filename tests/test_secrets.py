"""Secrets: a password given in DOCCANO_PASSWORD appears nowhere but where it must.

Every command runs as a child process with a known password in its environment, against a
doccano of this test's own (fresh ANNOTATOR_HOME, own port, venv linked to the session server's).
The password belongs to a doccano user created for the test through the admin connection. After
the run it must be in no command's output, no file under ANNOTATOR_HOME (the 0600 credentials
file holds only the admin's password), no server log, no exported file or manifest, no example
meta in doccano and no process's command line; and the admin password must stay in its 0600 file.
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from annotator.doccano.accounts import add_user
from annotator.doccano.connection import Doccano
from annotator.doccano.local.server import LocalDoccano
from annotator.doccano.push import ensure_project
from annotator.paths import LocalDoccanoPaths
from annotator.rules import load_pack
from tests.ports import free_port

pytestmark = pytest.mark.doccano

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "rules" / "starter"


@pytest.fixture
def home(tmp_path: Path, local_doccano: LocalDoccano) -> Iterator[Path]:
    """A fresh ANNOTATOR_HOME whose doccano venv is the session server's; stopped at the end."""
    root = tmp_path / "home"
    (root / "doccano").mkdir(parents=True)
    (root / "doccano" / "venv").symlink_to(local_doccano.paths.venv)
    yield root
    LocalDoccano(LocalDoccanoPaths(root / "doccano")).down()


def files_under(root: Path) -> Iterator[Path]:
    """Every regular file under ``root``, not following links (the venv link is not ours)."""
    for folder, _, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


def test_no_command_shows_or_stores_the_password(home: Path, tmp_path: Path) -> None:
    password = f"Kn0wn-{secrets.token_hex(12)}"
    username = f"secret-keeper-{secrets.token_hex(3)}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    project = f"secrets-{secrets.token_hex(4)}"
    work = tmp_path / "work"
    env = {
        **os.environ,
        "ANNOTATOR_HOME": str(home),
        "DOCCANO_URL": url,
        "DOCCANO_USERNAME": username,
        "DOCCANO_PASSWORD": password,
        "COLUMNS": "200",
    }
    outputs: list[tuple[str, str]] = []

    def run(*args: str, expect: int = 0, **extra: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "annotator", *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert result.returncode == expect, f"{args}: {result.stderr}"
        outputs.append((" ".join(args), result.stdout + result.stderr))
        return result

    run("doccano", "up", "--port", str(port))
    server = LocalDoccano(LocalDoccanoPaths(home / "doccano"), port=port)
    admin_password = server.credentials().password
    admin = Doccano(server.credentials())
    admin.create_user(username, password)
    created, _ = ensure_project(admin, project, load_pack(STARTER).labels, allow_overlapping=False)
    add_user(admin, username, project=project, role="project_admin")

    run("doccano", "status")
    run("rules", "check", str(STARTER))
    run("annotate", str(ROOT / "seeds"), "--rules", str(STARTER), "-o", str(work / "pre.jsonl"))
    run("push", str(work / "pre.jsonl"), "--project", project, "--rules", str(STARTER))
    run("push", str(work / "pre.jsonl"), "--project", project, "--rules", str(STARTER))  # the re-run path
    run("export", "--project", project, "--all", "-o", str(work / "gold"))
    run(
        "evaluate", "--gold", str(work / "gold" / "gold.jsonl"), "--pred", str(work / "pre.jsonl"), "--effort"
    )
    run("evaluate", "--gold", str(work / "gold" / "gold.jsonl"), "--pred", str(work / "pre.jsonl"), "--json")
    # failures print messages too: a wrong user, a project that does not exist
    run("export", "--project", project, "-o", str(work / "x"), expect=6, DOCCANO_USERNAME="nobody")
    run("export", "--project", "no such project", "-o", str(work / "y"), expect=5)

    for process in psutil.process_iter(["cmdline"]):
        with_args = " ".join(process.info["cmdline"] or [])
        assert password not in with_args and admin_password not in with_args
    for raw in admin.examples(created.id):  # the examples as doccano holds them, meta and all
        assert password not in str(raw) and admin_password not in str(raw)
    run("doccano", "down")  # the logs are complete now

    for command, output in outputs:
        assert password not in output, f"`annotator {command}` printed the password"
        assert admin_password not in output, f"`annotator {command}` printed the admin password"

    credentials = server.paths.credentials
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(server.paths.secrets_env.stat().st_mode) == 0o600
    checked = list(files_under(home)) + list(files_under(work))
    assert len(checked) > 10 and any(path.suffix == ".log" for path in checked)
    assert (work / "gold" / "manifest.json") in checked and (work / "gold" / "gold.jsonl") in checked
    for path in checked:
        content = path.read_bytes()
        assert password.encode() not in content, f"{path} holds the password"
        if path != credentials:
            assert admin_password.encode() not in content, f"{path} holds the admin password"
