"""The syntax of token-pattern rules: the ``stems`` token attribute and spaCy's pattern validation.

The rule language's ``WORD`` key compiles to ``{"_": {"stems": {"INTERSECTS": [...]}}}``; this module
defines that attribute on spaCy's blank Arabic pipeline and validates a rule's patterns with spaCy's
own ``Matcher`` validation. It belongs to the rules layer, so the pack loader can validate token
rules without importing the matchers; ``annotator.matchers.tokens`` runs the patterns.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from annotator.arabic import ARTICLE, FUSED_PROCLITICS, PROCLITICS, blank_arabic


def token_stems(text: str) -> list[str]:
    """The token and every reading of it with a proclitic removed."""
    stems = [text]
    for size in (1, 2):
        prefix = text[:size]
        rest = text[size:]
        if len(rest) < 2:
            continue
        if prefix in PROCLITICS:
            stems.append(rest)
        if prefix in FUSED_PROCLITICS and rest.startswith("ل"):
            stems.append(ARTICLE + rest[1:])
    return stems


@lru_cache(maxsize=1)
def token_nlp() -> Any:
    """The shared blank Arabic pipeline, with the ``stems`` token attribute the patterns may use."""
    from spacy.tokens import Token

    if not Token.has_extension("stems"):
        Token.set_extension("stems", getter=lambda token: token_stems(token.text))
    return blank_arabic()


def validate_token_patterns(patterns: list[list[dict]]) -> list[str]:
    """Messages for every invalid pattern (spaCy's own validation); empty if all are valid."""
    from spacy.errors import MatchPatternError
    from spacy.matcher import Matcher

    matcher = Matcher(token_nlp().vocab, validate=True)
    messages = []
    for index, pattern in enumerate(patterns):
        try:
            matcher.add(f"p{index}", [pattern])
        except MatchPatternError as error:
            messages.append(" ".join(str(error).split()))
        except (ValueError, TypeError, KeyError) as error:
            messages.append(str(error))
    return messages
