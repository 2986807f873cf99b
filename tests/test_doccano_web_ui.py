"""The pre-annotations are what a human annotator actually sees in doccano's web UI.

An admin pushes rule pre-annotations (the starter pack over seed paragraphs, and a hand-made text
where emoji and a CRLF precede the Arabic entities) into a real doccano 1.8.4. A separate annotator
account, which pushed nothing, signs in through the login form in headless Chromium and opens each
example's annotation page. The test reads back, from the rendered page, which characters doccano
underlines as an entity and with which label, and requires exactly the pushed (surface, label)
pairs: so the shared-annotation setting works for other users, and the UTF-16 offset conversion
puts every span on the right Arabic characters (an error of one unit would underline a neighbour).

How doccano 1.8.4 draws a span (its ``v-annotator`` component): each visual line of an example
is an ``<svg id="svg<start>:<end>">`` holding the line's ``<text id="<start>:<end>">`` (offsets in
UTF-16 units); every entity on that line is a sibling ``<g>`` with one ``<line>`` underline per
visual run and, unless it continues from the previous line, a ``<g><circle/><text>LABEL</text></g>``.
The text under an underline is found with the SVG text API (``getExtentOfChar``), in the same
coordinate system as the underline, so nothing here depends on fonts or pixel values.
"""

from __future__ import annotations

import stat
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from annotator.cli import main
from annotator.doccano.accounts import read_account
from annotator.doccano.connection import Doccano
from annotator.doccano.local.credentials import read_credentials
from annotator.doccano.local.server import LocalDoccano
from annotator.doccano.push import push
from annotator.engine import Annotator
from annotator.model import Example, Span
from annotator.paths import account_file
from annotator.rules import load_pack
from annotator.rules.model import LabelSpec
from tests.browser import chromium_executable, launched_chromium  # skips this module without playwright
from tests.seeds import seed_paragraphs

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.doccano, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "rules" / "starter"
SCREENSHOT = ROOT / "test-artifacts" / "web-ui-pre-annotations.png"

TIMEOUT_S = 60.0

#: seed paragraphs (0-based, non-empty lines) that the starter pack annotates; each wraps in the UI
SEED_LINES = (2, 6)
EMOJI_ID = "emoji-crlf"
#: emoji (one of them a two-code-point flag) and a CRLF before every entity
EMOJI_TEXT = "خبر عاجل 😀🇱🇾 من ليبيا:\r\nوصل الوفد إلى طرابلس 👍 ثم القاهرة"
EMOJI_ENTITIES = ("ليبيا", "طرابلس", "القاهرة")

#: Per visual line: its UTF-16 offsets, its text, and for every entity drawn on it the label
#: (null for the continuation of an entity from the previous line) and the indices (UTF-16 units
#: within the line) of the characters whose centre lies under one of the entity's underlines.
READ_RENDERED_SPANS = """
() => {
  const lines = [];
  for (const svg of document.querySelectorAll('svg[id^="svg"]')) {
    const id = svg.id.slice(3);
    const offsets = /^(\\d+):(\\d+)$/.exec(id);
    const text = offsets && svg.querySelector(`text[id="${id}"]`);
    if (!text) continue;
    const centres = [];
    for (let i = 0; i < text.getNumberOfChars(); i++) {
      const box = text.getExtentOfChar(i);
      centres.push(box.x + box.width / 2);
    }
    const entities = [];
    for (const group of text.parentElement.querySelectorAll(':scope > g')) {
      const bars = [...group.querySelectorAll(':scope > line')].map((bar) => {
        const [a, b] = [bar.x1.baseVal.value, bar.x2.baseVal.value];
        return [Math.min(a, b), Math.max(a, b)];
      });
      if (bars.length === 0) continue;
      const label = group.querySelector(':scope > g > text');
      const under = [];
      centres.forEach((c, i) => { if (bars.some(([a, b]) => a <= c && c <= b)) under.push(i); });
      entities.push({label: label ? label.textContent.trim() : null, under});
    }
    lines.push({start: Number(offsets[1]), end: Number(offsets[2]), text: text.textContent, entities});
  }
  return lines;
}
"""


@dataclass(frozen=True)
class Rendered:
    """What the annotation page shows for one example."""

    lines: tuple[tuple[int, str], ...]  # (UTF-16 start, text) of every visual line
    spans: tuple[tuple[str, str], ...]  # sorted (surface, label) of every underlined entity
    problems: tuple[str, ...]  # underlines that do not cover one contiguous run of characters


def utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def utf16_slice(text: str, start: int, end: int) -> str:
    return utf16(text)[2 * start : 2 * end].decode("utf-16-le", errors="replace")


def read_rendered(page: Page) -> Rendered:
    """The entities the page draws, as (surface, label) pairs, joining those that wrap lines."""
    raw: list[dict[str, Any]] = sorted(page.evaluate(READ_RENDERED_SPANS), key=lambda line: line["start"])
    spans: list[list[Any]] = []  # [start, end, label, surface], global UTF-16 offsets
    problems: list[str] = []
    for line in raw:
        for entity in line["entities"]:
            under: list[int] = entity["under"]
            if not under or under != list(range(under[0], under[-1] + 1)):
                problems.append(f"line {line['start']}: {entity['label']} underlines characters {under}")
                continue
            start, end = line["start"] + under[0], line["start"] + under[-1] + 1
            surface = utf16_slice(line["text"], under[0], under[-1] + 1)
            continued = next((s for s in spans if s[1] == start), None)
            if entity["label"] is None and continued is not None:
                continued[1], continued[3] = end, continued[3] + surface
            else:
                spans.append([start, end, entity["label"], surface])
    return Rendered(
        lines=tuple((line["start"], line["text"]) for line in raw),
        spans=tuple(sorted((surface, label) for _, _, label, surface in spans)),
        problems=tuple(problems),
    )


