"""The documentation names everything a user can type: every command and option of the CLI in
README.md, every key of a rule pack and every rule kind in rules/README.md. Each missing name is
a test of its own, so a failure says exactly what to document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from annotator.cli import load_commands
from annotator.cli.app import app
from annotator.rules.loading import keys as pack_keys
from annotator.rules.model import RuleKind

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
RULES_README = (ROOT / "rules" / "README.md").read_text(encoding="utf-8")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(``"doccano user add"``, command) for every command and group under ``command``.

    Typer builds on its own copy of click, so a group is recognised by its ``commands``."""
    if path:
        yield " ".join(path), command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not getattr(sub, "hidden", False):
            yield from _commands(sub, (*path, name))


def _cli() -> Any:
    load_commands(None)  # commands register lazily: load every module, not only the one run
    return typer.main.get_command(app)


COMMANDS = dict(_commands(_cli()))
OPTIONS = sorted(
    (name, option)
    for name, command in [("", _cli()), *COMMANDS.items()]
    for param in command.params
    if not getattr(param, "hidden", False)
    for option in param.opts
    if option.startswith("--")
)


@pytest.mark.parametrize("name", sorted(COMMANDS), ids=lambda name: f"annotator {name}")
def test_every_command_is_in_the_readme(name: str) -> None:
    as_run = f"annotator {name}" in README
    as_heading = re.search(rf"^#+ .*`(?:annotator )?{re.escape(name)}\b", README, flags=re.MULTILINE)
    assert as_run or as_heading, f"README.md never shows `annotator {name}`"


@pytest.mark.parametrize(
    ("command", "option"), OPTIONS, ids=[f"{command} {option}".strip() for command, option in OPTIONS]
)
def test_every_option_is_in_the_readme(command: str, option: str) -> None:
    assert re.search(rf"{re.escape(option)}(?![\w-])", README), f"README.md never shows {option} ({command})"


def _pack_keys() -> list[tuple[str, str]]:
    """(where the key goes, key) for every key the pack loader accepts."""
    groups: dict[str, set[str]] = {
        "pack.yaml": pack_keys.PACK_KEYS,
        "a rule": pack_keys.COMMON_RULE_KEYS,
        "guard": pack_keys.GUARD_KEYS,
        "a profile": pack_keys.PROFILE_KEYS,
        "documents": pack_keys.DOCUMENT_KEYS,
        "a label": pack_keys.LABEL_KEYS,
        "a rule file": pack_keys.RULE_FILE_KEYS,
        "a term source": pack_keys.TERM_SOURCE_KEYS,
        "a macro": pack_keys.MACRO_SOURCE_KEYS,
    }
    for kind, keys in pack_keys.KIND_KEYS.items():
        groups[f"a {kind.value} rule"] = keys
    return sorted((where, key) for where, keys in groups.items() for key in keys)


PACK_KEYS = _pack_keys()


def _in_rules_readme(word: str) -> bool:
    """Shown as code (`word`) or as a YAML key (word:) in rules/README.md."""
    return bool(re.search(rf"`{re.escape(word)}`|(?<![\w.-]){re.escape(word)}:", RULES_README))


@pytest.mark.parametrize(("where", "key"), PACK_KEYS, ids=[f"{where}: {key}" for where, key in PACK_KEYS])
def test_every_pack_key_is_in_the_rules_readme(where: str, key: str) -> None:
    assert _in_rules_readme(key), f"rules/README.md never shows the key {key} of {where}"


@pytest.mark.parametrize("kind", [kind.value for kind in RuleKind])
def test_every_rule_kind_is_in_the_rules_readme(kind: str) -> None:
    assert f"**{kind}**" in RULES_README or f"kind: {kind}" in RULES_README, (
        f"rules/README.md does not describe the rule kind {kind}"
    )


def test_the_rules_readme_documents_profiles() -> None:
    assert re.search(r"^## Profiles$", RULES_README, flags=re.MULTILINE)


def _layout_table() -> str:
    start = README.index("## Layout")
    end = README.find("\n## ", start + 1)
    return README[start : end if end >= 0 else None]


MODULES = sorted(
    path.relative_to(ROOT).as_posix()
    for path in (ROOT / "annotator").rglob("*.py")
    if path.stem not in ("__init__", "__main__")
)


@pytest.mark.parametrize("module", MODULES)
def test_every_module_is_named_in_the_readme_layout(module: str) -> None:
    """The layout table is the map of the package: each module is named in it (a command module
    by the ``*_cmd`` pattern), so a new or moved module cannot leave the map stale."""
    table = _layout_table()
    path = Path(module)
    named = f"`{path.stem}`" in table or f"`{path.name}`" in table
    if path.stem.endswith("_cmd"):
        named = "`*_cmd`" in table
    assert named, f"{module} is not named in README.md's layout table"
