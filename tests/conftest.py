"""Fixtures shared by the test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotator.errors import PortInUse
from annotator.paths import HOME_ENV, PACK_CACHE_ENV, local_doccano_paths
from annotator.server import DEFAULT_PORT, LocalDoccano, read_state

#: the test suite's doccano port, when it must be this one (see ``local_doccano``)
PORT_ENV = "ANNOTATOR_TEST_DOCCANO_PORT"

REPO = Path(__file__).resolve().parents[1]
#: The checkout's own state folder, so that doccano's venv (about 90 s to install) is reused.
REPO_ANNOTATOR_HOME = REPO / ".annotator"


@pytest.fixture(scope="session", autouse=True)
def suite_pack_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite's own compiled-pack cache, shared by its tests: never the user's."""
    folder = tmp_path_factory.mktemp("pack-cache") / "packs"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PACK_CACHE_ENV, str(folder))
        yield folder


@pytest.fixture(scope="session")
def local_doccano() -> Iterator[LocalDoccano]:
    """The real embedded doccano (under ``<repo>/.annotator``) for tests marked doccano.

    It serves on ``ANNOTATOR_TEST_DOCCANO_PORT`` when that is set. Otherwise on the port this
    folder's server last had, or on 8642; when a doccano of another folder (a second
    checkout, a CI check beside it) or any other program holds 8642, on the free port next to it.
    A server that is already up is reused; it is stopped at the end only if this session started it.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(HOME_ENV, str(REPO_ANNOTATOR_HOME))
        paths = local_doccano_paths()
    chosen = os.environ.get(PORT_ENV)
    state = read_state(paths.state)  # this folder's server, running or left behind: its port
    port = int(chosen) if chosen else state.port if state is not None else DEFAULT_PORT
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
def project_name(request: pytest.FixtureRequest) -> str:
    """A project name unique to this test run, so tests never see each other's data."""
    import uuid

    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def doccano_env(local_doccano: LocalDoccano, monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment variables that point CLI commands at the local doccano."""
    credentials = local_doccano.credentials()
    monkeypatch.setenv("DOCCANO_URL", credentials.url)
    monkeypatch.setenv("DOCCANO_USERNAME", credentials.username)
    monkeypatch.setenv("DOCCANO_PASSWORD", credentials.password)
