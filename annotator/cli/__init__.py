"""The command line: the only layer that parses arguments, prints, and picks exit codes.

Each command group lives in its own module and registers itself on ``app``; library code raises
typed errors (``annotator.errors``) and ``main`` turns them into one message on stderr and the
error's exit code (documented in the README). Usage errors are click's: exit code 2.
"""

from __future__ import annotations

import functools
import importlib
import sys

import click
import typer
from rich.markup import escape

from annotator.cli.app import app, console_err
from annotator.errors import AnnotatorError

#: the module that registers each command on ``app``. Only the module of the command being run is
#: imported (``annotate`` need not load doccano's client, pydantic and requests, which took longer
#: than the rest of its start); help, or a name not listed here, imports them all.
COMMAND_MODULES = {
    "annotate": "annotator.cli.annotate_cmd",
    "rules": "annotator.cli.rules_cmd",
    "push": "annotator.cli.push_cmd",
    "export": "annotator.cli.export_cmd",
    "evaluate": "annotator.cli.evaluate_cmd",
    "learn": "annotator.cli.learn_cmd",
    "select": "annotator.cli.select_cmd",
    "doccano": "annotator.cli.doccano_cmd",
    "cache": "annotator.cli.cache_cmd",
}


def load_commands(argv: list[str] | None = None) -> None:
    """Register on ``app`` the command ``argv`` runs, or every command (``argv`` None or no command)."""
    first = next((arg for arg in argv or () if not arg.startswith("-")), None)
    names = [COMMAND_MODULES[first]] if first in COMMAND_MODULES else list(COMMAND_MODULES.values())
    for name in names:
        importlib.import_module(name)


@functools.cache
def _command(registered: tuple[int, int]) -> click.Command:
    """The click command tree, built once per set of registered commands (Typer rebuilds it on every
    call otherwise, about 20 ms, which a program or test that calls ``main`` many times pays each
    time). ``registered`` counts ``app``'s commands and groups: loading another command module
    changes it, and so builds a new tree."""
    return typer.main.get_command(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``annotator`` console script; returns the exit code."""
    load_commands(sys.argv[1:] if argv is None else argv)
    try:
        # standalone mode: click prints usage errors itself and exits with code 2
        _command((len(app.registered_commands), len(app.registered_groups)))(
            args=argv, prog_name="annotator", standalone_mode=True
        )
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except AnnotatorError as error:
        console_err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        return error.exit_code
    except KeyboardInterrupt:
        console_err.print("interrupted")
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
