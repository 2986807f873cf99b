"""Team accounts on a real doccano: a lead brings in annotators and an approver with
`annotator doccano user add`, and an annotator's correction comes back in the export."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.doccano.accounts import add_user, check_username, read_account
from annotator.doccano.connection import Doccano
from annotator.doccano.local.credentials import MAX_LOGIN_PASSWORD
from annotator.doccano.offsets import OffsetCodec
from annotator.doccano.push import push
from annotator.errors import ProjectNotFound, UsageError
from annotator.model import Example, Span
from annotator.paths import account_file
from annotator.rules.model import LabelSpec

ROOT = Path(__file__).resolve().parent.parent
LABELS = [LabelSpec("LOC", "#3cb44b"), LabelSpec("PER", "#e6194b")]
TEXT = "زار الوفد طرابلس ثم القاهرة"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("name", ["", "with space", "tab\there", "x" * 151, "a/b"])
def test_user_names_doccano_would_refuse_are_refused_before_any_request(name: str) -> None:
    with pytest.raises(UsageError, match="not a valid doccano user name"):
        check_username(name)


@pytest.mark.doccano
def test_a_lead_brings_in_two_annotators_and_an_approver(
    doccano_env: None, doccano_admin: Doccano, project_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    push(doccano_admin, [Example("one", TEXT)], project_name, labels=LABELS)
    team = {unique("amina"): "annotator", unique("omar"): "annotator", unique("huda"): "annotation_approver"}
    for name, role in team.items():
        assert main(["doccano", "user", "add", name, "--project", project_name, "--role", role]) == 0
        out = capsys.readouterr().out
        account = read_account(doccano_admin.url, name)
        assert f"created the account {name}" in out
        assert f"joined as {role}" in out
        assert str(account_file(doccano_admin.url, name)) in out
        assert account.password not in out  # only the file's path is shown
        assert len(account.password) <= MAX_LOGIN_PASSWORD
        assert stat.S_IMODE(account_file(doccano_admin.url, name).stat().st_mode) == 0o600
        assert stat.S_IMODE(account_file(doccano_admin.url, name).parent.stat().st_mode) == 0o700
        Doccano(account)  # the account signs in with the stored password

    assert main(["doccano", "user", "list", "--project", project_name]) == 0
    members = capsys.readouterr().out
    for name, role in team.items():
        assert any(name in line and role in line for line in members.splitlines()), members
    assert main(["doccano", "user", "list"]) == 0
    accounts = capsys.readouterr().out
    assert all(name in accounts for name in team)


@pytest.mark.doccano
def test_adding_a_user_again_changes_nothing_or_only_the_role(
    doccano_env: None, doccano_admin: Doccano, project_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    push(doccano_admin, [Example("one", TEXT)], project_name, labels=LABELS)
    name = unique("sami")
    first, password = add_user(doccano_admin, name, project=project_name)
    stored = account_file(doccano_admin.url, name).read_text(encoding="utf-8")
    again, no_password = add_user(doccano_admin, name, project=project_name)
    promoted, _ = add_user(doccano_admin, name, project=project_name, role="project_admin")

    assert first.created and first.joined and password is not None
    assert not again.created and not again.joined and again.previous_role is None and no_password is None
    assert promoted.previous_role == "annotator" and promoted.role == "project_admin"
    assert account_file(doccano_admin.url, name).read_text(encoding="utf-8") == stored  # not replaced
    assert json.loads(stored)["password"] == password
    members = {
        m["username"]: m["rolename"] for m in doccano_admin.members(doccano_admin.project(project_name).id)
    }
    assert members[name] == "project_admin"


@pytest.mark.doccano
def test_the_password_is_printed_only_when_asked_for(
    doccano_env: None, doccano_admin: Doccano, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique("rania")
    assert main(["doccano", "user", "add", name, "--show-password"]) == 0
    out = capsys.readouterr().out
    assert read_account(doccano_admin.url, name).password in out


@pytest.mark.doccano
def test_adding_a_user_to_a_missing_project_creates_nothing(
    doccano_env: None, doccano_admin: Doccano, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique("ghost")
    with pytest.raises(ProjectNotFound):
        add_user(doccano_admin, name, project=unique("no such project"))
    assert main(["doccano", "user", "add", name, "--project", unique("missing")]) == 5
    assert "no project named" in capsys.readouterr().err
    assert name not in {user["username"] for user in doccano_admin.users()}
    assert not account_file(doccano_admin.url, name).exists()


@pytest.mark.doccano
def test_an_annotator_account_corrects_and_confirms_an_example_and_the_export_has_the_correction(
    doccano_env: None, doccano_admin: Doccano, project_name: str, tmp_path: Path
) -> None:
    # the rules found one city and mislabelled the other as a person
    cairo = TEXT.index("القاهرة")
    tripoli = TEXT.index("طرابلس")
    pre = (
        Span(tripoli, tripoli + len("طرابلس"), "LOC", "r1"),
        Span(cairo, cairo + len("القاهرة"), "PER", "r2"),
    )
    push(
        doccano_admin,
        [Example("one", TEXT, pre), Example("two", "نص بلا كيانات")],
        project_name,
        labels=LABELS,
    )
    name = unique("annotator")
    assert main(["doccano", "user", "add", name, "--project", project_name]) == 0
    annotator = Doccano(read_account(doccano_admin.url, name))
    project = annotator.project(project_name)

    example = next(e for e in annotator.examples(project.id) if e["text"] == TEXT)
    seen = annotator.spans(project.id, example["id"])
    assert len(seen) == 2  # the annotator sees the pre-annotations the admin pushed
    labels = {label.text: label.id for label in annotator.client.list_label_types(project.id, "span")}
    codec = OffsetCodec.for_original(TEXT)
    wrong = next(s for s in seen if codec.from_doccano(s["start_offset"], is_end=False) == cairo)
    annotator.call(
        "relabel",
        annotator._http.put,
        f"projects/{project.id}/examples/{example['id']}/spans/{wrong['id']}",
        json={**wrong, "label": labels["LOC"]},
    )
    annotator.confirm(project.id, example["id"])

    output = tmp_path / "gold"
    assert main(["export", "--project", project_name, "-o", str(output)]) == 0
    gold = [json.loads(line) for line in (output / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [record["text"] for record in gold] == [TEXT]  # only the confirmed example
    assert sorted(map(tuple, gold[0]["label"])) == sorted(
        [(tripoli, tripoli + len("طرابلس"), "LOC"), (cairo, cairo + len("القاهرة"), "LOC")]
    )
