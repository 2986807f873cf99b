"""The report's figures, drawn with matplotlib and returned as inline SVG markup.

Figures are made with ``matplotlib.figure.Figure`` directly (no pyplot, no GUI backend, nothing
global changed) and saved as SVG with glyphs as paths (``svg.fonttype: path``: the page needs no
font), a fixed ``svg.hashsalt`` per figure (ids are the same from run to run and differ between the
figures of one page) and no date, so the same data always gives the same bytes. Rule ids and label
names are ASCII; no Arabic text is drawn in a figure.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from annotator.evaluation.effort import CLASSES, Effort
from annotator.evaluation.evaluate import Scores
from annotator.evaluation.intervals import Interval

#: colours of the effort classes (kept is good news, deleted bad, added is typing)
EFFORT_COLOURS = {
    "kept": "#3cb44b",
    "relabelled": "#f58231",
    "rebounded": "#ffe119",
    "rebounded_relabelled": "#911eb4",
    "deleted": "#e6194b",
    "added": "#4363d8",
}
EFFORT_NAMES = {"rebounded_relabelled": "rebounded + relabelled"}
METRIC_COLOURS = {"P": "#4363d8", "R": "#f58231", "F1": "#3cb44b"}
PALETTE = ("#4363d8", "#f58231", "#3cb44b", "#e6194b", "#911eb4", "#42d4f4", "#f032e6", "#9a6324")
_SUFFIX = re.compile(r"[\s_-]*(base|learned)$")
JUDGED = "#1f3a93"
FEW = "#9a9a9a"

_STYLE = {
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs on every machine
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
}
_XML_HEAD = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


@contextmanager
def _style(salt: str) -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context({**_STYLE, "svg.hashsalt": f"annotator-report-{salt}"}):
        yield


def _svg(figure: Any) -> str:
    """The figure as an ``<svg>`` element: no XML prolog, DOCTYPE or metadata block."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    markup = _METADATA.sub("", _XML_HEAD.sub("", buffer.getvalue(), count=1), count=1)
    return markup.strip()


def label_scores_svg(modes: Mapping[str, tuple[list[str], Mapping[str, Scores]]]) -> str:
    """Grouped P/R/F1 bars per label, one panel per mode (``{mode: (label order, scores)}``)."""
    from matplotlib.figure import Figure

    with _style("labels"):
        width = max(3.2, 0.7 * max(len(order) for order, _ in modes.values()) + 1.2)
        figure = Figure(figsize=(width * len(modes), 3.0))
        axes = figure.subplots(1, len(modes), squeeze=False)[0]
        for ax, (mode, (order, scores)) in zip(axes, modes.items(), strict=True):
            bar = 0.26
            for offset, (metric, colour) in enumerate(METRIC_COLOURS.items()):
                values = [_metric(scores[label], metric) for label in order]
                positions = [index + (offset - 1) * bar for index in range(len(order))]
                ax.bar(positions, values, width=bar, color=colour, label=metric, zorder=2)
            ax.set_xticks(range(len(order)), order)
            ax.set_ylim(0, 1.05)
            ax.set_title(mode)
            ax.grid(axis="x", visible=False)
        axes[0].set_ylabel("score")
        axes[-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(figure)


def _metric(scores: Scores, metric: str) -> float:
    return {"P": scores.precision, "R": scores.recall, "F1": scores.f1}[metric]


def rule_precision_svg(rows: Sequence[tuple[str, Interval]], min_hits: int) -> str:
    """Each rule's precision as a point with its 95% interval as an error bar, in the given order
    (top to bottom); rules with fewer than ``min_hits`` hits are hollow and grey."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    with _style("rules"):
        figure = Figure(figsize=(6.4, 0.9 + 0.24 * max(1, len(rows))))
        ax = figure.subplots()
        for position, (_, interval) in enumerate(rows):
            few = interval.trials < min_hits
            colour = FEW if few else JUDGED
            ax.errorbar(
                [interval.estimate],
                [position],
                xerr=[[interval.estimate - interval.low], [interval.high - interval.estimate]],
                fmt="o",
                color=colour,
                markerfacecolor="white" if few else colour,
                markersize=4.5,
                elinewidth=1.2,
                capsize=2.5,
                zorder=3,
            )
        ax.set_yticks(range(len(rows)), [f"{rule}  (n={interval.trials})" for rule, interval in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("precision, with its Wilson 95% interval")
        ax.grid(axis="y", visible=False)
        ax.legend(
            handles=[
                Line2D([], [], marker="o", color=JUDGED, label=f"{min_hits}+ hits"),
                Line2D([], [], marker="o", color=FEW, markerfacecolor="white", label=f"< {min_hits} hits"),
            ],
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncols=2,
            frameon=False,
        )
        return _svg(figure)


def effort_svg(efforts: Mapping[str, Effort]) -> str:
    """One horizontal stacked bar per batch: its pushed spans by class, then the spans added."""
    from matplotlib.figure import Figure

    names = list(efforts)
    with _style("effort"):
        figure = Figure(figsize=(6.4, 1.1 + 0.34 * len(names)))
        ax = figure.subplots()
        left = [0.0] * len(names)
        for name in (*CLASSES, "added"):
            values = [
                float(effort.added if name == "added" else effort.counts[name]) for effort in efforts.values()
            ]
            ax.barh(
                range(len(names)),
                values,
                left=left,
                height=0.6,
                color=EFFORT_COLOURS[name],
                label=EFFORT_NAMES.get(name, name),
                zorder=2,
            )
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(range(len(names)), names)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.set_xlabel("spans")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=3, frameon=False)
        return _svg(figure)


def lines_svg(
    rows: Sequence[Mapping[str, Any]], x: str, lines: Sequence[str], ylabel: str = "", salt: str = "lines"
) -> str:
    """Each column of ``lines`` as a line against column ``x``. A column ending in ``base`` is dashed
    and shares its colour with the column of the same stem ending in ``learned`` (``F1 base`` and
    ``F1 learned``)."""
    from matplotlib.figure import Figure

    stems: dict[str, str] = {}
    for column in lines:
        stems.setdefault(_SUFFIX.sub("", column), PALETTE[len(stems) % len(PALETTE)])
    with _style(salt):
        figure = Figure(figsize=(6.4, 3.0))
        ax = figure.subplots()
        ticks = [str(row.get(x, "")) for row in rows]
        for column in lines:
            points = [
                (index, float(row[column]))
                for index, row in enumerate(rows)
                if isinstance(row.get(column), int | float) and not isinstance(row.get(column), bool)
            ]
            if not points:
                continue
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker="o",
                markersize=3.5,
                linestyle="--" if column.endswith("base") else "-",
                color=stems[_SUFFIX.sub("", column)],
                label=column,
                zorder=2,
            )
        ax.set_xticks(range(len(rows)), ticks)
        ax.set_xlabel(x)
        if ylabel:
            ax.set_ylabel(ylabel)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(figure)
