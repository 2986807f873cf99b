"""The HTML report of `evaluate --html`: self-contained, right to left where Arabic, the same bytes
for the same inputs, with the per-rule intervals, the effort per batch and the errors in context."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.corpus import ReadReport
from annotator.errors import UsageError
from annotator.evaluation.effort import measure_effort
from annotator.evaluation.evaluate import Evaluation, evaluate
from annotator.evaluation.files import evaluate_files
from annotator.evaluation.intervals import wilson
from annotator.evaluation.report import Table, render_report, write_report
from annotator.export.gold import export_gold
from tests.report_data import FEW_RULE, JUDGED_RULES, MISSED, WRONG, gold_and_predicted

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "rules" / "starter"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: attributes that make a browser fetch what they name
LOADING = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background"}


class PageReader(HTMLParser):
    """Every attribute that could load something, every tag, and each text run with the direction
    of its nearest ancestor that sets ``dir``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loads: list[str] = []
        self.tags: list[str] = []
        self.texts: list[tuple[str, str | None]] = []
        self.styles: list[str] = []
        self.html_attributes: dict[str, str | None] = {}
        self._stack: list[tuple[str, str | None]] = []
        self._in_style = False

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> str | None:
        self.tags.append(tag)
        if tag == "html":
            self.html_attributes = dict(attrs)
        for name, value in attrs:
            if name in LOADING and value is not None and not value.startswith("#"):
                self.loads.append(f"<{tag} {name}={value!r}>")
            if name == "style" and value:
                self.styles.append(value)
        direction = dict(attrs).get("dir")
        return direction if direction is not None else (self._stack[-1][1] if self._stack else None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        direction = self._attributes(tag, attrs)
        if tag not in VOID:
            self._stack.append((tag, direction))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
        elif data.strip():
            self.texts.append((data, self._stack[-1][1] if self._stack else None))


def read_page(page: str) -> PageReader:
    reader = PageReader()
    reader.feed(page)
    reader.close()
    return reader


def external_loads(page: str) -> list[str]:
    """Everything in ``page`` that would make a browser fetch: loading attributes (other than
    in-page ``#`` references), CSS ``url(...)`` other than ``#`` references, ``@import``, and the
    elements that fetch or run code."""
    reader = read_page(page)
    found = list(reader.loads)
    for style in reader.styles:
        found += [
            f"url({m})" for m in re.findall(r"url\(\s*['\"]?([^)'\"]*)", style) if not m.startswith("#")
        ]
        found += ["@import"] if "@import" in style else []
    found += [
        f"<{tag}>" for tag in reader.tags if tag in {"script", "link", "iframe", "object", "embed", "img"}
    ]
    return found


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    gold, predicted = gold_and_predicted()
    return evaluate(gold, predicted)


@pytest.fixture(scope="module")
def page(evaluation: Evaluation) -> str:
    gold, predicted = gold_and_predicted()
    efforts = {
        "batch-1": measure_effort(predicted[:6], gold[:6]),
        "batch-2": measure_effort(predicted[6:], gold[6:]),
    }
    return render_report(
        evaluation,
        title="test report",
        sources={"gold": "gold.jsonl", "predictions": "pre.jsonl", "rule pack": "test@1.0"},
        efforts=efforts,
        label_colours={"PER": "#e6194b", "LOC": "#3cb44b"},
    )


def test_report_loads_nothing_from_outside_the_file(page: str) -> None:
    assert external_loads(page) == []
    # the check itself finds what it must: a stylesheet link, an image, a CSS url
    probe = (
        '<link href="https://cdn.example/x.css"><img src="http://e/x.png"><p style="background: url(x.png)">'
    )
    assert set(external_loads(probe)) >= {
        "<link href='https://cdn.example/x.css'>",
        "<img src='http://e/x.png'>",
        "url(x.png)",
    }
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_arabic_text_sits_in_right_to_left_blocks(page: str) -> None:
    reader = read_page(page)
    arabic = [(text, direction) for text, direction in reader.texts if re.search(r"[\u0600-\u06ff]", text)]
    assert arabic
    assert {direction for _, direction in arabic} == {"rtl"}
    assert 'dir="rtl" lang="ar"' in page


def test_a_known_miss_is_shown_highlighted_in_its_context(page: str) -> None:
    misses = page[page.index('id="misses"') : page.index('id="false-positives"')]
    assert MISSED in misses
    # displaCy marks the span with its label inside the sentence, right to left
    snippets = re.findall(r'<div class="snippet" dir="rtl" lang="ar">(.*?)</li>', misses, re.DOTALL)
    marked = [
        s for s in snippets if re.search(rf'<mark class="entity"[^>]*>\s*{MISSED}\s*<span[^>]*>ORG<', s)
    ]
    assert len(marked) == 1
    assert "direction: rtl" in marked[0]
    false_positives = page[page.index('id="false-positives"') :]
    assert WRONG in false_positives and FEW_RULE in false_positives


def test_label_colours_come_from_the_pack(page: str) -> None:
    # the pack's LOC colour, translucent so the Arabic stays legible (the false positive is a LOC)
    assert "background: #3cb44b66" in page
    # ORG has no colour in the pack: it gets a default one that no pack label uses
    org = re.findall(r"background: (#[0-9a-f]+); [^>]*>\s*[^<]*<span[^>]*>ORG<", page)
    assert org and set(org).isdisjoint({"#e6194b66", "#3cb44b66"})


def test_per_rule_precision_has_its_wilson_interval_in_figure_and_table(page: str) -> None:
    figure = re.search(r'<figure id="figure-rules">\s*<svg.*?</svg>', page, re.DOTALL)
    assert figure is not None
    for rule in (*JUDGED_RULES, FEW_RULE):
        interval = wilson(*((12, 12) if rule in JUDGED_RULES else (0, 1)))
        row = re.search(rf"<tr[^>]*><td dir=\"auto\">{re.escape(rule)}</td>(.*?)</tr>", page)
        assert row is not None, rule
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
        assert cells[4:6] == [f"{interval.low:.3f}", f"{interval.high:.3f}"]
    few = re.search(rf'<tr class="few"><td dir="auto">{FEW_RULE}</td>.*?too few hits</td></tr>', page)
    assert few is not None
    assert f'<tr><td dir="auto">{JUDGED_RULES[0]}</td>' in page


def test_effort_is_one_bar_and_one_row_per_batch(page: str) -> None:
    assert re.search(r'<figure id="figure-effort">\s*<svg', page)
    rows = re.findall(r'<tr><td dir="auto">(batch-\d)</td>((?:<td[^>]*>[^<]*</td>)+)</tr>', page)
    assert [name for name, _ in rows] == ["batch-1", "batch-2"]
    first = re.findall(r"<td[^>]*>([^<]*)</td>", rows[0][1])
    # examples, pushed, kept, relabelled, rebounded, rebounded+relabelled, deleted, added, gold:
    # "الأوروبي" (LOC) overlaps the gold "الاتحاد الأوروبي" (ORG): re-bounded and relabelled
    assert first[:9] == ["6", "13", "12", "0", "0", "1", "0", "11", "24"]


def test_tolerant_scores_come_before_strict(page: str) -> None:
    assert page.index("<h3>tolerant</h3>") < page.index("<h3>strict</h3>")


def test_the_same_inputs_give_the_same_bytes(evaluation: Evaluation, page: str, tmp_path: Path) -> None:
    gold, predicted = gold_and_predicted()
    again = render_report(
        evaluate(gold, predicted),
        title="test report",
        sources={"gold": "gold.jsonl", "predictions": "pre.jsonl", "rule pack": "test@1.0"},
        efforts={
            "batch-1": measure_effort(predicted[:6], gold[:6]),
            "batch-2": measure_effort(predicted[6:], gold[6:]),
        },
        label_colours={"PER": "#e6194b", "LOC": "#3cb44b"},
    )
    assert again == page
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    write_report(first, evaluation, title="t")
    write_report(second, evaluation, title="t")
    assert first.read_bytes() == second.read_bytes()


def test_svg_ids_differ_between_the_figures_of_one_page(page: str) -> None:
    # inline SVGs share the page's id space: a clip path of one figure must not clip another
    clip_ids = re.findall(r'<clipPath id="([^"]+)"', page)
    assert clip_ids and len(clip_ids) == len(set(clip_ids))


def test_loop_and_decisions_are_generic_tables_another_command_can_fill(evaluation: Evaluation) -> None:
    loop = [
        {"batch": 1, "untyped base": 0.30, "untyped learned": 0.30, "F1 base": 0.61, "F1 learned": 0.61},
        {"batch": 2, "untyped base": 0.32, "untyped learned": 0.41, "F1 base": 0.62, "F1 learned": 0.70},
    ]
    decisions = [{"rule": "loc.regions", "decision": "disable", "precision": 0.0, "high": 0.79}]
    extra = Table("Learned gazetteer", [{"term": "المجلس الرئاسي", "label": "ORG", "tagged": 12}])
    page = render_report(None, title="learn", loop=loop, decisions=decisions, sections=[extra])
    assert re.search(r'<figure id="figure-section-1">\s*<svg', page)  # the loop's line plot
    assert "<th>F1 learned</th>" in page and '<td class="n">0.700</td>' in page
    assert '<td dir="auto">disable</td>' in page
    assert '<td dir="auto">المجلس الرئاسي</td>' in page
    assert 'id="labels"' not in page  # no evaluation given: no per-label section
    assert external_loads(page) == []


def _export(folder: Path, gold: list, pushed: list) -> Path:
    export_gold(gold, folder, formats=("jsonl",), pushed=pushed, source={"rule_packs": {"starter@0.1.0": 1}})
    return folder


# -- evaluate_files: the library call behind ``annotator evaluate`` ---------------------------------


def test_evaluate_files_on_batch_folders_scores_as_on_their_gold_and_pushed_files(tmp_path: Path) -> None:
    gold, predicted = gold_and_predicted()
    first = _export(tmp_path / "batch-1", gold[:6], predicted[:6])
    second = _export(tmp_path / "batch-2", gold[6:], predicted[6:])
    together = _export(tmp_path / "all", gold, predicted)
    by_batches = evaluate_files(batches=[first, second])
    by_files = evaluate_files(together / "gold.jsonl", together / "pushed.jsonl")
    assert by_batches.evaluation == by_files.evaluation
    assert [batch.name for batch in by_batches.batches] == [str(first), str(second)]
    assert by_batches.evaluation.modes["tolerant"].micro.tp == 24  # the person and the city, 12 times


def test_evaluate_files_json_has_the_effort_of_the_prediction_or_of_each_batch(tmp_path: Path) -> None:
    gold, predicted = gold_and_predicted()
    folder = _export(tmp_path / "export", gold, predicted)
    pair = evaluate_files(folder / "gold.jsonl", folder / "pushed.jsonl", effort=True)
    data = pair.to_json(top=3)
    assert data["effort"] == measure_effort(predicted, gold).to_json()
    assert "batches" not in data and len(data["tolerant"]["top_misses"]) <= 3
    assert pair.efforts == {str(folder / "pushed.jsonl"): pair.effort}
    assert "effort" not in evaluate_files(folder / "gold.jsonl", folder / "pushed.jsonl").to_json(3)
    batches = evaluate_files(batches=[folder], effort=True).to_json(top=3)
    assert "effort" not in batches  # with batches, each has its own
    assert batches["batches"] == {str(folder): measure_effort(predicted, gold).to_json()}


def test_evaluate_files_names_the_pack_of_rules_or_else_those_of_the_batches_manifests(
    tmp_path: Path,
) -> None:
    gold, predicted = gold_and_predicted()
    folder = _export(tmp_path / "export", gold, predicted)
    with_rules = evaluate_files(batches=[folder], rules=STARTER)
    assert with_rules.fingerprint == with_rules.sources["rule pack"] == "starter@0.1.0"
    assert with_rules.label_colours and with_rules.label_colours["LOC"] == "#3cb44b"
    without = evaluate_files(batches=[folder])
    assert without.fingerprint is None and without.label_colours is None
    assert without.sources == {"batch 1": f"{folder} (12 gold examples)", "rule pack": "starter@0.1.0"}
    files = evaluate_files(folder / "gold.jsonl", folder / "pushed.jsonl")
    assert files.sources == {"gold": str(folder / "gold.jsonl"), "predictions": str(folder / "pushed.jsonl")}


def test_evaluate_files_write_html_writes_the_report_the_command_writes(tmp_path: Path) -> None:
    gold, predicted = gold_and_predicted()
    first = _export(tmp_path / "batch-1", gold[:6], predicted[:6])
    second = _export(tmp_path / "batch-2", gold[6:], predicted[6:])
    by_command = tmp_path / "command.html"
    assert main(["evaluate", "--batch", str(first), "--batch", str(second), "--html", str(by_command)]) == 0
    by_library = evaluate_files(batches=[first, second]).write_html(tmp_path / "library.html")
    assert by_library.read_bytes() == by_command.read_bytes()


def test_evaluate_files_maps_and_narrows_labels_and_tells_the_read_report(tmp_path: Path) -> None:
    gold, predicted = gold_and_predicted()
    folder = _export(tmp_path / "export", gold, predicted)
    reading = ReadReport()
    result = evaluate_files(
        folder / "gold.jsonl",
        folder / "pushed.jsonl",
        label_map={"PER": "PERSON"},
        labels=["PERSON"],
        report=reading,
    )
    assert set(result.evaluation.modes["strict"].per_label) == {"PERSON"}
    assert result.evaluation.modes["strict"].micro.tp == 12
    assert reading.files == [folder / "gold.jsonl", folder / "pushed.jsonl"]


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"gold": Path("gold.jsonl")},
        {"pred": Path("pred.jsonl")},
        {"pred": Path("p"), "batches": [Path("b")]},
    ],
)
def test_evaluate_files_refuses_gold_without_pred_or_no_input_at_all(given: dict) -> None:
    with pytest.raises(UsageError, match="give both --gold and --pred, or one --batch"):
        evaluate_files(**given)


