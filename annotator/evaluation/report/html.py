"""The evaluation report: one self-contained HTML page with tables, plots and errors in context.

Everything the page shows is inside the file: the styles are inline, the plots inline SVG with
their glyphs as paths, no script, no font, no image file; a Content-Security-Policy forbids any
load besides. Arabic text (the errors in context, surfaces) sits in blocks marked
``dir="rtl" lang="ar"``; the rest of the page is English, left to right. Nothing in the page
depends on the time or the machine: the same inputs give the same bytes.

Why one module of about 410 lines: one function per section of the page, each small, sharing the
escaping, table and figure helpers; the plots themselves are in ``report.plots``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.atomic import AtomicFile
from annotator.evaluation.effort import CLASSES, Effort
from annotator.evaluation.evaluate import Evaluation, Scores
from annotator.evaluation.intervals import Interval, wilson
from annotator.evaluation.report import plots
from annotator.evaluation.report.context import FrequentError, frequent_errors, highlight
from annotator.rules.model import DEFAULT_COLOURS

#: a rule with fewer hits than this is shown as "too few hits to judge"
MIN_HITS = 10
#: how many misses and false positives are shown in context
TOP = 10
#: the order modes are shown in: tolerant first, it is what the rules are judged by
MODE_ORDER = ("tolerant", "strict")

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_CSS = """
body { font-family: "DejaVu Sans", "Noto Sans", "Noto Naskh Arabic", Arial, sans-serif;
       margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.9rem; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid #e3e3e3; text-align: left; }
th { background: #f3f3f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; }
tr.few td { color: #777; }
figure { margin: 0.8rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption, .note { color: #555; font-size: 0.85rem; }
dl.sources { display: grid; grid-template-columns: max-content auto; gap: 0.15rem 1rem; }
dl.sources dt { font-weight: bold; }
dl.sources dd { margin: 0; font-family: "DejaVu Sans Mono", monospace; font-size: 0.85rem; }
ol.errors { padding-left: 1.5rem; }
ol.errors li { margin-bottom: 1.2rem; }
.what { font-size: 0.85rem; color: #444; }
.surface { font-size: 1.05rem; font-weight: bold; }
.snippet { font-size: 1.15rem; border: 1px solid #e3e3e3; border-radius: 0.3rem; padding: 0.1rem 0.8rem;
           background: #fcfcfc; }
nav a { margin-right: 1rem; }
"""


@dataclass(frozen=True)
class Table:
    """A generic section: ``rows`` (mappings) shown under ``columns``, optionally also plotted.

    ``columns`` defaults to the keys of the first row. When ``x`` and ``lines`` are given, each
    column of ``lines`` is drawn as a line against column ``x`` above the table. Numbers are
    shown with 3 decimals (floats) or as they are; any other value as text (Arabic included:
    the cells take their direction from their content)."""

    title: str
    rows: Sequence[Mapping[str, Any]]
    columns: Sequence[str] = ()
    note: str = ""
    x: str | None = None
    lines: Sequence[str] = ()
    ylabel: str = ""

    @property
    def shown_columns(self) -> list[str]:
        if self.columns:
            return list(self.columns)
        return list(self.rows[0]) if self.rows else []


def loop_table(rows: Sequence[Mapping[str, Any]] | Table) -> Table:
    """The simulated or real loop, batch by batch: every numeric column drawn against ``batch``
    (else the first column). Pass a ``Table`` to choose the columns and lines yourself."""
    if isinstance(rows, Table):
        return rows
    table = Table("The loop, batch by batch", rows)
    columns = table.shown_columns
    if not columns:
        return table
    x = "batch" if "batch" in columns else columns[0]
    lines = [column for column in columns if column != x and _numeric_column(rows, column)]
    return Table(
        table.title,
        rows,
        x=x,
        lines=lines,
        ylabel="share / score",
        note="Dashed lines: the base pack; solid lines of the same colour: the learned pack.",
    )


def decisions_table(rows: Sequence[Mapping[str, Any]] | Table) -> Table:
    """Rule decisions (one mapping per rule) as a table."""
    return rows if isinstance(rows, Table) else Table("Rule decisions", rows)


def _numeric_column(rows: Sequence[Mapping[str, Any]], column: str) -> bool:
    values = [row.get(column) for row in rows if row.get(column) is not None]
    return bool(values) and all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in values
    )


def label_colours_for(labels: Sequence[str], colours: Mapping[str, str] | None = None) -> dict[str, str]:
    """``colours`` (a pack's label colours) for the labels it has; the others get the rule loader's
    default colours, in label order, skipping those the pack already uses."""
    result = dict(colours or {})
    taken = {colour.lower() for colour in result.values()}
    free = [colour for colour in DEFAULT_COLOURS if colour not in taken] or list(DEFAULT_COLOURS)
    missing = sorted(label for label in set(labels) if label not in result)
    for index, label in enumerate(missing):
        result[label] = free[index % len(free)]
    return result


def render_report(
    evaluation: Evaluation | None = None,
    *,
    title: str = "annotator evaluation",
    sources: Mapping[str, str] | None = None,
    efforts: Mapping[str, Effort] | None = None,
    label_colours: Mapping[str, str] | None = None,
    loop: Sequence[Mapping[str, Any]] | Table | None = None,
    decisions: Sequence[Mapping[str, Any]] | Table | None = None,
    sections: Sequence[Table] = (),
    top: int = TOP,
    min_hits: int = MIN_HITS,
) -> str:
    """The report as one self-contained HTML page (a string; the same inputs give the same string).

    - ``evaluation``: per-label P/R/F1 (tolerant, then strict), per-rule precision with its Wilson
      95% interval (rules with fewer than ``min_hits`` hits marked), the ``top`` most frequent
      misses and false positives in context; omitted when ``None``;
    - ``sources``: what was compared, shown in the header in order (e.g. ``{"gold": path,
      "rule pack": "ar-news@1.2.0"}``);
    - ``efforts``: correction effort per batch (name -> ``Effort``), one stacked bar each;
    - ``label_colours``: label -> ``#rrggbb`` (a pack's colours); other labels get defaults;
    - ``loop``: rows of the loop (e.g. ``batch``, ``untyped base``, ``F1 base``, ``F1 learned``):
      a line plot of the numeric columns and a table (see ``loop_table``);
    - ``decisions``: rule decisions, one mapping per rule, as a table;
    - ``sections``: further ``Table`` sections, shown last.
    """
    parts: list[str] = []
    contents: list[tuple[str, str]] = []
    if evaluation is not None:
        colours = label_colours_for(_labels(evaluation), label_colours)
        contents += [("labels", "Per label"), ("rules", "Per rule")]
        parts += [_labels_section(evaluation), _rules_section(evaluation, min_hits)]
    if efforts:
        contents.append(("effort", "Correction effort"))
        parts.append(_effort_section(efforts))
    if evaluation is not None:
        contents.append(("errors", "Misses and false positives"))
        parts.append(_errors_section(evaluation, colours, top))
    extra = [loop_table(loop)] if loop is not None else []
    extra += [decisions_table(decisions)] if decisions is not None else []
    extra += list(sections)
    for index, table in enumerate(extra):
        anchor = f"section-{index + 1}"
        contents.append((anchor, table.title))
        parts.append(_table_section(table, anchor))
    nav = " ".join(f'<a href="#{anchor}">{_e(name)}</a>' for anchor, name in contents)
    body = "\n".join(
        [f"<h1>{_e(title)}</h1>", _header(evaluation, sources or {}), f"<nav>{nav}</nav>", *parts]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def write_report(path: str | Path, evaluation: Evaluation | None = None, **options: Any) -> Path:
    """Render the report (``render_report``'s arguments) and write it to ``path`` atomically.

    Raises ``OutputError`` if the file cannot be written; a previous file is then left as it was."""
    page = render_report(evaluation, **options)
    with AtomicFile(path) as handle:
        handle.write(page)
    return Path(path)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _labels(evaluation: Evaluation) -> list[str]:
    return sorted({label for mode in evaluation.modes.values() for label in mode.per_label})


def _modes(evaluation: Evaluation) -> list[str]:
    return [m for m in MODE_ORDER if m in evaluation.modes] + [
        m for m in evaluation.modes if m not in MODE_ORDER
    ]


def _header(evaluation: Evaluation | None, sources: Mapping[str, str]) -> str:
    rows = "".join(f"<dt>{_e(key)}</dt><dd>{_e(value)}</dd>" for key, value in sources.items())
    parts = [f'<dl class="sources">{rows}</dl>'] if rows else []
    if evaluation is not None:
        counts = (
            f"{evaluation.examples:,} examples paired, {evaluation.gold_spans:,} gold spans, "
            f"{evaluation.predicted_spans:,} predicted spans"
        )
        if evaluation.unpaired_gold:
            counts += f"; {evaluation.unpaired_gold:,} gold examples had no prediction"
        if evaluation.unpaired_predictions:
            counts += f"; {evaluation.unpaired_predictions:,} predicted examples had no gold"
        parts.append(f"<p>{_e(counts)}.</p>")
    return "\n".join(parts)


def _cell(value: Any) -> str:
    if value is None:
        return "<td>&ndash;</td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, float):
        return f'<td class="n">{value:.3f}</td>'
    if isinstance(value, int):
        return f'<td class="n">{value:,}</td>'
    return f'<td dir="auto">{_e(value)}</td>'


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], classes: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{_e(column)}</th>" for column in columns)
    body = []
    for index, row in enumerate(rows):
        css = classes[index] if index < len(classes) and classes[index] else ""
        attribute = f' class="{css}"' if css else ""
        body.append(f"<tr{attribute}>{''.join(_cell(value) for value in row)}</tr>")
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>"


def _figure(svg: str, caption: str, name: str) -> str:
    return f'<figure id="figure-{name}">\n{svg}\n<figcaption>{_e(caption)}</figcaption>\n</figure>'


def _labels_section(evaluation: Evaluation) -> str:
    labels = _labels(evaluation)
    order = [*labels, "micro"]
    modes = _modes(evaluation)
    plotted = {}
    for mode in modes:
        result = evaluation.modes[mode]
        scores: dict[str, Scores] = {label: result.per_label.get(label, Scores(0, 0, 0)) for label in labels}
        scores["micro"] = result.micro
        plotted[mode] = (order, scores)
    parts = [
        '<h2 id="labels">Per label</h2>',
        '<p class="note">Tolerant: same end and label, starts that differ only by proclitic letters '
        "count as equal (what the rules are judged by). Strict: same start, end and label.</p>",
        _figure(plots.label_scores_svg(plotted), "Precision, recall and F1 per label.", "labels"),
    ]
    for mode in modes:
        order_scores = plotted[mode][1]
        rows = [
            [label, s.precision, s.recall, s.f1, s.tp, s.fp, s.fn, s.tp + s.fn]
            for label, s in order_scores.items()
        ]
        parts.append(f"<h3>{_e(mode)}</h3>")
        parts.append(
            _table(
                ["label", "P", "R", "F1", "true pos.", "false pos.", "missed", "gold"],
                rows,
                ["total" if row[0] == "micro" else "" for row in rows],
            )
        )
    return "\n".join(parts)


def rule_intervals(evaluation: Evaluation, mode: str = "tolerant") -> list[tuple[str, Interval]]:
    """Each rule's precision in ``mode`` with its Wilson 95% interval, best first (then by hits)."""
    per_rule = evaluation.modes[mode].per_rule
    rows = [(rule, wilson(scores.tp, scores.tp + scores.fp)) for rule, scores in per_rule.items()]
    return sorted(rows, key=lambda item: (-item[1].estimate, -item[1].trials, item[0]))


def _rules_section(evaluation: Evaluation, min_hits: int) -> str:
    mode = "tolerant" if "tolerant" in evaluation.modes else _modes(evaluation)[0]
    rows = rule_intervals(evaluation, mode)
    parts = [
        '<h2 id="rules">Per rule</h2>',
        f'<p class="note">Precision of each rule ({_e(mode)}) with its Wilson 95% interval. Rules with '
        f"fewer than {min_hits} hits (hollow, grey) are too little evidence to judge.</p>",
    ]
    if not rows:
        parts.append("<p>No rule made a span.</p>")
        return "\n".join(parts)
    parts.append(
        _figure(plots.rule_precision_svg(rows, min_hits), "Per-rule precision, 95% interval.", "rules")
    )
    table_rows = [
        [
            rule,
            interval.trials,
            interval.successes,
            interval.trials - interval.successes,
            interval.estimate,
            interval.low,
            interval.high,
            "too few hits" if interval.trials < min_hits else "",
        ]
        for rule, interval in rows
    ]
    parts.append(
        _table(
            ["rule", "hits", "true pos.", "false pos.", "precision", "95% low", "95% high", ""],
            table_rows,
            ["few" if interval.trials < min_hits else "" for _, interval in rows],
        )
    )
    return "\n".join(parts)


def _effort_section(efforts: Mapping[str, Effort]) -> str:
    names = {"rebounded_relabelled": "rebounded + relabelled"}
    columns = ["batch", "examples", "pushed", *(names.get(c, c) for c in CLASSES), "added", "gold"]
    rows = [
        [
            batch,
            effort.examples,
            effort.pushed_spans,
            *(effort.counts[name] for name in CLASSES),
            effort.added,
            effort.gold_spans,
            effort.untyped_share,
        ]
        for batch, effort in efforts.items()
    ]
    return "\n".join(
        [
            '<h2 id="effort">Correction effort</h2>',
            '<p class="note">What annotators did to the pushed pre-annotations, batch by batch: each '
            "pushed span was kept, relabelled, re-bounded (and relabelled) or deleted; the spans the "
            "rules missed were added. Untyped: the share of the gold that came from the rules unchanged."
            "</p>",
            _figure(plots.effort_svg(efforts), "Pushed spans by what became of them; spans added.", "effort"),
            _table([*columns, "untyped"], rows),
        ]
    )


def _errors_section(evaluation: Evaluation, colours: Mapping[str, str], top: int) -> str:
    mode = "tolerant" if "tolerant" in evaluation.modes else _modes(evaluation)[0]
    errors = evaluation.modes[mode].errors
    parts = [
        '<h2 id="errors">Misses and false positives</h2>',
        f'<p class="note">The most frequent ({_e(mode)}), each shown where it first happened.</p>',
    ]
    for kind, heading, anchor in (
        ("miss", "Misses: gold spans no rule found", "misses"),
        ("false positive", "False positives: spans the rules made, not in the gold", "false-positives"),
    ):
        found = frequent_errors(errors, kind, top)
        parts.append(f'<h3 id="{anchor}">{_e(heading)}</h3>')
        if not found:
            parts.append("<p>None.</p>")
            continue
        parts.append('<ol class="errors">')
        parts.extend(_error_item(error, colours) for error in found)
        parts.append("</ol>")
    return "\n".join(parts)


def _error_item(error: FrequentError, colours: Mapping[str, str]) -> str:
    rules = ", ".join(_e(rule) + (f" &times;{count}" if count > 1 else "") for rule, count in error.rules)
    what = [
        f'<span class="surface" dir="rtl" lang="ar">{_e(error.surface)}</span>',
        f"{_e(error.label)}",
        f"&times;{error.count}",
    ]
    if rules:
        what.append(f"rule: {rules}")
    what.append(f"first in example {_e(error.example)}")
    return (
        f'<li class="{"miss" if error.kind == "miss" else "false-positive"}">'
        f'<div class="what">{" &middot; ".join(what)}</div>\n'
        f'<div class="snippet" dir="rtl" lang="ar">{highlight(error, colours)}</div></li>'
    )


def _table_section(table: Table, anchor: str) -> str:
    parts = [f'<h2 id="{anchor}">{_e(table.title)}</h2>']
    if table.note:
        parts.append(f'<p class="note">{_e(table.note)}</p>')
    if table.x and table.lines and table.rows:
        svg = plots.lines_svg(table.rows, table.x, table.lines, table.ylabel, salt=anchor)
        parts.append(_figure(svg, f"{', '.join(table.lines)} by {table.x}.", anchor))
    columns = table.shown_columns
    parts.append(_table(columns, [[row.get(column) for column in columns] for row in table.rows]))
    return "\n".join(parts)
