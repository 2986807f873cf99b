"""``annotator doccano up|down|status``: the embedded local doccano on 127.0.0.1."""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from annotator.cli.app import app, console, console_err
from annotator.cli.push_cmd import URL_HELP
from annotator.doccano.accounts import ROLES, add_user, list_members, list_users
from annotator.doccano.connection import Doccano, resolve_credentials
from annotator.doccano.local.database import parse_database
from annotator.doccano.local.server import ADMIN_USERNAME, DEFAULT_PORT, LocalDoccano, ServerStatus

#: doccano's project roles, as a choice on the command line
Role = enum.Enum("Role", {name: name for name in ROLES}, type=str)  # type: ignore[misc]

doccano_app = typer.Typer(no_args_is_help=True, add_completion=False)
app.add_typer(
    doccano_app,
    name="doccano",
    help="The embedded local doccano (127.0.0.1 only, its own venv under ANNOTATOR_HOME): "
    "start, stop, check.",
)


Command = TypeVar("Command", bound=Callable[..., None])


def _command(name: str, group: typer.Typer = doccano_app) -> Callable[[Command], Command]:
    """Register a command whose help is its docstring with paragraphs unwrapped.

    Typer's rich help keeps the docstring's single line breaks; joining them lets the help
    flow to the terminal's width.
    """

    def register(function: Command) -> Command:
        paragraphs = inspect.cleandoc(function.__doc__ or "").split("\n\n")
        text = "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)
        group.command(name, help=text)(function)
        return function

    return register


def _step(message: str) -> None:
    console_err.print(f"[dim]…[/] {escape(message)}", highlight=False)


def _line(label: str, value: object) -> None:
    # soft_wrap: a long path stays on one line, so it can be copied
    console.print(f"  {label:<12} {escape(str(value))}", highlight=False, soft_wrap=True)


@_command("up")
def up(
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1 to serve doccano on.")
    ] = DEFAULT_PORT,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            metavar="URL",
            help="Keep doccano's data in PostgreSQL: postgresql://USER@HOST:PORT/DB, without a password "
            "(libpq reads PGPASSWORD or ~/.pgpass). Remembered for later runs; `sqlite` returns to the "
            "default, SQLite in ANNOTATOR_HOME.",
        ),
    ] = None,
) -> None:
    """Start the local doccano and wait until it answers healthy.

    The first run installs doccano into its own virtual environment (about 90 s), creates the
    database and an admin account with a random password. The password is stored only in a
    credentials file readable by you alone; this command prints that file's path, never the
    password. Running it again while the server is up changes nothing.

    With --database the data (and doccano's task queue) live in a PostgreSQL database instead of
    SQLite: for a team, and for backups with pg_dump while annotators work.
    """
    server = LocalDoccano(port=port, database=parse_database(database) if database is not None else None)
    info = server.up(on_step=_step)
    verb = "started" if info.started else "already running"
    console.print(f"doccano {verb} at {escape(info.url)}", highlight=False, soft_wrap=True)
    _line("database", server.database.describe(server.paths.data))
    _line("username", ADMIN_USERNAME)
    _line("password", f"in {info.credentials_path} (readable only by you)")
    _line("logs", server.paths.logs)
    _line("stop with", "annotator doccano down")


@_command("down")
def down() -> None:
    """Stop the local doccano: exactly the processes `annotator doccano up` started.

    Harmless when nothing runs. The database, the credentials and the venv are kept.
    """
    stopped = LocalDoccano().down(on_step=_step)
    if stopped:
        pids = ", ".join(str(pid) for pid in stopped)
        console.print(f"stopped the local doccano (processes {pids})", highlight=False, soft_wrap=True)
    else:
        console.print("the local doccano was not running")


@_command("status")
def status() -> None:
    """Show whether the local doccano runs and answers healthy, its URL, processes and files."""
    console.print(_status_table(LocalDoccano().status()))


def _status_table(state: ServerStatus) -> Table:
    table = Table(title="local doccano", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    if state.running:
        running = "[green]running[/]"
    else:
        running = "[yellow]partly running[/]" if state.pids else "stopped"
    table.add_row("state", running)
    if state.pids:
        table.add_row("healthy", "[green]yes[/]" if state.healthy else "[red]no[/]")
    table.add_row("url", escape(state.url))
    if state.database:
        table.add_row("database", escape(state.database))
    table.add_row("processes", ", ".join(str(pid) for pid in state.pids) or "-")
    table.add_row("credentials", escape(str(state.credentials_path)))
    table.add_row("logs", escape(str(state.log_dir)))
    if state.pids and not state.running:
        table.add_row("fix", "run `annotator doccano up` to restart it")
    return table


# --------------------------------------------------------------------------------------------
# accounts: doccano user add | list

user_app = typer.Typer(no_args_is_help=True, add_completion=False)
doccano_app.add_typer(
    user_app,
    name="user",
    help="Team accounts: create annotators and give them a role in a project; list accounts and members.",
)


@_command("add", user_app)
def user_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The account's user name.")],
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Make the account a member of this project.")
    ] = None,
    role: Annotated[Role, typer.Option("--role", help="The account's role in the project.")] = Role.annotator,
    show_password: Annotated[
        bool,
        typer.Option(
            "--show-password", help="Also print a new account's password (it is always in a 0600 file)."
        ),
    ] = False,
    url: Annotated[str | None, typer.Option("--url", help=URL_HELP)] = None,
) -> None:
    """Create an account (if it does not exist) and give it a role in a project.

    A new account gets a random password that doccano's login form accepts. The password is written
    to a file readable by you alone, whose path is printed; pass it on to the person privately. It
    is printed only with --show-password. Running the command again changes nothing, or only the
    role. Creating accounts needs the admin of the server (the embedded server's admin is one).
    """
    change, password = add_user(Doccano(resolve_credentials(url)), name, project=project, role=role.value)
    if change.created:
        console.print(f"created the account {escape(name)}", highlight=False)
    else:
        console.print(f"the account {escape(name)} already exists", highlight=False)
    if change.password_file is not None:
        what = "in" if change.created else "as this tool created it, in"
        _line("password", f"{what} {change.password_file} (readable only by you)")
    if password is not None and show_password:
        _line("password", password)
    if change.project is not None:
        if change.joined:
            state = f"joined as {change.role}"
        elif change.previous_role is not None:
            state = f"role changed from {change.previous_role} to {change.role}"
        else:
            state = f"already a member as {change.role}"
        _line("project", f'"{change.project}": {state}')


@_command("list", user_app)
def user_list(
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="List this project's members and their roles.")
    ] = None,
    url: Annotated[str | None, typer.Option("--url", help=URL_HELP)] = None,
) -> None:
    """List the server's accounts, or with --project the project's members and their roles."""
    doccano = Doccano(resolve_credentials(url))
    if project is not None:
        table = Table(title=f'members of "{escape(project)}"', title_justify="left")
        table.add_column("user")
        table.add_column("role")
        for member in list_members(doccano, project):
            table.add_row(escape(member.username), member.role)
    else:
        table = Table(title=f"accounts on {escape(doccano.url)}", title_justify="left")
        table.add_column("user")
        table.add_column("admin")
        for user in list_users(doccano):
            table.add_row(escape(user.username), "yes" if user.is_superuser or user.is_staff else "")
    console.print(table)
