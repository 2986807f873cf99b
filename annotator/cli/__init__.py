"""The command line: the only layer that parses arguments, prints, and picks exit codes.

Each command group lives in its own module and registers itself on ``app``; library code raises
typed errors (``annotator.errors``) and ``main`` turns them into one message on stderr and the
error's exit code.
"""

from __future__ import annotations

import sys

from rich.markup import escape

from annotator.cli.app import app, console_err
from annotator.errors import AnnotatorError

# Importing the command modules registers their commands on ``app``.
from annotator.cli import annotate_cmd as _annotate_cmd  # noqa: F401  isort: skip
from annotator.cli import rules_cmd as _rules_cmd  # noqa: F401  isort: skip
from annotator.cli import doccano_cmd as _doccano_cmd  # noqa: F401  isort: skip


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``annotator`` console script."""
    try:
        app(args=argv, prog_name="annotator", standalone_mode=False)
    except AnnotatorError as error:
        console_err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        return error.exit_code
    except KeyboardInterrupt:
        console_err.print("interrupted")
        return 130
    except SystemExit as exit_:  # typer/click exit with their own codes (usage errors: 2)
        return int(exit_.code or 0)
    except Exception as click_error:  # click's usage errors arrive here in non-standalone mode
        import click

        if isinstance(click_error, click.exceptions.ClickException):
            click_error.show()
            return click_error.exit_code
        if isinstance(click_error, click.exceptions.Abort):
            console_err.print("aborted")
            return 1
        raise
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
