"""Write what ``learn`` found as a rule pack that ``extends`` the pack it learned from.

The folder holds ``pack.yaml`` (``extends``, the disabled rules with their figures in comments),
``learned.yaml`` (one gazetteer rule per label, ``learned.<LABEL>``), the term files under
``gazetteers/learned/``, ``candidate_triggers.tsv`` (for a person to review; not applied),
``evidence.json`` (every figure), ``report.html`` (the base pack scored on the gold, with the
decisions) and a ``README.md``. Nothing in it depends on the time or the
machine beyond the paths given, so learning twice from the same input writes the same bytes. The
folder is staged and moved into place whole; an existing folder is replaced only when ``learn``
wrote it (its ``evidence.json`` says so).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.atomic import StagedFolder
from annotator.errors import OutputError
from annotator.evaluation.learn.decisions import DISABLE, NOT_JUDGED

if TYPE_CHECKING:
    from annotator.evaluation.learn import LearnResult

#: what ``evidence.json`` says made the folder: only such a folder is ever overwritten
MADE_BY = "annotator learn"
EVIDENCE = "evidence.json"
#: the evaluation report of the base pack on the gold, with the decisions
REPORT = "report.html"
TERM_FOLDER = "gazetteers/learned"


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(value, ensure_ascii=False)


def check_output(out: Path) -> None:
    """Refuse an output that is a file, or a non-empty folder that ``learn`` did not write."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file; the learned pack is a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return
    try:
        evidence = json.loads((out / EVIDENCE).read_text(encoding="utf-8"))
        made_by = evidence.get("made_by") if isinstance(evidence, dict) else None
    except (OSError, UnicodeDecodeError, ValueError):
        made_by = None
    if made_by != MADE_BY or not (out / "pack.yaml").is_file():
        raise OutputError(
            f"{out}: exists and was not written by annotator learn; refusing to overwrite it",
            hint="name a new folder (or one an earlier `annotator learn` wrote)",
        )


def base_reference(result: LearnResult, out: Path) -> str:
    """The base pack's folder as ``extends`` names it: relative to ``out`` when possible."""
    base = result.pack.path
    target = out.resolve()
    try:
        common = Path(os.path.commonpath([base, target]))
        relative = Path(os.path.relpath(base, target)).as_posix()
    except ValueError:  # another drive
        return str(base)
    # relative only inside one tree (a project moved or cloned elsewhere keeps working); a path
    # that would climb to the file system's root says more as the absolute one
    return relative if common != Path(common.anchor) else base.as_posix()


def pack_yaml(result: LearnResult, extends: str) -> str:
    settings = result.settings
    base = result.pack
    lines = [
        f"# Written by `{MADE_BY}` from {result.gold_name or 'gold'} (sha256 {result.gold_sha256 or '-'})",
        f"# and {base.fingerprint}; every figure is in evidence.json, how it was made in README.md.",
        f"name: {_quoted(base.name + '-learned')}",
        f"version: {_quoted(base.version + '+' + (result.gold_sha256[:12] or 'learned'))}",
        f"description: {_quoted(f'{base.fingerprint} with what annotator learn found in corrected gold')}",
    ]
    if base.profile:
        lines.append(f"extends: {{pack: {_quoted(extends)}, profile: {_quoted(base.profile)}}}")
    else:
        lines.append(f"extends: {_quoted(extends)}")
    disabled = result.disabled
    lines.append(
        f"# rules with >= {settings.min_hits} spans on gold whose precision's 95% Wilson interval lies "
        f"wholly below {settings.min_precision:g} ({settings.mode} matching):"
    )
    if disabled:
        lines.append("disable:")
        for decision in disabled:
            lines.append(f"  - {decision.rule}  # {decision.comment()}")
    else:
        lines.append("# (none)")
    few = result.too_few
    lines.append(f"# left alone, too few hits to judge (fewer than {settings.min_hits} spans on gold):")
    lines.extend(f"#   {decision.rule}: {decision.comment()}" for decision in few)
    if not few:
        lines.append("#   (none)")
    others = sorted({d.label for d in result.decisions if d.decision == NOT_JUDGED})
    if others:
        lines.append(f"# not judged: the rules of {', '.join(others)} (labels not learned from)")
    return "\n".join(lines) + "\n"


