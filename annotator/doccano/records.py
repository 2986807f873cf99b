"""The shape of an example inside doccano, both ways.

On import each line is ``{"text", "label": [[s, e, L], ...]}`` plus a FIXED set of flat meta keys
(doccano builds a table from all lines, so a key missing on one line would become NaN and fail the
import; structured values are therefore JSON strings):

- ``annotator_id``   the example's stable id (idempotent pushes, exports keyed by it)
- ``annotator_pre``  the spans as pushed, ``[[s, e, label, rule], ...]`` in doccano units: what
                     the rules said, to compare with the human correction later
- ``annotator_cr``   where ``\\r`` was removed from ``\\r\\n`` (to restore the original text)
- ``annotator_meta`` the example's own meta
- ``annotator_pack`` the rule pack that made the spans (``name@version``)

doccano exports meta keys at the top level of each line, next to ``id``, ``text``, ``label`` and
``Comments`` - which is why none of ours uses those names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from annotator.doccano.offsets import DoccanoText, OffsetCodec, OffsetError, decode_text, encode_text
from annotator.model import Example, Span

META_ID = "annotator_id"
META_PRE = "annotator_pre"
META_CR = "annotator_cr"
META_USER = "annotator_meta"
META_PACK = "annotator_pack"
META_KEYS = (META_ID, META_PRE, META_CR, META_USER, META_PACK)
DOCCANO_KEYS = ("id", "text", "label", "Comments")


def to_import_record(example: Example, pack: str) -> dict[str, Any]:
    """The doccano import line of a pre-annotated example."""
    stored = encode_text(example.text)
    codec = OffsetCodec(stored)
    labels = [[codec.to_doccano(s.start), codec.to_doccano(s.end), s.label] for s in example.spans]
    pre = [[*label, span.rule] for label, span in zip(labels, example.spans, strict=True)]
    return {
        "text": stored.text,
        "label": labels,
        META_ID: example.id,
        META_PRE: json.dumps(pre, ensure_ascii=False),
        META_CR: json.dumps(list(stored.removed_cr)) if stored.removed_cr else "",
        META_USER: json.dumps(dict(example.meta), ensure_ascii=False, sort_keys=True),
        META_PACK: pack,
    }


def label_key(labels: list[list[Any]]) -> list[tuple[int, int, str]]:
    """Labels as a sorted list, for comparing what is in doccano with what was pushed."""
    return sorted((int(s), int(e), str(label)) for s, e, label, *_ in labels)


@dataclass(frozen=True)
class PulledExample:
    """One example as doccano holds it, converted back to this tool's offsets and text."""

    doccano_id: int
    example: Example  # the original text and the CURRENT spans (human-corrected)
    pre: tuple[Span, ...] = ()  # the spans as pushed, with rule ids (empty if not pushed by us)
    pushed_labels: tuple[tuple[int, int, str], ...] = ()  # doccano units, as pushed
    current_labels: tuple[tuple[int, int, str], ...] = ()  # doccano units, now
    comments: tuple[Any, ...] = ()
    pack: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def touched(self) -> bool:
        """Did anyone change the spans we pushed, or comment? (Confirmation is checked apart.)"""
        return bool(self.comments) or self.current_labels != self.pushed_labels


def _span_from_doccano(codec: OffsetCodec, label: list[Any], where: str) -> Span:
    """A doccano span (``[start, end, label]``, or ``[..., rule]`` as pushed) on the original text.

    Raises ``OffsetError`` (a ``VerificationFailed``, exit code 7) naming the example and the span
    when the span cannot be mapped onto the text or is not a span at all.
    """
    start, end, name, *rest = label
    try:
        return Span(
            codec.from_doccano(start, is_end=False),
            codec.from_doccano(end, is_end=True),
            name,
            *rest[:1],
        )
    except (OffsetError, ValueError) as error:
        reason = error.message if isinstance(error, OffsetError) else str(error)
        raise OffsetError(
            f"{where}: span [{start}, {end}, {name}] cannot be mapped onto the text: {reason}",
            hint="fix or delete that span in doccano (it must not split a character), then export again",
        ) from error


def from_export_record(raw: dict[str, Any]) -> PulledExample:
    """Parse one line of doccano's JSONL export (meta keys at the top level)."""
    record = dict(raw)
    doccano_id = int(record.pop("id"))
    text = str(record.pop("text"))
    labels = record.pop("label", []) or []
    comments = tuple(record.pop("Comments", []) or [])
    removed_cr = json.loads(record.pop(META_CR, "") or "[]")
    stored = DoccanoText(text, tuple(int(p) for p in removed_cr))
    codec = OffsetCodec(stored)
    original = decode_text(stored)
    doc_id = record.get(META_ID)
    where = (
        f"example {doc_id} (doccano id {doccano_id})"
        if doc_id is not None
        else f"doccano example {doccano_id}"
    )
    spans = tuple(sorted(_span_from_doccano(codec, label[:3], where) for label in labels))
    pushed = json.loads(record.pop(META_PRE, "") or "[]")
    pre = tuple(sorted(_span_from_doccano(codec, label, f"{where}, as pushed") for label in pushed))
    doc_id = record.pop(META_ID, None)
    user_meta = record.pop(META_USER, "")
    meta = json.loads(user_meta) if user_meta else {}
    pack = str(record.pop(META_PACK, "") or "")
    if doc_id is None:  # an example that did not come from this tool: its other keys are its meta
        meta, record = record, {}
        doc_id = f"doccano-{doccano_id}"
    return PulledExample(
        doccano_id=doccano_id,
        example=Example(str(doc_id), original, spans, meta),
        pre=pre,
        pushed_labels=tuple(label_key(pushed)),
        current_labels=tuple(label_key(labels)),
        comments=comments,
        pack=pack,
        extra=record,
    )
