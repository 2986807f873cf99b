"""Rule packs: YAML rules and gazetteers loaded into frozen, validated objects, and their examples.

``model`` is the frozen pack, ``loader`` (with its parts in ``loading/`` and ``extends``,
``macros``, ``markup``, ``yaml_source`` and ``token_syntax``) reads and validates it, and
``examples`` checks a pack against the examples its rules carry. The matchers depend on this
package, never the reverse; the one import forward is ``examples``, which runs the engine on the
examples (see ``tests/test_layers.py``).

The loader (and YAML with it) is imported when first used, so that code which only needs the model
(an unpickled, compiled pack) does not pay for it.
"""

from __future__ import annotations

from typing import Any

from annotator.rules.model import (
    LabelSpec,
    OverlapPolicy,
    Rule,
    RuleExample,
    RuleKind,
    RulePack,
)

_FROM_LOADER = ("load_pack", "read_term_file", "select_profile")


def __getattr__(name: str) -> Any:
    if name in _FROM_LOADER:
        from annotator.rules import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LabelSpec",
    "OverlapPolicy",
    "Rule",
    "RuleExample",
    "RuleKind",
    "RulePack",
    "load_pack",
    "read_term_file",
    "select_profile",
]