def learned_yaml(result: LearnResult, labels: list[str]) -> str:
    settings = result.settings
    lines = [
        "# Learned gazetteers: gold spans no rule found, tagged in most of their occurrences in gold",
        f"# (matched >= {settings.term_min_count} times, tagged in >= {settings.term_precision:g} "
        "of the matches).",
        "rules:",
    ]
    for label in labels:
        lines.extend(
            [
                f"  - id: {learned_rule_id(result, label)}",
                "    kind: gazetteer",
                f"    label: {label}",
                f"    description: {_quoted(f'{label} names annotators tagged that no base rule found')}",
                f"    files: [{TERM_FOLDER}/{label}.txt]",
            ]
        )
    return "\n".join(lines) + "\n"


def learned_rule_id(result: LearnResult, label: str) -> str:
    """``learned.<LABEL>``, or ``learned.<LABEL>.2`` (...) when the base has a rule of that id (a pack
    learned from a learned pack)."""
    taken = {rule.id for rule in result.pack.all_rules}
    rule_id, number = f"learned.{label}", 1
    while rule_id in taken:
        number += 1
        rule_id = f"learned.{label}.{number}"
    return rule_id


def term_file(result: LearnResult, label: str) -> str:
    settings = result.settings
    terms = sorted({term.written for term in result.learned if term.label == label})
    header = [
        f"# {label} terms learned by `{MADE_BY}` from {result.gold_name or 'gold'} "
        f"(sha256 {result.gold_sha256 or '-'}) with {result.pack.fingerprint}:",
        f"# gold {label} spans that no rule found, kept when the pack's matcher found the term at least "
        f"{settings.term_min_count} times in the gold texts",
        f"# and {settings.term_precision:.0%} or more of those matches were tagged {label} "
        f"({settings.mode} matching). Figures per term: evidence.json.",
    ]
    return "\n".join(header + terms) + "\n"


def triggers_tsv(result: LearnResult) -> str:
    rows = ["label\tside\tword\tcount\toccurrences\tshare"]
    rows.extend(
        f"{t.label}\t{t.side}\t{t.word}\t{t.count}\t{t.occurrences}\t{t.share:.4f}" for t in result.triggers
    )
    return "\n".join(rows) + "\n"


