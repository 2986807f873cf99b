"""A doccano project exported as a gold corpus: what ``annotator export`` does, as a library call.

``export_project`` pulls the project's (confirmed) examples and hands them to ``export_pulled``,
which records where the corpus came from (project, server, the rule packs that pre-annotated it) in
the manifest's ``source`` and writes what the rules had pushed to ``pushed.jsonl`` beside the gold,
for ``annotator evaluate --effort``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from annotator.doccano.connection import Doccano, resolve_credentials
from annotator.doccano.pull import pull
from annotator.doccano.records import PulledExample
from annotator.errors import InputError, OutputError
from annotator.export.formats import FORMATS
from annotator.export.gold import ExportReport, export_gold
from annotator.model import Example


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """The formats asked for, in order; ``OutputError`` when one is unknown or none is given."""
    wanted = tuple(name.strip() for name in formats if name.strip())
    unknown = [name for name in wanted if name not in FORMATS] or ([] if wanted else ["(none)"])
    if unknown:
        raise OutputError(f"unknown export format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    return wanted


def export_pulled(
    pulled: list[PulledExample],
    folder: str | Path,
    *,
    project: str,
    url: str,
    only_confirmed: bool = True,
    label_set: Iterable[str] = (),
    formats: tuple[str, ...] = FORMATS,
    dev_share: float = 0.2,
    seed: int = 13,
) -> ExportReport:
    """Write the examples pulled from ``project`` as a gold corpus in ``folder``, with ``pushed.jsonl``.

    The manifest's ``source`` names the project, the server, whether only confirmed examples were
    taken and how many examples each rule pack pre-annotated. ``InputError`` when nothing was pulled.
    """
    if not pulled:
        which = "confirmed examples" if only_confirmed else "examples"
        raise InputError(
            f'project "{project}" has no {which}; nothing was written',
            hint="annotators confirm an example with the check mark in doccano; "
            "or export every example with --all",
        )
    source = {
        "project": project,
        "url": url,
        "only_confirmed": only_confirmed,
        "rule_packs": dict(Counter(item.pack for item in pulled if item.pack)),
    }
    return export_gold(
        [item.example for item in pulled],
        folder,
        formats=formats,
        dev_share=dev_share,
        seed=seed,
        source=source,
        label_set=label_set,
        pushed=[Example(item.example.id, item.example.text, item.pre, item.example.meta) for item in pulled],
    )


def export_project(
    url: str | None,
    project: str,
    folder: str | Path,
    *,
    only_confirmed: bool = True,
    formats: Iterable[str] = FORMATS,
    dev_share: float = 0.2,
    seed: int = 13,
) -> ExportReport:
    """Pull ``project`` from the doccano at ``url`` and write it as a verified gold corpus.

    ``url`` None means the environment's or the embedded server's (``resolve_credentials``). The
    formats are checked before doccano is asked for anything; see ``export_pulled`` for the rest.
    """
    wanted = check_formats(formats)
    doccano = Doccano(resolve_credentials(url))
    pulled = pull(doccano, project, only_confirmed=only_confirmed)
    label_set = doccano.label_types(doccano.project(project).id) if pulled else ()
    return export_pulled(
        pulled,
        folder,
        project=project,
        url=doccano.url,
        only_confirmed=only_confirmed,
        label_set=label_set,
        formats=wanted,
        dev_share=dev_share,
        seed=seed,
    )
