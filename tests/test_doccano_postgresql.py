"""The embedded doccano on a REAL PostgreSQL (``doccano up --database``), and a team writing at once.

The module starts its own PostgreSQL cluster (``tests/postgres.py``: Debian's binaries, a temporary
folder, a free port of 127.0.0.1, password authentication) and a doccano of its own home on it,
sharing only doccano's virtual environment with the rest of the suite. It is skipped, with the
reason, only where PostgreSQL's server binaries are missing and cannot be installed.
"""

from __future__ import annotations

import json
import secrets
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from annotator.cli import main
from annotator.corpus import PreAnnotationWriter, read_corpus
from annotator.doccano.accounts import add_user, read_account
from annotator.doccano.connection import Doccano
from annotator.doccano.local.database import DoccanoDatabase, parse_database
from annotator.doccano.local.server import LocalDoccano
from annotator.doccano.push import push
from annotator.engine import Annotator
from annotator.errors import DoccanoError, LocalServerError
from annotator.model import Example
from annotator.paths import HOME_ENV, LocalDoccanoPaths
from annotator.rules import load_pack
from annotator.rules.model import LabelSpec
from tests.conftest import SHARED_VENV, delete_project
from tests.ports import free_port
from tests.postgres import PostgresServer, running_postgres, unavailable_reason
from tests.test_gold_loop import GOLD, PACK, Annotators

pytestmark = [pytest.mark.doccano, pytest.mark.slow]

DB_NAME = "doccano"
DB_USER = "doccano"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def db_password(postgres: PostgresServer) -> str:
    password = secrets.token_urlsafe(18)
    postgres.create_database(DB_NAME, DB_USER, password)
    return password


@pytest.fixture(scope="module")
def pg_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pg-home")


@pytest.fixture(scope="module")
def pg_doccano(postgres: PostgresServer, db_password: str, pg_home: Path) -> Iterator[LocalDoccano]:
    """A doccano of its own home whose data live in the test PostgreSQL (password from PGPASSWORD)."""
    paths = LocalDoccanoPaths(pg_home / "doccano", shared_venv=SHARED_VENV)
    database = parse_database(postgres.url(DB_USER, DB_NAME))
    server = LocalDoccano(paths, port=free_port(), database=database)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PGPASSWORD", db_password)
        server.up()
    try:
        yield server
    finally:
        server.down()


@pytest.fixture(scope="module")
def pg_admin(pg_doccano: LocalDoccano) -> Doccano:
    return Doccano(pg_doccano.credentials())


