"""Run one part of the embedded doccano inside doccano's own virtual environment.

This file is executed, never imported, by ``annotator.doccano.local.launch`` with the doccano venv's
interpreter (``python -I -u doccano_launcher.py --data DIR --secret-file FILE COMMAND ...``);
it imports doccano's backend, which the annotator package cannot. It sets up the environment the
way doccano's own CLI does, with two differences that are the reason it exists:

- the web server binds to the host it is given (doccano's ``webserver`` binds to 0.0.0.0);
- the admin password arrives in the ``ANNOTATOR_DOCCANO_PASSWORD`` environment variable, never
  on a command line where ``ps`` would show it.

The database is SQLite in the data folder unless ``ANNOTATOR_DOCCANO_DATABASE`` holds another
``DATABASE_URL`` (PostgreSQL, without a password: libpq reads ``PGPASSWORD`` or ``~/.pgpass``).

Commands: ``init`` (database and roles), ``check-database`` (connect once),
``createuser --username U``, ``webserver --host H --port N --workers W``, ``worker --concurrency C``.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib.util import find_spec
from pathlib import Path

#: Must equal ``annotator.doccano.local.launch.PASSWORD_ENV`` (this file cannot import the annotator package).
PASSWORD_ENV = "ANNOTATOR_DOCCANO_PASSWORD"
#: Must equal ``annotator.doccano.local.launch.DATABASE_ENV``.
DATABASE_ENV = "ANNOTATOR_DOCCANO_DATABASE"
ADMIN_EMAIL = "admin@example.com"
#: how often the Celery worker looks for new tasks in the database queue
QUEUE_POLL_SECONDS = 0.1


def backend_dir() -> Path:
    """The folder of doccano's Django project (the ``backend`` package of the doccano wheel)."""
    spec = find_spec("backend")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("doccano is not installed for this interpreter (no 'backend' package)")
    return Path(next(iter(spec.submodule_search_locations)))


def read_secret_key(path: Path) -> str:
    """The Django secret key from the installation's 0600 ``KEY=value`` file."""
    for line in path.read_text(encoding="utf-8").splitlines():
        key, separator, value = line.partition("=")
        if separator and key.strip() == "SECRET_KEY" and value.strip():
            return value.strip()
    raise SystemExit(f"no SECRET_KEY in {path}")


def configure(data: Path, secret_file: Path, backend: Path, port: int | None) -> None:
    """Set doccano's settings environment (as its CLI does) and start Django."""
    data.mkdir(parents=True, exist_ok=True)
    os.environ["STANDALONE"] = "True"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    os.environ["DATABASE_URL"] = os.environ.pop(DATABASE_ENV, "") or f"sqlite:///{data / 'db.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(data / "media")
    os.environ["DEBUG"] = "False"
    os.environ["SECRET_KEY"] = read_secret_key(secret_file)
    if port is not None:
        os.environ["CSRF_TRUSTED_ORIGINS"] = f"http://127.0.0.1:{port},http://localhost:{port}"
    sys.path.insert(0, str(backend))

    import django
    from django.conf import settings

    # doccano keeps database connections open (CONN_MAX_AGE 500 s); after the database restarts,
    # each process's first request would fail on its dead connection. Django's health check at the
    # start of a request replaces a dead connection instead (set before any connection exists).
    settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The task queue lives in the same database (kombu's SQLAlchemy transport) and keeps its own
    # pool: test a pooled connection before use, so a restart of the database costs no task.
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"pool_pre_ping": True}
    treat_every_queue_database_error_as_connection_loss()
    django.setup()


def treat_every_queue_database_error_as_connection_loss() -> None:
    """Let Celery reconnect to the database queue after any database error, not only some.

    kombu's SQLAlchemy transport declares only ``OperationalError`` a connection error. When the
    database goes away, a poll can also fail with another error of the same outage (a closed
    connection's ``InterfaceError``, or a session that must be rolled back before it is used
    again): not a connection error for Celery, that error stopped the worker's consumer, and every
    later import waited for a task that nobody ran. A connection error instead makes Celery drop
    the channel (and its broken session) and poll again through a new one.
    """
    from kombu.transport.sqlalchemy import Transport
    from sqlalchemy.exc import SQLAlchemyError

    Transport.connection_errors = (SQLAlchemyError,)