def evidence_json(result: LearnResult, extends: str) -> str:
    data = {
        "made_by": MADE_BY,
        "gold": {
            "file": result.gold_name,
            "sha256": result.gold_sha256,
            "examples": result.examples,
            "spans": result.gold_spans,
            "missed_spans": result.misses,
        },
        "base_pack": {
            "fingerprint": result.pack.fingerprint,
            "extends": extends,
            "profile": result.pack.profile,
        },
        "label_map": dict(sorted(result.label_map.items())),
        "labels": list(result.labels or ()),
        "settings": result.settings.to_json(),
        "rules": [decision.to_json() for decision in result.decisions],
        "terms": [term.to_json() for term in result.terms],
        "candidate_triggers": [trigger.to_json() for trigger in result.triggers],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def readme(result: LearnResult, extends: str, command: str) -> str:
    settings = result.settings
    learned = result.learned
    by_label = {}
    for term in learned:
        by_label[term.label] = by_label.get(term.label, 0) + 1
    counts = ", ".join(f"{count} {label}" for label, count in sorted(by_label.items())) or "none"
    return f"""# {result.pack.name}-learned

A rule pack written by `annotator learn`: it `extends` {result.pack.fingerprint} (`{extends}`) with
what the corrected gold `{result.gold_name or "gold"}` (sha256 `{result.gold_sha256 or "-"}`,
{result.examples} examples, {result.gold_spans} spans, {result.misses} missed by the pack) says
about it. Use it as any pack: `annotator annotate --rules THIS_FOLDER ...`, `annotator rules check
THIS_FOLDER`.

Made with:

```
{command}
```

- `pack.yaml`: {len(result.disabled)} rules disabled (at least {settings.min_hits} spans on gold, and
  the 95% Wilson interval of their precision wholly below {settings.min_precision:g}); the rules with
  too few hits to judge are listed there in comments and left alone. Priorities are not changed.
- `learned.yaml` and `{TERM_FOLDER}/`: learned terms ({counts}): gold spans no rule found, without
  a proclitic the pack's clitic policy leaves out of matches, kept when the pack's own matcher finds
  them at least {settings.term_min_count} times in the gold texts and at least
  {settings.term_precision:.0%} of those matches are tagged with the label ({settings.mode} matching),
  and never when they match the base pack's guard prose.
- `candidate_triggers.tsv`: words that most often stand right before or after missed entities, per
  label and side, with the share of the word's occurrences that do. For a person to review: not applied.
- `evidence.json`: every figure (per rule tp/fp/interval/decision, every candidate term with its
  matches and tagged counts, the thresholds, the gold file's sha256, the base pack's fingerprint).

Running `annotator learn` again with the same input writes the same bytes; it overwrites this folder
(and only a folder it wrote). Edits made here by hand are lost then: copy the folder to keep them.
"""


def default_command(result: LearnResult, out: Path, extends: str) -> str:
    """The command line that makes this pack, as far as the result knows it."""
    settings = result.settings
    parts = ["annotator", "learn", result.gold_name or "GOLD", "--rules", str(result.pack.path)]
    if result.pack.profile:
        parts += ["--profile", result.pack.profile]
    for source, target in sorted(result.label_map.items()):
        parts += ["--map", f"{source}={target}"]
    parts += [
        "--min-precision", f"{settings.min_precision:g}",
        "--min-hits", str(settings.min_hits),
        "--term-precision", f"{settings.term_precision:g}",
        "--term-min-count", str(settings.term_min_count),
        "--mode", settings.mode,
        "-o", str(out),
    ]  # fmt: skip
    return " ".join(parts)


def report_html(result: LearnResult) -> str:
    """The evaluation report of the base pack on the gold, with the decisions, the learned terms and
    the candidate triggers as tables."""
    from annotator.evaluation.report import Table, render_report

    decisions = [
        {
            "rule": decision.rule,
            "label": decision.label,
            "true pos.": decision.tp,
            "false pos.": decision.fp,
            "precision": round(decision.interval.estimate, 3),
            "95% low": round(decision.interval.low, 3),
            "95% high": round(decision.interval.high, 3),
            "decision": decision.decision,
        }
        for decision in sorted(result.decisions, key=lambda d: (d.decision != DISABLE, -d.hits, d.rule))
    ]
    terms = Table(
        "Learned terms",
        [
            {"label": term.label, "term": term.written, "misses": term.misses}
            | {"matches": term.matches, "tagged": term.tagged}
            for term in sorted(result.learned, key=lambda t: (t.label, -t.matches, t.term))
        ],
        columns=("label", "term", "misses", "matches", "tagged"),
        note="Strings annotators tagged that no rule found, kept because they are tagged in most of "
        "their occurrences in the gold.",
    )
    triggers = Table(
        "Candidate triggers (for review, not applied)",
        [trigger.to_json() for trigger in result.triggers],
        note="Words that most often stand right before or after a missed entity.",
    )
    return render_report(
        result.evaluation,
        title=f"annotator learn: {result.pack.fingerprint}",
        sources={"gold": result.gold_name or "(in memory)", "rule pack": result.pack.fingerprint},
        decisions=decisions,
        sections=(terms, triggers),
    )


def write_learned_pack(result: LearnResult, out: Path, command: str | None = None) -> Path:
    """Write ``result`` as a pack in ``out`` (replacing a folder ``learn`` wrote before), checked to
    load before it is moved into place; return ``out``. Raises ``OutputError``."""
    from annotator.rules.loader import load_pack

    check_output(out)
    extends = base_reference(result, out)
    labels = sorted({term.label for term in result.learned})
    files = {
        "pack.yaml": pack_yaml(result, extends),
        "candidate_triggers.tsv": triggers_tsv(result),
        EVIDENCE: evidence_json(result, extends),
        "README.md": readme(result, extends, command or default_command(result, out, extends)),
        REPORT: report_html(result),
    }
    if labels:
        files["learned.yaml"] = learned_yaml(result, labels)
        for label in labels:
            files[f"{TERM_FOLDER}/{label}.txt"] = term_file(result, label)
    with StagedFolder(out, replace=True) as staged:
        try:
            for name, content in files.items():
                path = staged.path / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8", newline="\n")
        except OSError as error:
            raise OutputError(f"{out}: cannot write ({error.strerror or error})") from None
        load_pack(staged.path)  # a learned pack that does not load is a bug: never move it into place
        staged.commit()
    return out