def test_evaluate_cli_writes_the_report_for_two_batches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold, predicted = gold_and_predicted()
    first = _export(tmp_path / "batch-1", gold[:6], predicted[:6])
    second = _export(tmp_path / "batch-2", gold[6:], predicted[6:])
    report = tmp_path / "out" / "report.html"
    arguments = ["evaluate", "--batch", str(first), "--batch", str(second), "--html", str(report)]
    assert main([*arguments, "--rules", str(STARTER)]) == 0
    assert f"report -> {report}" in capsys.readouterr().out
    page = report.read_text(encoding="utf-8")
    assert external_loads(page) == []
    assert MISSED in page
    assert "<dd>starter@0.1.0</dd>" in page  # the fingerprint of --rules
    assert f"{first} (6 gold examples)" in page and f"{second} (6 gold examples)" in page
    assert len(re.findall(r'<tr><td dir="auto">[^<]*batch-\d</td>', page)) == 2
    assert "background: #3cb44b66" in page  # the starter pack's LOC colour
    before = report.read_bytes()
    assert main(arguments) == 0  # without --rules: the fingerprint comes from the exports' manifests
    assert "<dd>starter@0.1.0</dd>" in report.read_text(encoding="utf-8")
    assert main([*arguments, "--rules", str(STARTER)]) == 0
    assert report.read_bytes() == before