def command_init(args: argparse.Namespace, backend: Path) -> None:
    """Create or migrate the database and create doccano's roles; safe to repeat."""
    from django.core import management

    management.call_command("wait_for_db")
    management.call_command("migrate", interactive=False)
    management.call_command("create_roles")
    declare_task_queue()


def declare_task_queue() -> None:
    """Create the task queue in the database broker now, before the servers start.

    On a fresh database the web server (its health check sends a task) and the worker both
    create the queue's row at start-up; the loser of that race gets a UNIQUE constraint error,
    and for the worker that error is fatal: ``up`` then failed now and then on a fresh install.
    """
    from config.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_declare(queue=app.conf.task_default_queue)


def command_check_database(args: argparse.Namespace, backend: Path) -> None:
    """Connect to the database once; exit 1 with the driver's message when that fails."""
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as error:
        raise SystemExit(f"cannot connect to the database: {str(error).strip()}") from None
    print(f"connected to the {connection.vendor} database {connection.settings_dict['NAME']}")


def command_createuser(args: argparse.Namespace, backend: Path) -> None:
    """Create the admin account (or reset its password) with the password from the environment."""
    password = os.environ.pop(PASSWORD_ENV, "")
    if not password:
        raise SystemExit(f"{PASSWORD_ENV} is not set: no password for the admin account")
    from django.core import management

    management.call_command(
        "create_admin", "--noinput", username=args.username, password=password, email=ADMIN_EMAIL
    )


def command_webserver(args: argparse.Namespace, backend: Path) -> None:
    """Serve doccano with gunicorn on ``host:port`` (doccano's own CLI hard-codes 0.0.0.0)."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.util import import_app

    class Application(BaseApplication):
        """A gunicorn application configured from a dict instead of the command line."""

        def __init__(self, options: dict[str, object]) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> object:
            return import_app("config.wsgi")

    options: dict[str, object] = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "chdir": str(backend),
        "capture_output": True,
        "loglevel": "info",
    }
    Application(options).run()


def command_worker(args: argparse.Namespace, backend: Path) -> None:
    """Run the Celery worker that executes doccano's imports and exports."""
    from config.celery import app
    from kombu.transport.sqlalchemy import Transport

    # kombu's database transport looks for new tasks once a second (its transport options go to
    # SQLAlchemy's create_engine, so the class attribute is the one place to change it); every
    # import chunk and every export waited half a second on average before it started, and a
    # SQLite query ten times a second costs next to nothing
    Transport.polling_interval = QUEUE_POLL_SECONDS
    app.worker_main(
        argv=[
            "--app=config",
            f"--workdir={backend}",
            "worker",
            "--loglevel=info",
            f"--concurrency={args.concurrency}",
        ]
    )


def build_parser() -> argparse.ArgumentParser:
    """The launcher's command line: paths and ports only, never a secret."""
    parser = argparse.ArgumentParser(description="Run one part of the embedded doccano.")
    parser.add_argument("--data", type=Path, required=True, help="database and media folder")
    parser.add_argument("--secret-file", type=Path, required=True, help="0600 file with SECRET_KEY=...")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init", help="create or migrate the database").set_defaults(handler=command_init)
    check = commands.add_parser("check-database", help="connect to the database once")
    check.set_defaults(handler=command_check_database)

    createuser = commands.add_parser("createuser", help=f"create the admin; password from ${PASSWORD_ENV}")
    createuser.add_argument("--username", required=True)
    createuser.set_defaults(handler=command_createuser)

    webserver = commands.add_parser("webserver", help="serve the web UI and API")
    webserver.add_argument("--host", default="127.0.0.1")
    webserver.add_argument("--port", type=int, required=True)
    webserver.add_argument("--workers", type=int, default=2)
    webserver.set_defaults(handler=command_webserver)

    worker = commands.add_parser("worker", help="run the Celery task worker")
    worker.add_argument("--concurrency", type=int, default=1)
    worker.set_defaults(handler=command_worker)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse the command, configure doccano and run the command's handler."""
    args = build_parser().parse_args(argv)
    backend = backend_dir()
    configure(args.data.resolve(), args.secret_file, backend, getattr(args, "port", None))
    args.handler(args, backend)


if __name__ == "__main__":
    main()
