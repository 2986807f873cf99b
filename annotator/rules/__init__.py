"""Rule packs: YAML rules and gazetteers loaded into frozen, validated objects."""

from annotator.rules.loader import load_pack, read_term_file
from annotator.rules.model import (
    LabelSpec,
    OverlapPolicy,
    Rule,
    RuleExample,
    RuleKind,
    RulePack,
)

__all__ = [
    "LabelSpec",
    "OverlapPolicy",
    "Rule",
    "RuleExample",
    "RuleKind",
    "RulePack",
    "load_pack",
    "read_term_file",
]
