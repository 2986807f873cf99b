"""The evaluation report in a real browser: it draws something, shows the Arabic right to left, and
asks the network for nothing (every request is recorded and anything but the file itself refused)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from annotator.evaluation.effort import measure_effort
from annotator.evaluation.evaluate import evaluate
from annotator.evaluation.report import write_report
from tests.browser import chromium_executable, launched_chromium  # skips this module without playwright
from tests.report_data import MISSED, gold_and_predicted

if TYPE_CHECKING:
    from playwright.sync_api import Route

Image = pytest.importorskip("PIL.Image", reason="Pillow (a matplotlib dependency) is not installed")

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "test-artifacts" / "evaluation-report.png"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def chromium() -> Path:
    return chromium_executable("the report's browser test")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gold, predicted = gold_and_predicted()
    path = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(
        path,
        evaluate(gold, predicted),
        title="browser test",
        sources={"gold": "gold.jsonl", "predictions": "pre.jsonl"},
        efforts={
            "batch-1": measure_effort(predicted[:6], gold[:6]),
            "batch-2": measure_effort(predicted[6:], gold[6:]),
        },
        label_colours={"PER": "#e6194b", "LOC": "#3cb44b", "ORG": "#4363d8"},
    )


def test_report_renders_arabic_right_to_left_without_any_network_request(
    chromium: Path, report: Path
) -> None:
    url = report.resolve().as_uri()
    requested: list[str] = []
    refused: list[str] = []
    with launched_chromium(chromium) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", lambda request: requested.append(request.url))

        def refuse(route: Route) -> None:
            refused.append(route.request.url)
            route.abort()

        context.route(lambda target: target != url, refuse)
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        shot = page.screenshot(full_page=True)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(shot)
        body = page.inner_text("body")
        snippet = page.locator(".snippet", has_text=MISSED).first
        direction = snippet.evaluate("element => getComputedStyle(element).direction")
        mark = page.locator("mark.entity", has_text=MISSED).first
        mark_visible = mark.is_visible()
        mark_box, snippet_box = mark.bounding_box(), snippet.bounding_box()
        svg_count = page.locator("figure svg").count()
        svg_box = page.locator("#figure-rules svg").bounding_box()
    assert requested == [url]  # the page itself, nothing else
    assert refused == []
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # plots, highlights and text: not a blank page
    assert MISSED in body
    assert direction == "rtl"
    assert mark_visible and mark_box is not None and snippet_box is not None
    # the miss is near the start of its sentence: right to left, that is the right half of the block
    assert mark_box["x"] + mark_box["width"] / 2 > snippet_box["x"] + snippet_box["width"] / 2
    assert svg_count == 3  # per label, per rule, effort
    assert svg_box is not None and svg_box["width"] > 100 and svg_box["height"] > 100
