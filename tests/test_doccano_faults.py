"""Faults in doccano: the server stopped in the middle of a push or an export, an expired session,
a wrong password, a wrong project name. Each must end in a clear message and a documented exit
code, and a re-run after the fault must leave complete, verified data.

These tests stop and start a doccano of their OWN (own ANNOTATOR_HOME under a temporary folder,
own free port, its venv a link to the session server's), so the session's server never notices.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
import requests

from annotator.corpus import PreAnnotationWriter, read_corpus
from annotator.doccano.connection import Doccano
from annotator.doccano.local.processes import read_state
from annotator.doccano.local.server import LocalDoccano
from annotator.doccano.push import push
from annotator.doccano.records import from_export_record
from annotator.engine import annotate_stream
from annotator.errors import AuthenticationFailed
from annotator.model import Example
from annotator.paths import LocalDoccanoPaths
from annotator.rules import load_pack
from tests.ports import free_port

pytestmark = pytest.mark.doccano

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "rules" / "starter"


@pytest.fixture(scope="module")
def spare(local_doccano: LocalDoccano, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDoccano]:
    """A doccano of this module's own, which its tests may stop and start at will."""
    home = tmp_path_factory.mktemp("faults-home")
    (home / "doccano").mkdir()
    (home / "doccano" / "venv").symlink_to(local_doccano.paths.venv)
    server = LocalDoccano(LocalDoccanoPaths(home / "doccano"), port=free_port())
    server.up()
    yield server
    server.down()


def admin_of(server: LocalDoccano) -> Doccano:
    """A fresh admin connection (a server restart may outlive an old session, but never mind)."""
    return Doccano(server.credentials())


def cli_env(server: LocalDoccano, **extra: str) -> dict[str, str]:
    """Environment for a CLI child that talks to ``server`` as its admin."""
    credentials = server.credentials()
    return {
        **os.environ,
        "ANNOTATOR_HOME": str(server.paths.root.parent),
        "DOCCANO_URL": credentials.url,
        "DOCCANO_USERNAME": credentials.username,
        "DOCCANO_PASSWORD": credentials.password,
        "COLUMNS": "200",
        **extra,
    }


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "annotator", *args]


def corpus(copies: int) -> list[Example]:
    """The seed article pre-annotated by the starter pack, ``copies`` times with distinct ids."""
    pack = load_pack(STARTER)
    examples = list(annotate_stream(pack, read_corpus([ROOT / "seeds"])))
    return [replace(e, id=f"{e.id}-{copy}") for copy in range(copies) for e in examples]


def write_pre(path: Path, examples: list[Example]) -> Path:
    with PreAnnotationWriter(path) as writer:
        for example in examples:
            writer.write(example)
    return path


def in_doccano(server: LocalDoccano, project: str) -> tuple[Counter[str], dict[str, int]]:
    """How many copies of each example id the project holds, and the spans of each (via export)."""
    admin = admin_of(server)
    found = admin.project(project)
    copies = Counter(str(raw["meta"]["annotator_id"]) for raw in admin.examples(found.id))
    spans = {
        item.example.id: len(item.example.spans)
        for item in map(from_export_record, admin.export(found.id, only_confirmed=False))
    }
    return copies, spans


def assert_clear_failure(result: tuple[int, str], server: LocalDoccano, code: int) -> None:
    returncode, stderr = result
    assert returncode == code, stderr
    assert "Traceback" not in stderr
    assert server.url in stderr, stderr


# -- the server stops in the middle of a push ------------------------------------------------------


def test_a_push_cut_off_by_a_server_stop_fails_clearly_and_a_rerun_completes_it_exactly_once(
    spare: LocalDoccano, tmp_path: Path, project_name: str
) -> None:
    spare.up()
    examples = corpus(4)  # 44 examples, 22 import chunks of 2
    pre = write_pre(tmp_path / "pre.jsonl", examples)
    command = cli("push", str(pre), "--project", project_name, "--rules", str(STARTER), "--chunk-size", "2")
    env = cli_env(spare)
    admin = admin_of(spare)

    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    arrived = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        project = admin.find_project(project_name)
        arrived = sum(1 for _ in admin.examples(project.id)) if project else 0
        if arrived >= 6:
            break
        time.sleep(0.1)
    spare.down()  # the fault: in the middle of the push
    _, stderr = process.communicate(timeout=120)

    assert 0 < arrived < len(examples), "the server should have stopped half way through the push"
    assert_clear_failure((process.returncode, stderr), spare, code=5)
    assert "cannot reach doccano" in stderr or "lost the connection" in stderr

    spare.up()
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "verified: every example and span arrived" in " ".join(rerun.stdout.split())
    print(f"push stopped after {arrived} of {len(examples)} examples:", " ".join(stderr.split()))
    print("re-run:", " ".join(rerun.stdout.split()))

    copies, spans = in_doccano(spare, project_name)
    assert copies == Counter({example.id: 1 for example in examples}), "every example exactly once"
    assert spans == {example.id: len(example.spans) for example in examples}, "every span arrived"
    assert sum(spans.values()) > 100


