"""Medians, ratios against the baselines measured in the same run, and the printed tables."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

#: how close to linear "scales linearly" has to be: time ratio / size ratio at most this
LINEAR_TOLERANCE = 1.15


@dataclass
class Ratio:
    """One figure against a named baseline of the same run, with the issue's target when it has one.

    ``reads`` is the figure as a sentence, e.g. "ours (100k) = 0.45x SpanRuler (100k)".
    """

    key: str
    reads: str
    value: float | None
    target: str = ""
    met: bool | None = None
    #: the median of each run's own ratio (both sides measured minutes apart, not runs apart); shown
    #: next to ``value`` because this VM's speed drifts between runs. ``met`` stays on ``value``.
    paired: float | None = None


def summarise(measurements: list[dict[str, Any]], chars: dict[str, int]) -> dict[str, Any]:
    """Medians over runs per (contender, terms): build/load seconds, memory, per corpus seconds, chars/s."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for item in measurements:
        groups.setdefault((item["contender"], item["terms"]), []).append(item)
    summary: dict[str, Any] = {}
    for (contender, terms), items in sorted(groups.items()):
        entry: dict[str, Any] = {"runs": len(items)}
        for key in ("build_s", "load_s", "warm_build_s", "peak_rss_mb", "children_peak_rss_mb"):
            values = [item[key] for item in items if item.get(key) is not None]
            if values:
                entry[key] = statistics.median(values)
        corpora = {}
        for name in items[0]["corpora"]:
            seconds = statistics.median(item["corpora"][name]["seconds"] for item in items)
            corpora[name] = {
                "seconds": seconds,
                "chars_per_s": chars[name] / seconds if seconds else None,
                "hits": items[0]["corpora"][name]["hits"],
                "seconds_all_runs": [item["corpora"][name]["seconds"] for item in items],
            }
        entry["corpora"] = corpora
        summary.setdefault(contender, {})[str(terms)] = entry
    return summary


def _get(summary: dict, contender: str, terms: int, corpus: str, key: str) -> float | None:
    try:
        return summary[contender][str(terms)]["corpora"][corpus][key]
    except KeyError:
        return None


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def paired_ratio(numerators: list[float] | None, denominators: list[float] | None) -> float | None:
    """The median over runs of run i's ``numerators[i] / denominators[i]``."""
    if not numerators or not denominators or len(numerators) != len(denominators):
        return None
    ratios = [a / b for a, b in zip(numerators, denominators, strict=True) if b]
    return statistics.median(ratios) if ratios else None


