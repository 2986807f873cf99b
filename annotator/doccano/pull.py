"""Pull a project's examples back out of doccano through its export (never the 5-per-page listing)."""

from __future__ import annotations

from dataclasses import replace

from annotator.doccano.connection import Doccano
from annotator.doccano.records import PulledExample, from_export_record


def pull(doccano: Doccano, project_name: str, *, only_confirmed: bool = True) -> list[PulledExample]:
    """Every (confirmed) example of the project, text and spans back on original offsets.

    A collaborative project exports one file; otherwise doccano writes one file per annotator, and
    the spans of the same example are merged here.
    """
    project = doccano.project(project_name)
    merged: dict[int, PulledExample] = {}
    for raw in doccano.export(project.id, only_confirmed):
        item = from_export_record(raw)
        known = merged.get(item.doccano_id)
        if known is None:
            merged[item.doccano_id] = item
            continue
        spans = tuple(sorted(set(known.example.spans) | set(item.example.spans)))
        merged[item.doccano_id] = replace(known, example=replace(known.example, spans=spans))
    return sorted(merged.values(), key=lambda item: item.doccano_id)
