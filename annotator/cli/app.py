"""The Typer application object and the consoles every command prints through."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="annotator",
    help="Arabic rule-based pre-annotation for doccano, and the gold corpus that comes back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _commands() -> None:
    # a callback keeps ``app`` a group of commands even when only the command being run is
    # registered (``cli.load_commands``): with a single command Typer would make it the root
    pass


#: results go to stdout, progress and errors to stderr
console = Console()
console_err = Console(stderr=True)
