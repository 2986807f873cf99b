"""Build small rule packs in a temporary folder for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from annotator.engine import Annotator
from annotator.rules import RulePack, load_pack

DEFAULT_HEADER = """\
name: test
version: "1"
labels:
  PER: {colour: "#e6194b"}
  LOC: {colour: "#3cb44b"}
  ORG: {colour: "#4363d8"}
  DATE: {colour: "#f58231"}
"""


def write_pack(root: Path, files: dict[str, str], header: str = DEFAULT_HEADER) -> Path:
    """Write ``pack.yaml`` (unless given) and ``files`` (dedented) under ``root``; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    if "pack.yaml" not in files:
        (root / "pack.yaml").write_text(header, encoding="utf-8")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def pack_of(root: Path, rules_yaml: str, header: str = DEFAULT_HEADER, **extra: str) -> RulePack:
    return load_pack(write_pack(root, {"rules.yaml": rules_yaml, **extra}, header))


def gazetteer(
    root: Path, *terms: str, label: str = "LOC", clitics: str | None = None, header: str = DEFAULT_HEADER
) -> Annotator:
    """An annotator with one gazetteer rule ``g`` over ``terms``."""
    policy = f"\n    clitics: {clitics}" if clitics else ""
    listed = ", ".join(terms)
    rules = f"rules:\n  - id: g\n    kind: gazetteer\n    label: {label}\n    terms: [{listed}]{policy}\n"
    return Annotator(pack_of(root, rules, header))


def surfaces(annotator: Annotator, text: str) -> list[str]:
    return [text[span.start : span.end] for span in annotator.annotate(text)]
