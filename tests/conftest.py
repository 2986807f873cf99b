"""Fixtures shared by the test suite.

The suite never touches the user's own doccano: it keeps its state under ``.annotator/test``
(its own database, credentials and port), shares only doccano's virtual environment with the
checkout's ``.annotator/doccano/venv`` (one install of about 90 s), ignores the user's
``DOCCANO_*`` variables, and deletes every project a test created when the test ends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotator.doccano.local.processes import read_state
from annotator.doccano.local.server import LocalDoccano
from annotator.errors import PortInUse
from annotator.paths import DOCCANO_VENV_ENV, HOME_ENV, PACK_CACHE_ENV, LocalDoccanoPaths

#: the test suite's doccano port, when it must be this one (see ``local_doccano``)
PORT_ENV = "ANNOTATOR_TEST_DOCCANO_PORT"
#: the suite's own port: not the 8642 of `annotator doccano up`, so a running demo is never reused
TEST_PORT = 8652

REPO = Path(__file__).resolve().parents[1]
#: The suite's own state folder (database, credentials, logs, accounts), never the user's.
TEST_HOME = REPO / ".annotator" / "test"
#: doccano's venv of the checkout, shared so that it is installed once.
SHARED_VENV = REPO / ".annotator" / "doccano" / "venv"
#: what would point a command at the user's own doccano or account
USER_ENV = ("DOCCANO_URL", "DOCCANO_USERNAME", "DOCCANO_PASSWORD", DOCCANO_VENV_ENV)


@pytest.fixture(scope="session", autouse=True)
def isolated_from_the_users_doccano() -> Iterator[None]:
    """Every test, and every command it runs, sees the suite's home and none of the user's DOCCANO_*."""
    with pytest.MonkeyPatch.context() as patch:
        for name in USER_ENV:
            patch.delenv(name, raising=False)
        patch.setenv(HOME_ENV, str(TEST_HOME))
        patch.setenv(DOCCANO_VENV_ENV, str(SHARED_VENV))
        yield


def suite_doccano_paths() -> LocalDoccanoPaths:
    """Where the suite's doccano keeps its state (its venv is the checkout's)."""
    return LocalDoccanoPaths(TEST_HOME / "doccano", shared_venv=SHARED_VENV)


@pytest.fixture(scope="session", autouse=True)
def suite_pack_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite's own compiled-pack cache, shared by its tests: never the user's."""
    folder = tmp_path_factory.mktemp("pack-cache") / "packs"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PACK_CACHE_ENV, str(folder))
        yield folder


@pytest.fixture(scope="session")
def local_doccano() -> Iterator[LocalDoccano]:
    """The real embedded doccano of the test suite, for tests marked doccano.

    It serves on ``ANNOTATOR_TEST_DOCCANO_PORT`` when that is set. Otherwise on the port the
    suite's server last had, or on 8652; when another program holds that port, on the free port
    next to it. A server of the suite that is already up is reused; it is stopped at the end only
    if this session started it.
    """
    paths = suite_doccano_paths()
    chosen = os.environ.get(PORT_ENV)
    state = read_state(paths.state)  # the suite's server, running or left behind: its port
    port = int(chosen) if chosen else state.port if state is not None else TEST_PORT
    server = LocalDoccano(paths, port=port)
    try:
        info = server.up()
    except PortInUse as busy:
        if chosen:
            raise
        server = LocalDoccano(paths, port=busy.free_port)
        info = server.up()
    yield server
    if info.started:
        server.down()


@pytest.fixture(scope="session")
def doccano_admin(local_doccano: LocalDoccano):
    """A logged-in admin connection to the real local doccano."""
    from annotator.doccano.connection import Doccano

    return Doccano(local_doccano.credentials())


@pytest.fixture
def project_name(request: pytest.FixtureRequest) -> Iterator[str]:
    """A project name unique to this test run, so tests never see each other's data.

    When the test used the suite's doccano, the project is deleted afterwards: no test leaves a
    project behind, in whichever server it ran.
    """
    name = f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"
    yield name
    if "doccano_admin" in request.fixturenames or "local_doccano" in request.fixturenames:
        delete_project(request.getfixturevalue("doccano_admin"), name)


def delete_project(admin, name: str) -> None:
    """Delete the project called ``name`` if it exists."""
    project = admin.find_project(name)
    if project is not None:
        admin.call("delete the test project", admin.client.delete_project, project.id)


@pytest.fixture
def doccano_env(local_doccano: LocalDoccano, monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment variables that point CLI commands at the local doccano."""
    credentials = local_doccano.credentials()
    monkeypatch.setenv("DOCCANO_URL", credentials.url)
    monkeypatch.setenv("DOCCANO_USERNAME", credentials.username)
    monkeypatch.setenv("DOCCANO_PASSWORD", credentials.password)


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty state folder and no DOCCANO_* variables: no credentials anywhere."""
    home = tmp_path / "home"
    monkeypatch.setenv("ANNOTATOR_HOME", str(home))
    for name in ("DOCCANO_URL", "DOCCANO_USERNAME", "DOCCANO_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return home
