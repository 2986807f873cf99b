"""``annotator rules check``: validate rule packs and run the examples written in them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from annotator.cli.app import app, console
from annotator.cli.reading import print_cache_note
from annotator.pack_cache.check import check_pack

rules_app = typer.Typer(help="Validate and test rule packs.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("check")
def check(
    packs: Annotated[list[Path], typer.Argument(help="Rule pack folders (each holds a pack.yaml).")],
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Compile each pack afresh: neither read nor write the pack cache."),
    ] = False,
) -> None:
    """Validate each pack (every problem, with file, line and rule), run every rule's examples, and
    count what each rule tags in the pack's guard prose (pack.yaml "guard").

    Exit code 3: a pack is invalid; 8: a rule's examples did not produce the expected spans, or a
    rule tags more than the guard allows in prose without entities.
    """
    for path in packs:
        checked = check_pack(path, cache=not no_cache, on_cache_note=print_cache_note)
        pack = checked.pack
        kinds = checked.rules_per_kind
        table = Table(title=f"{pack.fingerprint}  ({path})", show_edge=False, show_header=False)
        table.add_column("what")
        table.add_column("value")
        table.add_row("labels", ", ".join(pack.label_names))
        table.add_row("rules", ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())))
        table.add_row("gazetteer terms", f"{checked.gazetteer_terms:,}")
        table.add_row("policies", f"clitics {pack.clitics.value}, overlap {pack.overlap.value}")
        table.add_row("examples", f"[green]{len(checked.examples)} passed[/]")
        if pack.guard is not None:
            guarded, tagged = checked.guard, checked.guard_spans
            worst = f", most by {guarded[0].rule} ({guarded[0].rate:.1f})" if guarded and tagged else ""
            table.add_row(
                "guard prose",
                f"[green]{tagged} spans[/] in {pack.guard.characters:,} characters "
                f"(at most {pack.guard.max_rate:g} per 10,000 per rule{worst})",
            )
        console.print(table)
