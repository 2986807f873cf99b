"""The command line: the only layer that parses arguments, prints, and picks exit codes.

Each command group lives in its own module and registers itself on ``app``; library code raises
typed errors (``annotator.errors``) and ``main`` turns them into one message on stderr and the
error's exit code (documented in the README). Usage errors are click's: exit code 2.
"""

from __future__ import annotations

import functools
import sys

import click
import typer
from rich.markup import escape

from annotator.cli.app import app, console_err
from annotator.errors import AnnotatorError

# Importing the command modules registers their commands on ``app``.
from annotator.cli import annotate_cmd as _annotate_cmd  # noqa: F401  isort: skip
from annotator.cli import rules_cmd as _rules_cmd  # noqa: F401  isort: skip
from annotator.cli import push_cmd as _push_cmd  # noqa: F401  isort: skip
from annotator.cli import export_cmd as _export_cmd  # noqa: F401  isort: skip
from annotator.cli import evaluate_cmd as _evaluate_cmd  # noqa: F401  isort: skip
from annotator.cli import doccano_cmd as _doccano_cmd  # noqa: F401  isort: skip


@functools.cache
def _command() -> click.Command:
    """The click command tree, built once per process (Typer rebuilds it on every call otherwise,
    about 20 ms, which a program or test that calls ``main`` many times pays each time)."""
    return typer.main.get_command(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``annotator`` console script; returns the exit code."""
    try:
        # standalone mode: click prints usage errors itself and exits with code 2
        _command()(args=argv, prog_name="annotator", standalone_mode=True)
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
