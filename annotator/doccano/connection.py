"""A logged-in connection to a doccano server, over doccano-client, with clear typed errors.

Credentials come from ``DOCCANO_USERNAME`` / ``DOCCANO_PASSWORD`` (and ``DOCCANO_URL`` or ``--url``),
else from the embedded local server's 0600 credentials file. The password is never printed,
logged, or put in an error message.

Transient failures (connection refused while a server restarts, 502/503/504) are retried with
exponential backoff; every request has a timeout so a hung server cannot hang a run.

Why one module of about 490 lines: ``Doccano`` is a thin method per doccano endpoint the tool uses
(about thirty of them), each a few lines around ``call``, which turns every transport and HTTP
failure into one typed error; splitting the endpoints across modules would scatter that one
translation without making any method shorter.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from doccano_client import DoccanoClient
from doccano_client.exceptions import DoccanoAPIError
from doccano_client.repositories.data_upload import DataUploadRepository
from doccano_client.repositories.task_status import TaskStatusRepository
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from annotator.doccano.local.credentials import Credentials, read_credentials
from annotator.errors import (
    AuthenticationFailed,
    CredentialsMissing,
    DoccanoError,
    ProjectNotFound,
    ServerFailed,
    ServerUnreachable,
    UnsupportedServer,
)
from annotator.paths import local_doccano_paths

URL_ENV = "DOCCANO_URL"
USERNAME_ENV = "DOCCANO_USERNAME"
PASSWORD_ENV = "DOCCANO_PASSWORD"
TASK = "SequenceLabeling"
PAGE_SIZE = 500
#: the encoding of our import files, named in the import request (Python's name for UTF-8)
IMPORT_ENCODING = "utf_8"
#: the first wait between two checks of a doccano task's state: a small import or export is done
#: within tens of milliseconds. Each later wait is 1.5 times longer, up to ``TASK_POLL_MAX``.
TASK_POLL_START = 0.02
#: the longest wait between two checks of a doccano task's state: a check costs the server a few
#: milliseconds, and a longer wait leaves a finished push or export waiting unread (0.25 s cost a
#: bulk push of 2,000 examples about 5 % of its time)
TASK_POLL_MAX = 0.1
#: project fields that doccano 1.8 has and older servers lack
REQUIRED_PROJECT_FIELDS = ("collaborative_annotation", "allow_overlapping", "grapheme_mode", "use_relation")

T = TypeVar("T")


def resolve_credentials(url: str | None = None) -> Credentials:
    """Where to connect and as whom: explicit URL/env first, else the embedded server's file."""
    url = url or os.environ.get(URL_ENV) or None
    username = os.environ.get(USERNAME_ENV)
    password = os.environ.get(PASSWORD_ENV)
    if username and password:
        if url is None:
            url = read_local_url()
        return Credentials(url.rstrip("/"), username, password)
    if bool(username) != bool(password):
        missing = PASSWORD_ENV if username else USERNAME_ENV
        raise CredentialsMissing(f"{missing} is not set", hint=f"set both {USERNAME_ENV} and {PASSWORD_ENV}")
    try:
        local = read_credentials(local_doccano_paths().credentials)
    except CredentialsMissing:
        if url is not None:
            check_reachable(url)
        raise
    if url is not None and url.rstrip("/") != local.url.rstrip("/"):
        check_reachable(url)
        raise CredentialsMissing(
            f"no credentials for {url}",
            hint=f"set {USERNAME_ENV} and {PASSWORD_ENV} (the local credentials file is for {local.url})",
        )
    return local


def check_reachable(url: str, timeout: float = 5.0) -> None:
    """Raise ``ServerUnreachable`` unless something answers HTTP at ``url`` (whatever the answer).

    Asked before complaining about missing credentials: for a URL where nothing listens, "cannot
    reach" is the message that helps.
    """
    try:
        requests.get(f"{url.rstrip('/')}/v1/health/", timeout=timeout, allow_redirects=False)
    except (
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
        requests.exceptions.InvalidURL,
    ):
        raise ServerUnreachable(
            f"{url} is not a doccano URL", hint="give the server's address, e.g. --url http://127.0.0.1:8000"
        ) from None
    except requests.RequestException:
        raise ServerUnreachable(
            f"cannot reach {url}: nothing answers there",
            hint="is doccano running at that address? Check --url / DOCCANO_URL; "
            "start the local one with `annotator doccano up`",
        ) from None


def read_local_url() -> str:
    """The embedded server's URL, for when only username and password were given."""
    return read_credentials(local_doccano_paths().credentials).url