# -- the server stops in the middle of an export ----------------------------------------------------


def worker_processes(server: LocalDoccano) -> list[psutil.Process]:
    """The Celery worker this server runs (the leader and its pool), which runs exports."""
    state = read_state(server.paths.state)
    assert state is not None
    [record] = [record for record in state.processes if record.role == "worker"]
    leader = psutil.Process(record.pid)
    return [leader, *leader.children(recursive=True)]


def connected_to(process: subprocess.Popen[str], port: int) -> bool:
    try:
        connections = psutil.Process(process.pid).net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return False
    return any(c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED for c in connections)


def test_an_export_cut_off_by_a_server_stop_fails_clearly_and_a_rerun_writes_a_verified_corpus(
    spare: LocalDoccano, tmp_path: Path, project_name: str
) -> None:
    spare.up()
    examples = corpus(2)
    push(admin_of(spare), examples, project_name, labels=load_pack(STARTER).labels)
    output = tmp_path / "gold"
    command = cli("export", "--project", project_name, "--all", "-o", str(output))
    env = cli_env(spare)

    # Hold the export in the middle: with the task worker paused, the export task waits in the
    # queue and the command polls for it, until the server goes away under it.
    worker = worker_processes(spare)
    for process in worker:
        process.suspend()
    try:
        export = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not connected_to(export, spare.port) and export.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(3)  # logged in, export requested: now it polls the task
        assert export.poll() is None, export.communicate()
        stopping = threading.Thread(target=spare.down)
        stopping.start()  # the web server goes first (TERM closes its socket at once) ...
        time.sleep(0.5)
    finally:
        for process in worker:  # ... then the worker may take its TERM and stop
            if process.is_running():
                process.resume()
    stopping.join(timeout=60)
    _, stderr = export.communicate(timeout=120)

    assert_clear_failure((export.returncode, stderr), spare, code=5)
    assert not (output / "manifest.json").exists(), "a failed export leaves no manifest behind"

    print("export stopped:", " ".join(stderr.split()))
    spare.up()
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    print("re-run:", " ".join(rerun.stdout.split()))
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    expected_spans = sum(len(example.spans) for example in examples)
    assert manifest["verified"] is True
    assert (manifest["examples"], manifest["spans"]) == (len(examples), expected_spans)
    gold = list(read_corpus([output / "gold.jsonl"]))
    assert sorted(e.id for e in gold) == sorted(e.id for e in examples)
    assert sum(len(e.spans) for e in gold) == expected_spans


# -- sessions, passwords, project names --------------------------------------------------------------


def test_an_expired_session_is_an_authentication_error_naming_the_user(spare: LocalDoccano) -> None:
    spare.up()
    admin = admin_of(spare)
    # end the session on the server, as an expiry or a logout elsewhere would
    with requests.Session() as other:
        other.cookies.update(admin._http._session.cookies)
        csrf = admin._http._session.cookies.get("csrftoken")
        answer = other.post(
            f"{spare.url}/v1/auth/logout/", headers={"X-CSRFToken": csrf, "Referer": spare.url}, timeout=10
        )
        assert answer.status_code == 200
    with pytest.raises(AuthenticationFailed) as caught:
        admin.find_project("anything")
    assert caught.value.exit_code == 6
    assert "admin" in str(caught.value) and spare.url in str(caught.value)
    assert "session expired" in str(caught.value)


@pytest.mark.parametrize("command", ["push", "export"])
def test_a_wrong_password_exits_6_without_echoing_it(
    spare: LocalDoccano, tmp_path: Path, project_name: str, command: str
) -> None:
    spare.up()
    wrong = "not-the-password-7f3a"
    pre = write_pre(tmp_path / "pre.jsonl", corpus(1)[:2])
    args = ["push", str(pre)] if command == "push" else ["export", "-o", str(tmp_path / "out")]
    result = subprocess.run(
        cli(*args, "--project", project_name),
        env=cli_env(spare, DOCCANO_PASSWORD=wrong),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_clear_failure((result.returncode, result.stderr), spare, code=6)
    assert "refused the credentials of user admin" in result.stderr
    assert wrong not in result.stdout + result.stderr


def test_exporting_a_project_that_does_not_exist_exits_5_naming_it(
    spare: LocalDoccano, tmp_path: Path
) -> None:
    spare.up()
    result = subprocess.run(
        cli("export", "--project", "No such project 42", "-o", str(tmp_path / "out")),
        env=cli_env(spare),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_clear_failure((result.returncode, result.stderr), spare, code=5)
    assert 'no project named "No such project 42"' in result.stderr
    assert not (tmp_path / "out").exists()


def test_half_given_credentials_exit_6_naming_the_missing_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCCANO_")}
    result = subprocess.run(
        cli("export", "--project", "x", "-o", str(tmp_path / "out")),
        env={**env, "DOCCANO_USERNAME": "admin", "ANNOTATOR_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 6, result.stderr
    assert "DOCCANO_PASSWORD is not set" in result.stderr and "Traceback" not in result.stderr
