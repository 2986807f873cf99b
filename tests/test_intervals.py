"""The Wilson score interval of a rule's precision."""

from __future__ import annotations

import pytest

from annotator.evaluation.intervals import wilson


def test_wilson_matches_the_published_interval_for_a_small_sample() -> None:
    # 81 of 263 at 95%: 0.2553 .. 0.3662 (the worked example of Wilson's interval in Newcombe 1998)
    interval = wilson(81, 263)
    assert interval.low == pytest.approx(0.2553, abs=5e-4)
    assert interval.high == pytest.approx(0.3662, abs=5e-4)


def test_wilson_stays_inside_zero_and_one_at_the_extremes() -> None:
    none_right, all_right = wilson(0, 10), wilson(10, 10)
    assert none_right.low == 0.0 and 0.25 < none_right.high < 0.32
    assert all_right.high == 1.0 and 0.68 < all_right.low < 0.75


def test_wilson_narrows_as_evidence_grows_and_is_unbounded_without_any() -> None:
    assert wilson(0, 0).width == 1.0
    assert wilson(8, 10).width > wilson(80, 100).width > wilson(800, 1000).width


def test_wilson_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson(5, 3)