def test_evaluate_cli_effort_of_one_pair_is_one_bar(tmp_path: Path) -> None:
    gold, predicted = gold_and_predicted()
    folder = _export(tmp_path / "export", gold, predicted)
    report = tmp_path / "report.html"
    code = main(
        [
            "evaluate",
            "--gold",
            str(folder / "gold.jsonl"),
            "--pred",
            str(folder / "pushed.jsonl"),
            "--effort",
            "--html",
            str(report),
        ]
    )
    assert code == 0
    page = report.read_text(encoding="utf-8")
    assert re.search(r'<figure id="figure-effort">\s*<svg', page)
    assert len(re.findall(r'<tr><td dir="auto">[^<]*pushed\.jsonl</td>', page)) == 1


def test_evaluate_cli_refuses_a_batch_without_pushed_spans(tmp_path: Path) -> None:
    gold, _ = gold_and_predicted()
    export_gold(gold, tmp_path / "old", formats=("jsonl",))
    assert main(["evaluate", "--batch", str(tmp_path / "old"), "--html", str(tmp_path / "r.html")]) == 4
    assert not (tmp_path / "r.html").exists()


def test_evaluate_cli_needs_gold_and_pred_or_a_batch(tmp_path: Path) -> None:
    assert main(["evaluate", "--html", str(tmp_path / "r.html")]) == 2
    assert main(["evaluate", "--gold", str(tmp_path / "g.jsonl")]) == 2
