"""How commands tell the user what reading their input met: skipped files, NUL bytes, empty files,
and a rule pack the pack cache could not serve."""

from __future__ import annotations

from rich.markup import escape

from annotator.cli.app import console_err
from annotator.corpus import CORPUS_SUFFIXES, ReadReport

#: skipped files named one by one; beyond this many they are counted
NAMED_FILES = 10


def skipped_files_line(report: ReadReport) -> str | None:
    """One sentence counting and naming the files of the input folders that were not read."""
    skipped = report.skipped_files
    if not skipped:
        return None
    names = ", ".join(str(path) for path in skipped[:NAMED_FILES])
    more = f" and {len(skipped) - NAMED_FILES:,} more" if len(skipped) > NAMED_FILES else ""
    noun = "file" if len(skipped) == 1 else "files"
    return (
        f"skipped {len(skipped):,} {noun} that are not corpus files "
        f"(not {', '.join(CORPUS_SUFFIXES)}): {names}{more}"
    )


def print_read_warnings(report: ReadReport) -> None:
    """Every warning of ``report`` on stderr, one line each."""
    lines = list(report.warnings)
    skipped = skipped_files_line(report)
    if skipped:
        lines.insert(0, skipped)
    for line in lines:
        console_err.print(f"[yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)
    if report.more_warnings:
        console_err.print(
            f"[yellow]warning:[/] ... and {report.more_warnings:,} more warnings", highlight=False
        )


def print_cache_note(note: str) -> None:
    """The warning that the pack cache was not used, and why (``CompiledPack.cache_note``)."""
    console_err.print(f"[yellow]warning:[/] pack cache not used: {escape(note)}")
