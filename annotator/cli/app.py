"""The Typer application object and the consoles every command prints through."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from annotator import __version__

app = typer.Typer(
    name="annotator",
    help="Arabic rule-based pre-annotation for doccano, and the gold corpus that comes back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


#: results go to stdout, progress and errors to stderr
console = Console()
console_err = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        console.print(f"annotator {__version__}", highlight=False)
        raise typer.Exit()


# the callback also keeps ``app`` a group of commands when only the command being run is registered
# (``cli.load_commands``): with a single command and no callback Typer would make it the root
@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Arabic rule-based pre-annotation for doccano, and the gold corpus that comes back."""
