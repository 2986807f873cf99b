"""BIO tags (``O``, ``B-LABEL``, ``I-LABEL``) back into character spans: one decoder for every reader
of token-tagged text (CoNLL corpora in ``corpus``, the export's own CoNLL read back in ``export``).
The encoder, which needs the export's tokens, is ``export.align.bio_tags``."""

from __future__ import annotations

from collections.abc import Iterable

from annotator.model import Span


def spans_from_bio(tokens: Iterable[tuple[int, int]], tags: Iterable[str]) -> list[Span]:
    """The spans that ``tags`` mark on tokens at character offsets ``(start, end)``, in order.

    An ``I-`` tag continues the entity before it only when that entity has the same label; after
    ``O`` or another label it starts a new entity, as ``B-`` does. Tags are taken as given (the
    caller checks their shape): anything but ``O`` is a two-character prefix and a label.
    """
    spans: list[Span] = []
    continues: str | None = None  # the label an I- tag may continue
    for (start, end), tag in zip(tokens, tags, strict=True):
        if tag == "O":
            continues = None
            continue
        prefix, label = tag[:2], tag[2:]
        if prefix == "I-" and continues == label:
            spans[-1] = Span(spans[-1].start, end, label)
        else:
            spans.append(Span(start, end, label))
            continues = label
    return spans