def test_status_names_the_postgresql_database_and_no_file_or_argument_holds_its_password(
    pg_doccano: LocalDoccano,
    postgres: PostgresServer,
    db_password: str,
    pg_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = postgres.url(DB_USER, DB_NAME)
    status = pg_doccano.status()
    assert status.running and status.healthy
    assert status.database == f"PostgreSQL {url}"
    monkeypatch.setenv(HOME_ENV, str(pg_home))
    assert main(["doccano", "status"]) == 0
    shown = capsys.readouterr().out
    assert f"PostgreSQL {url}" in shown and db_password not in shown
    for path in pg_home.rglob("*"):
        if path.is_file():
            assert db_password.encode() not in path.read_bytes(), path
    for pid in status.pids:
        process = psutil.Process(pid)
        for member in [process, *process.children(recursive=True)]:
            assert not any(db_password in part for part in member.cmdline())
    assert not (pg_doccano.paths.data / "db.sqlite3").exists()
    # doccano's tables and its Celery broker's queue are in PostgreSQL
    tables = postgres.psql(
        "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
        "WHERE table_name IN ('auth_user', 'examples_example', 'kombu_queue', 'kombu_message')",
        database=DB_NAME,
    )
    assert tables == "auth_user,examples_example,kombu_message,kombu_queue"
    assert postgres.psql("SELECT username FROM auth_user WHERE is_superuser", database=DB_NAME) == "admin"


def test_the_gold_loop_on_postgresql_exports_the_exact_gold_and_its_rows_are_in_postgresql(
    pg_doccano: LocalDoccano,
    pg_admin: Doccano,
    postgres: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    credentials = pg_doccano.credentials()
    monkeypatch.setenv("DOCCANO_URL", credentials.url)
    monkeypatch.setenv("DOCCANO_USERNAME", credentials.username)
    monkeypatch.setenv("DOCCANO_PASSWORD", credentials.password)
    project_name = f"gold-on-postgresql-{uuid.uuid4().hex[:8]}"
    gold = list(read_corpus([GOLD]))
    annotator = Annotator(load_pack(PACK))
    pre_file = tmp_path / "pre.jsonl"
    with PreAnnotationWriter(pre_file) as writer:
        for example in gold:
            writer.write(annotator.annotate_example(Example(example.id, example.text)))
    assert main(["push", str(pre_file), "--project", project_name, "--rules", str(PACK)]) == 0

    project = pg_admin.project(project_name)
    people = Annotators(pg_admin, project)
    ids = {raw["meta"]["annotator_id"]: raw["id"] for raw in pg_admin.examples(project.id)}
    for example in gold:
        people.correct(ids[example.id], example.text, list(example.spans))
    out = tmp_path / "export"
    assert main(["export", "--project", project_name, "-o", str(out)]) == 0
    assert (out / "gold.jsonl").read_text(encoding="utf-8") == GOLD.read_text(encoding="utf-8")

    counts = postgres.psql(
        "SELECT (SELECT count(*) FROM examples_example WHERE project_id = p.id), "
        "(SELECT count(*) FROM examples_examplestate s JOIN examples_example e ON s.example_id = e.id "
        " WHERE e.project_id = p.id), "
        "(SELECT count(*) FROM labels_span l JOIN examples_example e ON l.example_id = e.id "
        " WHERE e.project_id = p.id) "
        f"FROM projects_project p WHERE p.name = '{project_name}'",
        database=DB_NAME,
    )
    assert counts == "11|11|69"  # examples, confirmations, corrected spans
    assert not (pg_doccano.paths.data / "db.sqlite3").exists()


def test_up_on_another_database_while_it_runs_on_postgresql_is_refused(pg_doccano: LocalDoccano) -> None:
    other = LocalDoccano(pg_doccano.paths, port=pg_doccano.port, database=DoccanoDatabase())
    with pytest.raises(LocalServerError, match=r"runs on PostgreSQL .* not on SQLite") as refused:
        other.up()
    assert "annotator doccano down" in str(refused.value)
    assert pg_doccano.status().running


def test_a_wrong_database_password_fails_fast_with_libpq_s_message(
    postgres: PostgresServer,
    db_password: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    monkeypatch.setenv("PGPASSWORD", "not-" + db_password)
    began = time.monotonic()
    code = main(["doccano", "up", "--port", str(free_port()), "--database", postgres.url(DB_USER, DB_NAME)])
    err = capsys.readouterr().err
    assert code == 5
    assert "password authentication failed" in err and "PGPASSWORD" in err
    assert db_password not in err
    assert time.monotonic() - began < 120
    assert LocalDoccano(LocalDoccanoPaths(tmp_path / "home" / "doccano")).status().pids == ()


# -- a team at work: 4 annotators confirm and edit at the same time, SQLite against PostgreSQL ----

TEAM = 4
PER_ANNOTATOR = 25
LABELS = (LabelSpec("LOC", "#3cb44b"), LabelSpec("PER", "#e6194b"), LabelSpec("ORG", "#4363d8"))
FIRST, SECOND = "ليبيا", "تونس"


def _team_work(admin: Doccano, project_name: str, log: Path) -> dict[str, float]:
    """Push 100 examples; then 4 annotators, at the same time, each on their own 25 examples: add two
    spans, relabel one, confirm. Check that every write landed; return the run's figures."""
    examples = [Example(f"team-{n}", f"{FIRST} {SECOND} نص رقم {n}") for n in range(TEAM * PER_ANNOTATOR)]
    push(admin, examples, project_name, labels=LABELS)
    project = admin.project(project_name)
    ids = [
        raw["id"] for raw in sorted(admin.examples(project.id), key=lambda raw: raw["meta"]["annotator_id"])
    ]
    labels = {label.text: label.id for label in admin.client.list_label_types(project.id, "span")}
    people = []
    for number in range(TEAM):
        name = f"team{number}-{uuid.uuid4().hex[:6]}"
        add_user(admin, name, project=project_name, role="annotator")
        people.append(Doccano(read_account(admin.url, name), retries=0))
    offset = log.stat().st_size
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(TEAM)

    def write(who: Doccano, action: str, method: str, resource: str, body: dict) -> dict | None:
        began = time.perf_counter()
        try:
            response = who.call(action, getattr(who._http, method), resource, json=body)
            return response.json()
        except DoccanoError as error:
            with lock:
                failures.append(str(error))
            return None
        finally:
            with lock:
                latencies.append(time.perf_counter() - began)

    def annotate(number: int) -> None:
        who = people[number]
        start.wait()
        for example_id in ids[number::TEAM]:
            base = f"projects/{project.id}/examples/{example_id}"
            first = {"start_offset": 0, "end_offset": len(FIRST), "label": labels["LOC"]}
            write(who, "add a span", "post", f"{base}/spans", first)
            second_start = len(FIRST) + 1
            second = {
                "start_offset": second_start,
                "end_offset": second_start + len(SECOND),
                "label": labels["PER"],
            }
            made = write(who, "add a span", "post", f"{base}/spans", second)
            if made is not None:
                edited = {
                    **second,
                    "id": made["id"],
                    "example": example_id,
                    "label": labels["ORG"],
                    "prob": 0.0,
                }
                write(who, "edit a span", "put", f"{base}/spans/{made['id']}", edited)
            write(who, "confirm", "post", f"{base}/states", {})

    began = time.perf_counter()
    with ThreadPoolExecutor(TEAM) as pool:
        list(pool.map(annotate, range(TEAM)))
    seconds = time.perf_counter() - began
    locked = log.read_bytes()[offset:].count(b"database is locked")

    landed = 0
    expected = [(0, len(FIRST), labels["LOC"]), (len(FIRST) + 1, len(FIRST) + 1 + len(SECOND), labels["ORG"])]
    for example_id in ids:
        spans = sorted(
            (s["start_offset"], s["end_offset"], s["label"]) for s in admin.spans(project.id, example_id)
        )
        landed += spans == expected
    confirmed = sum(1 for _ in admin.examples(project.id, confirmed=True))
    ordered = sorted(latencies)
    return {
        "writes": len(latencies),
        "failed": len(failures),
        "database_is_locked": locked,
        "seconds": round(seconds, 2),
        "writes_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
        "examples_fully_written": landed,
        "confirmed": confirmed,
        "first_failure": failures[0] if failures else "",
    }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_four_annotators_writing_at_once_lose_no_write(
    backend: str, request: pytest.FixtureRequest, record_property: pytest.RecordProperty
) -> None:
    if backend == "sqlite":
        server: LocalDoccano = request.getfixturevalue("local_doccano")
        admin: Doccano = request.getfixturevalue("doccano_admin")
    else:
        server = request.getfixturevalue("pg_doccano")
        admin = request.getfixturevalue("pg_admin")
    project_name = f"team-{backend}-{uuid.uuid4().hex[:8]}"
    try:
        figures = _team_work(admin, project_name, server.paths.webserver_log)
    finally:
        delete_project(admin, project_name)
    record_property("team_figures", json.dumps(figures))
    print(f"\n{backend}: {json.dumps(figures, ensure_ascii=False)}")
    total = TEAM * PER_ANNOTATOR
    assert figures["writes"] == total * 4
    assert figures["failed"] == 0, figures["first_failure"]
    assert figures["examples_fully_written"] == total and figures["confirmed"] == total
    if backend == "postgresql":
        assert figures["database_is_locked"] == 0


def test_a_pg_dump_taken_while_doccano_runs_restores_every_row(
    pg_doccano: LocalDoccano, pg_admin: Doccano, postgres: PostgresServer, tmp_path: Path
) -> None:
    gold = list(read_corpus([GOLD]))
    push(pg_admin, gold, f"backup-{uuid.uuid4().hex[:8]}", labels=(*LABELS, LabelSpec("DATE", "#f58231")))
    dump = tmp_path / "doccano.dump"
    postgres.tool("pg_dump", "--format=custom", f"--file={dump}", DB_NAME)  # the server keeps running
    postgres.psql(f"CREATE DATABASE restored OWNER {DB_USER}")
    postgres.tool("pg_restore", "--dbname=restored", "--exit-on-error", str(dump))
    count = (
        "SELECT (SELECT count(*) FROM auth_user), (SELECT count(*) FROM projects_project), "
        "(SELECT count(*) FROM examples_example), (SELECT count(*) FROM labels_span), "
        "(SELECT count(*) FROM examples_examplestate)"
    )
    original = postgres.psql(count, database=DB_NAME)
    assert postgres.psql(count, database="restored") == original
    assert int(original.split("|")[3]) >= 69  # the gold's spans at least
    assert pg_doccano.status().healthy


def test_when_postgresql_goes_away_doccano_says_so_and_works_again_once_it_is_back(
    pg_doccano: LocalDoccano,
    postgres: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    credentials = pg_doccano.credentials()
    monkeypatch.setenv("DOCCANO_URL", credentials.url)
    monkeypatch.setenv("DOCCANO_USERNAME", credentials.username)
    monkeypatch.setenv("DOCCANO_PASSWORD", credentials.password)
    pre_file = tmp_path / "pre.jsonl"
    with PreAnnotationWriter(pre_file) as writer:
        for example in list(read_corpus([GOLD]))[:3]:
            writer.write(example)
    project = f"outage-{uuid.uuid4().hex[:8]}"
    assert main(["push", str(pre_file), "--project", project]) == 0  # every process holds a connection
    postgres.stop()
    postgres.start()
    # a restart no request saw: each web worker and the Celery worker replace their dead connection
    # (without Django's connection health checks, the first request of each process failed)
    for attempt in range(3):  # a new project first: its import is a task of the Celery worker
        assert main(["push", str(pre_file), "--project", f"{project}-b"]) == 0, (
            attempt,
            capsys.readouterr().err,
        )
    postgres.stop()
    try:
        status = pg_doccano.status()
        assert status.running and not status.healthy
        code = main(["push", str(pre_file), "--project", project])
        err = capsys.readouterr().err
        with capsys.disabled():
            print(f"\npush while PostgreSQL is down: exit {code}: {err.strip()}")
        assert code == 5  # the server failed; not "refused the credentials" (exit 6)
        assert "(HTTP 500)" in err and "refused" not in err
    finally:
        postgres.start()
    assert main(["push", str(pre_file), "--project", f"{project}-c"]) == 0, capsys.readouterr().err
    assert pg_doccano.status().healthy
    capsys.readouterr()
