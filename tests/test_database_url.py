"""``doccano up --database``: which URLs are accepted, and that a password never gets in."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import main
from annotator.doccano.local.database import DoccanoDatabase, parse_database, read_database, write_database
from annotator.errors import UsageError


def test_a_postgresql_url_without_password_is_accepted_and_shown_as_given() -> None:
    database = parse_database("postgresql://doccano@db.example.org:5433/annotations")
    assert database.is_postgresql
    assert (
        database.describe(Path("/data")) == "PostgreSQL postgresql://doccano@db.example.org:5433/annotations"
    )


def test_the_postgres_scheme_is_normalised_and_sslmode_defaults_to_libpq_s_prefer() -> None:
    database = parse_database("postgres://doccano@127.0.0.1/annotations")
    assert database.url == "postgresql://doccano@127.0.0.1/annotations"
    assert database.doccano_url(Path("/d")) == "postgresql://doccano@127.0.0.1/annotations?sslmode=prefer"


def test_an_sslmode_given_in_the_url_is_kept() -> None:
    database = parse_database("postgresql://u@h:5432/d?sslmode=verify-full&connect_timeout=5")
    assert database.doccano_url(Path("/d")) == "postgresql://u@h:5432/d?sslmode=verify-full&connect_timeout=5"


def test_sqlite_is_the_default_and_lives_in_the_data_folder() -> None:
    assert parse_database("sqlite") == DoccanoDatabase()
    assert DoccanoDatabase().doccano_url(Path("/data")) == "sqlite:////data/db.sqlite3"
    assert DoccanoDatabase().describe(Path("/data")) == "SQLite /data/db.sqlite3"


def test_a_url_with_a_password_is_refused_without_echoing_it() -> None:
    with pytest.raises(UsageError) as refused:
        parse_database("postgresql://doccano:s3cret-Pw@127.0.0.1:5432/doccano")
    assert "s3cret-Pw" not in str(refused.value)
    assert "PGPASSWORD" in str(refused.value) and ".pgpass" in str(refused.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mysql://u@h/d", "not a PostgreSQL URL"),
        ("mysql://u:hidden-pw@h/d", "not a PostgreSQL URL"),
        ("postgresql://127.0.0.1:5432/doccano", "needs a user and one database name"),
        ("postgresql://u@127.0.0.1:5432/", "needs a user and one database name"),
        ("postgresql://u@127.0.0.1:5432/a/b", "needs a user and one database name"),
        ("postgresql://u@127.0.0.1:port/d", "port is not a number"),
    ],
)
def test_urls_doccano_could_not_use_are_refused_with_the_reason(value: str, expected: str) -> None:
    with pytest.raises(UsageError, match=expected) as refused:
        parse_database(value)
    assert "hidden-pw" not in str(refused.value)


def test_the_recorded_choice_round_trips_and_holds_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "database.json"
    assert read_database(path) is None
    write_database(path, parse_database("postgresql://doccano@h:5432/d"))
    assert read_database(path) == DoccanoDatabase("postgresql://doccano@h:5432/d")
    write_database(path, DoccanoDatabase())
    assert read_database(path) == DoccanoDatabase()


def test_the_cli_refuses_a_password_in_the_url_with_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANNOTATOR_HOME", str(tmp_path))
    code = main(["doccano", "up", "--database", "postgresql://doccano:hunter2x@127.0.0.1/doccano"])
    err = capsys.readouterr().err
    assert code == 2
    assert "holds a password" in err and "hunter2x" not in err
    assert not (tmp_path / "doccano" / "database.json").exists()


def test_a_home_uses_sqlite_until_a_database_is_recorded_and_status_names_it(tmp_path: Path) -> None:
    from annotator.doccano.local.server import LocalDoccano
    from annotator.paths import LocalDoccanoPaths

    paths = LocalDoccanoPaths(tmp_path / "doccano")
    assert LocalDoccano(paths).status().database == f"SQLite {paths.data / 'db.sqlite3'}"
    write_database(paths.database_config, parse_database("postgresql://doccano@db:5432/annotations"))
    assert LocalDoccano(paths).status().database == "PostgreSQL postgresql://doccano@db:5432/annotations"
    asked = LocalDoccano(paths, database=DoccanoDatabase())
    assert asked.database == DoccanoDatabase()  # what `up --database sqlite` would switch to
