"""The train/dev split of a gold corpus: stable per example, and never an empty train set.

Each example goes to dev when a seeded hash of its id falls below the dev share, so an example
keeps its side in every later export of a growing project. With few examples the hash can put
every one on the same side; then, and only then, the examples are ranked by that hash and the
lowest ``round(n * share)`` (at least one, at most ``n - 1``) go to dev. One example always goes
to train. The report says which of these rules decided.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from annotator.errors import UsageError


def _score(example_id: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}:{example_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(example_id: str, dev_share: float, seed: int) -> str:
    """ "dev" or "train", from a hash of the id: an example keeps its split in every later export."""
    return "dev" if _score(example_id, seed) < dev_share else "train"


def check_share(dev_share: float) -> None:
    """Raise ``UsageError`` unless ``0 <= dev_share < 1`` (a share of 1 would leave train empty)."""
    if not (math.isfinite(dev_share) and 0 <= dev_share < 1):
        raise UsageError(f"the dev share must be at least 0 and less than 1, not {dev_share}")


@dataclass(frozen=True)
class Split:
    """Which side each example id is on, and one sentence on how that was decided."""

    sides: dict[str, str]
    how: str

    @property
    def counts(self) -> dict[str, int]:
        train = sum(1 for side in self.sides.values() if side == "train")
        return {"train": train, "dev": len(self.sides) - train}


def split_examples(ids: Sequence[str], dev_share: float, seed: int) -> Split:
    """Split ``ids`` into train and dev (see the module docstring)."""
    check_share(dev_share)
    scores = {example_id: _score(example_id, seed) for example_id in ids}
    sides = {example_id: ("dev" if score < dev_share else "train") for example_id, score in scores.items()}
    total = len(sides)
    dev = sum(1 for side in sides.values() if side == "dev")
    rule = f"by a hash of each id (seed {seed}, dev share {dev_share:g})"
    if total == 0:
        return Split(sides, "no examples")
    if dev_share == 0:
        return Split(sides, f"dev share 0: all {total} in train, dev is empty")
    if total == 1:
        return Split({key: "train" for key in sides}, "a single example: it is in train, dev is empty")
    if 0 < dev < total:
        return Split(sides, rule)
    wanted = min(max(round(total * dev_share), 1), total - 1)
    ranked = sorted(scores, key=lambda key: (scores[key], key))
    chosen = set(ranked[:wanted])
    sides = {key: ("dev" if key in chosen else "train") for key in sides}
    went = "dev" if dev == total else "train"
    return Split(
        sides,
        f"the hash put all {total} examples in {went}; with so few, the {wanted} with the lowest "
        f"hash (seed {seed}) went to dev and {total - wanted} to train",
    )