def terms_name(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def _as_text(value: float | None, unit: str = "x") -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def ratios(
    summary: dict, chars: dict[str, int], sizes: list[str], terms: list[int], doccano: dict | None
) -> list[Ratio]:
    """Every ratio of the issue, each against a baseline measured in this run (on the largest corpus)."""
    big, small = sizes[-1], sizes[0]
    most, fewest = terms[-1], terms[0]
    top, low = terms_name(most), terms_name(fewest)

    def speed(contender: str, n: int, corpus: str = big) -> float | None:
        return _get(summary, contender, n, corpus, "chars_per_s")

    def seconds(contender: str, n: int, corpus: str = big) -> float | None:
        return _get(summary, contender, n, corpus, "seconds")

    def runs(contender: str, n: int, corpus: str = big) -> list[float] | None:
        return _get(summary, contender, n, corpus, "seconds_all_runs")

    def against(
        key: str,
        subject: str,
        value: float | None,
        baseline: str,
        target: str = "",
        test: Callable[[float], bool] | None = None,
        paired: float | None = None,
    ) -> Ratio:
        met = None if value is None or test is None else bool(test(value))
        reads = f"{subject} = {_as_text(value)} {baseline}"
        if paired is not None:
            reads += f" (per-run pairs: {_as_text(paired)})"
        return Ratio(key, reads, value, target, met, paired)

    ours = speed("ours", most)
    out = [
        against(
            "ours_vs_spanruler",
            f"ours ({top})",
            _div(ours, speed("spanruler", most)),
            f"SpanRuler ({top})",
            ">= 10x",
            lambda v: v >= 10,
            paired_ratio(runs("spanruler", most), runs("ours", most)),
        ),
        against(
            "ours_vs_tokenizer",
            f"ours ({top})",
            _div(ours, speed("tokenizer", 0)),
            "spaCy tokenizer alone",
            ">= 2x",
            lambda v: v >= 2,
            paired_ratio(runs("tokenizer", 0), runs("ours", most)),
        ),
        against(
            "ours_vs_aho",
            f"ours ({top})",
            _div(ours, speed("aho", most)),
            f"raw pyahocorasick + boundary check ({top}, the ceiling)",
        ),
    ]
    for n in terms:
        out.append(
            against(
                f"ours_terms_only_vs_spanruler_{n}",
                f"ours, gazetteer alone ({terms_name(n)})",
                _div(speed("ours-terms", n), speed("spanruler", n)),
                f"SpanRuler ({terms_name(n)})",
            )
        )
    for n in terms[:-1]:
        out.append(
            against(
                f"ours_vs_spanruler_{n}",
                f"ours ({terms_name(n)})",
                _div(speed("ours", n), speed("spanruler", n)),
                f"SpanRuler ({terms_name(n)})",
            )
        )
    for contender in ("ours", "spanruler", "aho"):
        value = _div(seconds(contender, most), seconds(contender, fewest))
        target, test = ("<= 1.5x", lambda v: v <= 1.5) if contender == "ours" else ("", None)
        out.append(
            Ratio(
                f"{contender}_terms_cost",
                f"{contender}: {low}->{top} terms cost {_as_text(value)}",
                value,
                target,
                None if value is None or test is None else bool(test(value)),
            )
        )
    linear = chars[big] / chars[small]
    for contender in ("ours", "spanruler", "tokenizer"):
        n = 0 if contender == "tokenizer" else most
        value = _div(seconds(contender, n, big), seconds(contender, n, small))
        reads = f"{contender}: {small}->{big} takes {_as_text(value)} (linear {linear:.2f}x)"
        if contender == "ours":
            out.append(
                Ratio(
                    "ours_size_scaling",
                    reads,
                    value,
                    f"<= {LINEAR_TOLERANCE:.2f} x linear",
                    None if value is None else value / linear <= LINEAR_TOLERANCE,
                )
            )
        else:
            out.append(Ratio(f"{contender}_size_scaling", reads, value))
    # both rows include annotate_stream's one compile of the pack (workers share it under fork)
    one, two = seconds("ours", most), seconds("ours-w2", most)
    compile_s = summary.get("ours", {}).get(str(most), {}).get("warm_build_s")
    out.append(
        against(
            "workers2_speedup",
            "workers=2 (end to end, incl. compiling)",
            _div(one, two),
            "workers=1",
            ">= 1.7x",
            lambda v: v >= 1.7,
            paired_ratio(runs("ours", most), runs("ours-w2", most)),
        )
    )
    net = (
        _div(one - compile_s, two - compile_s)
        if one is not None and two is not None and compile_s is not None and two > compile_s
        else None
    )
    out.append(against("workers2_speedup_net", "workers=2 (net of compiling)", net, "workers=1"))
    out.append(
        against(
            "cli_vs_library",
            "CLI (start, load, compile, read, write JSONL)",
            _div(speed("ours-cli", most), ours),
            "library",
        )
    )
    calls = doccano.get("per_call_extrapolated_s") if doccano else None
    raw = doccano.get("raw", {}) if doccano else {}
    scale = doccano["examples"] / doccano["sample"] if doccano else 1.0
    call_runs = [sample * scale for sample in raw.get("per_call_sample_s", [])]
    for key, reads, seconds in (
        ("bulk_push_vs_per_call", "bulk push (incl. project set-up and verification)", "bulk_push_s"),
        ("bulk_import_vs_per_call", "bulk import phase alone", "bulk_import_s"),
    ):
        bulk = doccano.get(seconds) if doccano else None
        out.append(
            against(
                key,
                reads,
                _div(calls, bulk),
                "per-example + per-span API calls",
                ">= 50x",
                lambda v: v >= 50,
                paired_ratio(call_runs, raw.get(seconds)),
            )
        )
    rate = doccano.get("export_examples_per_s") if doccano else None
    out.append(Ratio("export_examples_per_s", f"export: {_as_text(rate, ' examples/s')}", rate))
    return out


# -- printing ---------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 2, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.{digits}f}{unit}"


def print_tables(console: Console, summary: dict, ratio_list: list[Ratio], doccano: dict | None) -> None:
    table = Table(title="Throughput (median of runs)", show_lines=False)
    for column in (
        "contender",
        "terms",
        "corpus",
        "M chars/s",
        "seconds",
        "build s",
        "load s",
        "peak RSS MB",
        "hits",
    ):
        table.add_column(column, justify="left" if column in ("contender", "corpus") else "right")
    for contender, by_terms in summary.items():
        for terms, entry in by_terms.items():
            rss = entry.get("peak_rss_mb")
            children = entry.get("children_peak_rss_mb")
            rss_text = _fmt(rss, 0) + (f" (+{children:.0f} children)" if children else "")
            for corpus, figures in entry["corpora"].items():
                speed = figures["chars_per_s"]
                table.add_row(
                    contender,
                    "-" if terms == "0" else terms,
                    corpus,
                    _fmt(speed / 1e6 if speed else None, 3),
                    _fmt(figures["seconds"], 2),
                    _fmt(entry.get("build_s"), 2),
                    _fmt(entry.get("load_s"), 2),
                    rss_text,
                    str(figures["hits"]),
                )
    console.print(table)
    if doccano:
        table = Table(title="doccano (median of runs)")
        for column in ("what", "seconds", "examples/s"):
            table.add_column(column, justify="left" if column == "what" else "right")
        n = doccano["examples"]
        table.add_row(
            f"bulk push of {n} x {doccano['spans_per_example']} spans",
            _fmt(doccano["bulk_push_s"]),
            _fmt(doccano["bulk_push_examples_per_s"], 1),
        )
        table.add_row(
            "  of which the import phase",
            _fmt(doccano["bulk_import_s"]),
            _fmt(n / doccano["bulk_import_s"] if doccano["bulk_import_s"] else None, 1),
        )
        table.add_row(
            f"per-call upload ({doccano['sample']} measured, x{n // doccano['sample']})",
            _fmt(doccano["per_call_extrapolated_s"]),
            _fmt(doccano["per_call_examples_per_s"], 1),
        )
        table.add_row(
            f"export of {doccano['exported_examples']}",
            _fmt(doccano["export_s"]),
            _fmt(doccano["export_examples_per_s"], 1),
        )
        console.print(table)
    table = Table(title="Ratios against baselines of this run")
    for column in ("figure", "target", "met"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for ratio in ratio_list:
        met = {True: "[green]yes[/]", False: "[red]NO[/]", None: "-" if ratio.target else ""}[ratio.met]
        table.add_row(ratio.reads, ratio.target, met)
    console.print(table)


def ratios_json(ratio_list: list[Ratio]) -> list[dict[str, Any]]:
    return [asdict(ratio) for ratio in ratio_list]
