"""``annotator doccano up|down|status``: the embedded local doccano on 127.0.0.1."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from annotator.cli.app import app, console, console_err
from annotator.server import ADMIN_USERNAME, DEFAULT_PORT, LocalDoccano, ServerStatus

doccano_app = typer.Typer(no_args_is_help=True, add_completion=False)
app.add_typer(
    doccano_app,
    name="doccano",
    help="The embedded local doccano (127.0.0.1 only, its own venv under ANNOTATOR_HOME): "
    "start, stop, check.",
)


Command = TypeVar("Command", bound=Callable[..., None])


def _command(name: str) -> Callable[[Command], Command]:
    """Register a command whose help is its docstring with paragraphs unwrapped.

    Typer's rich help keeps the docstring's single line breaks; joining them lets the help
    flow to the terminal's width.
    """

    def register(function: Command) -> Command:
        paragraphs = inspect.cleandoc(function.__doc__ or "").split("\n\n")
        text = "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)
        doccano_app.command(name, help=text)(function)
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
) -> None:
    """Start the local doccano and wait until it answers healthy.

    The first run installs doccano into its own virtual environment (about 90 s), creates the
    database and an admin account with a random password. The password is stored only in a
    credentials file readable by you alone; this command prints that file's path, never the
    password. Running it again while the server is up changes nothing.
    """
    server = LocalDoccano(port=port)
    info = server.up(on_step=_step)
    verb = "started" if info.started else "already running"
    console.print(f"doccano {verb} at {escape(info.url)}", highlight=False, soft_wrap=True)
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
    table.add_row("processes", ", ".join(str(pid) for pid in state.pids) or "-")
    table.add_row("credentials", escape(str(state.credentials_path)))
    table.add_row("logs", escape(str(state.log_dir)))
    if state.pids and not state.running:
        table.add_row("fix", "run `annotator doccano up` to restart it")
    return table