def shown_example(rendered: Rendered, examples: list[Example]) -> Example | None:
    """The pushed example whose text the page shows (doccano stores CRLF as LF)."""
    for example in examples:
        stored = example.text.replace("\r\n", "\n")
        if rendered.lines and all(
            utf16_slice(stored, start, start + len(utf16(text)) // 2) == text
            for start, text in rendered.lines
        ):
            return example
    return None


def expected_spans(example: Example) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((example.surface(span), span.label) for span in example.spans))


def pre_annotated_examples() -> tuple[list[Example], list[LabelSpec]]:
    """Two seed paragraphs annotated by the starter pack, and the emoji text with known entities."""
    pack = load_pack(STARTER)
    annotator = Annotator(pack)
    paragraphs = seed_paragraphs()
    examples = [annotator.annotate_example(Example(f"seed-{i}", paragraphs[i])) for i in SEED_LINES]
    assert all(example.spans for example in examples), "the chosen seed paragraphs should get spans"
    emoji_spans = []
    for surface in EMOJI_ENTITIES:
        start = EMOJI_TEXT.index(surface)
        emoji_spans.append(Span(start, start + len(surface), "LOC", "test.hand-made"))
    examples.append(Example(EMOJI_ID, EMOJI_TEXT, tuple(emoji_spans)))
    return examples, list(pack.labels)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; skipped when missing, except on CI where it must be installed.

    Session-scoped and the test's first argument, so a skip comes before doccano is started."""
    return chromium_executable("the web-UI test")


@pytest.fixture
def browser_page(chromium: Path) -> Iterator[Page]:
    with launched_chromium(chromium) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US")
        context.set_default_timeout(TIMEOUT_S * 1000)
        yield context.new_page()


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/auth")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")  # the header has a "Login" button too
    page.wait_for_url("**/projects**")


def open_annotation_page(page: Page, url: str, project_id: int, number: int) -> None:
    # Only ``?page=N``: doccano 1.8.4 reads an empty ``q=`` / ``isChecked=`` of a freshly loaded
    # URL as null and then searches for the word "null" (an empty page).
    page.goto(f"{url}/projects/{project_id}/sequence-labeling?page={number}")
    page.wait_for_selector('svg[id^="svg"] > g > g > text[id]')


def wait_for_example(page: Page, examples: list[Example]) -> tuple[Example | None, Rendered]:
    """Poll the page until it shows one of ``examples`` with all its entities drawn (or time out)."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        rendered = read_rendered(page)
        example = shown_example(rendered, examples)
        if example is not None and rendered.spans == expected_spans(example) and not rendered.problems:
            return example, rendered
        if time.monotonic() > deadline:
            return example, rendered
        time.sleep(0.1)


def test_the_admin_signs_in_through_the_login_form_with_the_credentials_file_of_doccano_up(
    chromium: Path, local_doccano: LocalDoccano, browser_page: Page, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doccano", "up", "--port", str(local_doccano.port)]) == 0
    named = capsys.readouterr().out
    credentials_file = local_doccano.paths.credentials
    assert str(credentials_file) in named  # the file `doccano up` tells the user to open
    credentials = read_credentials(credentials_file)
    assert len(credentials.password) < 30  # doccano 1.8.4's form refuses 30 characters or more

    sign_in(browser_page, credentials.url, credentials.username, credentials.password)
    assert "/projects" in browser_page.url


def test_an_annotator_who_did_not_push_sees_the_arabic_pre_annotations_in_the_web_ui(
    chromium: Path,
    doccano_env: None,
    doccano_admin: Doccano,
    project_name: str,
    browser_page: Page,
    record_property: Callable[[str, object], None],
) -> None:
    examples, labels = pre_annotated_examples()
    report = push(doccano_admin, examples, project_name, labels=labels)
    assert report.verified and report.uploaded == len(examples)
    project = doccano_admin.project(project_name)

    # the account as a lead creates it, with the password from the 0600 file the command names
    username = f"annotator-{uuid.uuid4().hex[:12]}"
    assert main(["doccano", "user", "add", username, "--project", project_name]) == 0
    account = read_account(doccano_admin.url, username)
    assert stat.S_IMODE(account_file(doccano_admin.url, username).stat().st_mode) == 0o600

    page = browser_page
    sign_in(page, doccano_admin.url, account.username, account.password)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    record_property("screenshot", str(SCREENSHOT))
    seen: dict[str, Rendered] = {}
    for number in range(1, len(examples) + 1):
        open_annotation_page(page, doccano_admin.url, project.id, number)
        example, rendered = wait_for_example(page, examples)
        if (
            example is None
            or example.id == EMOJI_ID
            or rendered.problems
            or rendered.spans != expected_spans(example)
        ):
            page.screenshot(path=str(SCREENSHOT), full_page=True)  # the emoji page, or what went wrong
            print(f"\nscreenshot of the annotator's view (page {number}): {SCREENSHOT}")
        assert example is not None, f"page {number} shows none of the pushed texts: {rendered.lines}"
        assert not rendered.problems, rendered.problems
        assert rendered.spans == expected_spans(example), f"page {number} ({example.id})"
        seen[example.id] = rendered
    assert sorted(seen) == sorted(example.id for example in examples)
    # the point of the emoji text: after astral characters and a CRLF, the right words are underlined
    assert seen[EMOJI_ID].spans == tuple(sorted((surface, "LOC") for surface in EMOJI_ENTITIES))