class _TimeoutAdapter(HTTPAdapter):
    """Retries transient failures and puts a timeout on every request."""

    def __init__(self, timeout: float, retries: int) -> None:
        retry = Retry(
            total=retries,
            connect=retries,
            read=0,  # a request that reached the server is not repeated blindly
            status=retries,
            status_forcelist=(502, 503, 504),
            allowed_methods=None,
            backoff_factor=0.5,
            raise_on_status=False,
        )
        super().__init__(max_retries=retry)
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    name: str
    collaborative: bool
    allow_overlapping: bool
    grapheme_mode: bool


class Doccano:
    """One logged-in user on one doccano server. Every call raises this project's typed errors."""

    def __init__(self, credentials: Credentials, *, timeout: float = 120.0, retries: int = 4) -> None:
        self.url = credentials.url.rstrip("/")
        self.username = credentials.username
        self.client = DoccanoClient(self.url)
        # doccano-client keeps its requests session on the base repository; it is the only
        # handle through which a page size, retries and timeouts can be set.
        self._http = self.client._base_repository
        adapter = _TimeoutAdapter(timeout, retries)
        self._http._session.mount("http://", adapter)
        self._http._session.mount("https://", adapter)
        self._uploads = DataUploadRepository(self._http)
        self._tasks = TaskStatusRepository(self._http)
        self._login(credentials)

    # -- errors ------------------------------------------------------------------------------

    def call(self, action: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one client call, translating network and HTTP failures into typed errors."""
        try:
            return function(*args, **kwargs)
        except requests.ConnectionError:
            raise ServerUnreachable(
                f"cannot reach doccano at {self.url} while trying to {action}",
                hint="start the local one with `annotator doccano up`, or check --url / DOCCANO_URL",
            ) from None
        except requests.Timeout:
            raise ServerUnreachable(
                f"doccano at {self.url} did not answer in time while trying to {action}",
                hint="the server may be overloaded; re-run the command (it resumes safely)",
            ) from None
        except DoccanoAPIError as error:
            status = error.response.status_code if error.response is not None else None
            if status in (401, 403):
                raise AuthenticationFailed(
                    f"doccano at {self.url} refused {action} for user {self.username} (HTTP {status})",
                    hint="the session expired or the user lacks rights; check the account",
                ) from None
            if status == 404:
                raise DoccanoError(f"doccano at {self.url}: not found while trying to {action}") from None
            detail = _short_body(error.response)
            kind = ServerFailed if status is not None and status >= 500 else DoccanoError
            failed = kind(
                f"doccano at {self.url} failed to {action} (HTTP {status}){detail}",
                hint="see the server log; for the local server: annotator doccano status",
            )
            failed.status = status
            raise failed from None
        except requests.RequestException as error:  # after DoccanoAPIError, an HTTPError: e.g. a cut answer
            raise ServerUnreachable(
                f"lost the connection to doccano at {self.url} while trying to {action} "
                f"({type(error).__name__})",
                hint="check that the server runs (annotator doccano status); re-run the command "
                "(it resumes safely)",
            ) from None

    def _login(self, credentials: Credentials) -> None:
        try:
            self.call("log in", self.client.login, credentials.username, credentials.password)
        except DoccanoError as error:
            if isinstance(error, ServerUnreachable | ServerFailed):
                raise  # not a verdict on the credentials: the server (or its database) failed
            raise AuthenticationFailed(
                f"doccano at {self.url} refused the credentials of user {credentials.username}",
                hint=f"check {USERNAME_ENV} / {PASSWORD_ENV}, or the local credentials file",
            ) from None

    def get_json(self, action: str, resource: str, **params: Any) -> Any:
        response = self.call(action, self._http.get, resource, params=params or None)
        try:
            return response.json()
        except ValueError:
            raise DoccanoError(
                f"doccano at {self.url} did not answer with JSON while trying to {action}",
                hint="is this URL a doccano 1.8 server? (check --url / DOCCANO_URL)",
            ) from None

    # -- projects and labels -------------------------------------------------------------------

    def find_project(self, name: str) -> ProjectInfo | None:
        """The project with exactly this name, or None."""
        offset = 0
        while True:
            page = self.get_json("list projects", "projects", limit=100, offset=offset, q=name)
            for raw in page.get("results", []):
                if raw.get("name") == name:
                    return self._project_info(raw)
            if not page.get("next"):
                return None
            offset += 100

    def project(self, name: str) -> ProjectInfo:
        found = self.find_project(name)
        if found is None:
            raise ProjectNotFound(
                f'no project named "{name}" on {self.url}', hint="check the name (it is case-sensitive)"
            )
        return found

    def create_project(self, name: str, *, allow_overlapping: bool, guideline: str) -> ProjectInfo:
        self.call(
            f'create project "{name}"',
            self.client.create_project,
            name=name,
            project_type=TASK,
            description="Pre-annotated by annotator; correct the spans, then confirm each example.",
            guideline=guideline,
            collaborative_annotation=True,
            allow_overlapping=allow_overlapping,
            grapheme_mode=False,
        )
        return self.project(name)

    def _project_info(self, raw: dict[str, Any]) -> ProjectInfo:
        missing = [field for field in REQUIRED_PROJECT_FIELDS if field not in raw]
        if missing or raw.get("project_type") is None:
            raise UnsupportedServer(
                f"the server at {self.url} does not offer the doccano 1.8 API "
                f"(projects lack {', '.join(missing)})",
                hint="this tool is tested against doccano 1.8.4",
            )
        return ProjectInfo(
            id=int(raw["id"]),
            name=str(raw["name"]),
            collaborative=bool(raw["collaborative_annotation"]),
            allow_overlapping=bool(raw["allow_overlapping"]),
            grapheme_mode=bool(raw["grapheme_mode"]),
        )

    def check_api(self, project: ProjectInfo) -> None:
        """Check that the server offers what this tool relies on (doccano has no version endpoint)."""
        options = self.call("list import formats", self.client.list_upload_options, project.id)
        if not any(option.name == "JSONL" for option in options):
            raise UnsupportedServer(
                f"the server at {self.url} cannot import JSONL for sequence labelling",
                hint="this tool is tested against doccano 1.8.4",
            )

    def label_types(self, project_id: int) -> dict[str, str]:
        """Existing span label names and their colours."""
        types = self.call("list labels", self.client.list_label_types, project_id, "span")
        return {label.text: label.background_color for label in types}

    def create_label_type(self, project_id: int, name: str, colour: str) -> None:
        self.call(
            f"create label {name}", self.client.create_label_type, project_id, "span", name, color=colour
        )

    # -- examples ------------------------------------------------------------------------------

    def examples(self, project_id: int, confirmed: bool | None = None) -> Iterator[dict[str, Any]]:
        """Every example of a project (id, meta, is_confirmed, comment_count, text), page by page."""
        offset = 0
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        if confirmed is not None:
            params["confirmed"] = "true" if confirmed else "false"
        while True:
            page = self.get_json("list examples", f"projects/{project_id}/examples", offset=offset, **params)
            results = page.get("results", [])
            yield from results
            if not page.get("next") or not results:
                return
            offset += len(results)

    def example_count(self, project_id: int) -> int:
        """How many examples the project holds (one counting query in doccano)."""
        return int(self.get_json("count examples", f"projects/{project_id}/examples", limit=1)["count"])

    def span_counts(self, project_id: int) -> Counter[str]:
        """Spans per label name in the project, summed over its members (doccano's span
        distribution: one aggregate query, whatever the project's size). Spans of users who are
        not members of the project are not counted."""
        distribution = self.get_json("count spans", f"projects/{project_id}/metrics/span-distribution")
        totals: Counter[str] = Counter()
        for per_label in distribution.values():
            totals.update({label: int(count) for label, count in per_label.items() if count})
        return totals

    def spans(self, project_id: int, example_id: int) -> list[dict[str, Any]]:
        return self.get_json("list spans", f"projects/{project_id}/examples/{example_id}/spans")

    def delete_examples(self, project_id: int, example_ids: list[int]) -> None:
        """Delete exactly these examples. (doccano deletes EVERY example when given an empty id
        list - that is how doccano-client's ``delete_all`` works - so an empty list does nothing.)"""
        if not example_ids:
            return
        for start in range(0, len(example_ids), PAGE_SIZE):
            batch = example_ids[start : start + PAGE_SIZE]
            self.call("delete examples", self.client.bulk_delete_examples, project_id, batch)

    def is_confirmed(self, project_id: int, example_id: int) -> bool:
        return bool(
            self.get_json("read example", f"projects/{project_id}/examples/{example_id}")["is_confirmed"]
        )

    def confirm(self, project_id: int, example_id: int) -> None:
        """Mark an example confirmed. The states endpoint TOGGLES, so read the state first."""
        if not self.is_confirmed(project_id, example_id):
            self.call(
                "confirm example", self._http.post, f"projects/{project_id}/examples/{example_id}/states"
            )

    # -- bulk import and export ------------------------------------------------------------------

    def start_import(self, project_id: int, path: Path) -> str:
        """Upload a JSONL file and start doccano's import; return the task id (not yet finished)."""
        upload_id = self.call("upload a file", self._uploads.upload, str(path))
        return self.call(
            "start an import",
            self._uploads.ingest,
            project_id,
            [upload_id],
            TASK,
            "JSONL",
            column_data="text",
            column_label="label",
            # named, so that doccano skips guessing it: chardet misreads small Arabic UTF-8 files,
            # and on a large file its guess took about half of the import's time
            encoding=IMPORT_ENCODING,
        )

    def wait_task(
        self, task_id: str, timeout: float = 900.0, poll: float = TASK_POLL_START
    ) -> dict[str, Any]:
        """Wait for a doccano (Celery) task; return its result. Raise if it failed or timed out.

        Checks after ``poll`` seconds, then backs off by 1.5 each time up to ``TASK_POLL_MAX``."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.call("check a task", self._tasks.get, task_id)
            if status.ready:
                if status.error:
                    raise DoccanoError(f"doccano task {task_id} failed: {status.error}")
                return status.result or {}
            if time.monotonic() > deadline:
                raise DoccanoError(
                    f"doccano task {task_id} did not finish in {timeout:.0f}s",
                    hint="is the task worker running? (annotator doccano status)",
                )
            time.sleep(poll)
            poll = min(poll * 1.5, TASK_POLL_MAX)

    def export(self, project_id: int, only_confirmed: bool) -> list[dict[str, Any]]:
        """Every exported example (doccano JSONL export): {id, text, meta keys..., label, Comments}."""
        option = "JSONL"
        response = self.call(
            "start an export",
            self._http.post,
            f"projects/{project_id}/download",
            json={"format": option, "exportApproved": only_confirmed},
        )
        task_id = response.json()["task_id"]
        self.wait_task(task_id)
        download = self.call(
            "download the export",
            self._http.get,
            f"projects/{project_id}/download",
            params={"taskId": task_id},
        )
        return list(_export_records(download.content))

    # -- users and members (for setting up annotators) -------------------------------------------

    def create_user(self, username: str, password: str) -> int:
        """Create an account (needs a staff account; doccano applies its password rules)."""
        user = self.call(f"create user {username}", self.client.create_user, username, password)
        return int(user.id)

    def users(self) -> list[dict[str, Any]]:
        """Every account: ``{"id", "username", "is_superuser", "is_staff"}``."""
        return list(self.get_json("list users", "users"))

    def roles(self) -> dict[str, int]:
        """doccano's project roles, name -> id (annotator, annotation_approver, project_admin)."""
        return {str(role["name"]): int(role["id"]) for role in self.get_json("list roles", "roles")}

    def members(self, project_id: int) -> list[dict[str, Any]]:
        """The project's members: ``{"id", "user", "role", "username", "rolename"}``."""
        return list(self.get_json("list members", f"projects/{project_id}/members"))

    def add_member(self, project_id: int, user_id: int, role_id: int) -> None:
        """Make an account a member of the project with a role."""
        self.call(
            "add a member to the project",
            self._http.post,
            f"projects/{project_id}/members",
            json={"user": user_id, "role": role_id},
        )

    def change_member_role(self, project_id: int, member_id: int, user_id: int, role_id: int) -> None:
        """Give an existing member another role."""
        self.call(
            "change a member's role",
            self._http.put,
            f"projects/{project_id}/members/{member_id}",
            json={"id": member_id, "user": user_id, "role": role_id},
        )


def _export_records(content: bytes) -> Iterator[dict[str, Any]]:
    """Lines of every JSONL file in doccano's export zip (one file, or one per user)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith(".jsonl"):
                continue
            # split at line feeds only: str.splitlines also splits at U+2028, U+0085 ... that a
            # text may hold, and JSON writes them unescaped
            for line in archive.read(name).decode("utf-8").split("\n"):
                if line.strip():
                    yield json.loads(line)


def _short_body(response: requests.Response | None) -> str:
    if response is None:
        return ""
    text = " ".join(response.text.split())[:200]
    return f": {text}" if text and not text.startswith("<") else ""


def write_import_file(records: list[dict[str, Any]], directory: str | None = None) -> Path:
    """A UTF-8 JSONL file for doccano's import (``start_import`` names the encoding). A record
    with a lone surrogate, which UTF-8 cannot hold, is written ASCII-escaped instead."""
    descriptor, name = tempfile.mkstemp(suffix=".jsonl", prefix="annotator-push-", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding=IMPORT_ENCODING) as handle:
            for record in records:
                try:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                except UnicodeEncodeError:
                    handle.write(json.dumps(record, ensure_ascii=True) + "\n")
    except BaseException:  # a full disk, Ctrl-C: leave no half-written temporary file behind
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)
