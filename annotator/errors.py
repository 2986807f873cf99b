"""Typed errors raised by the library; only the CLI turns them into messages and exit codes.

Every error carries a one-sentence message that says what went wrong and, where there is one,
what to do about it. ``exit_code`` is the process exit status the CLI uses (see README,
"Exit codes").
"""

from __future__ import annotations

from dataclasses import dataclass


class AnnotatorError(Exception):
    """Base class of every error this project raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


@dataclass(frozen=True)
class Problem:
    """One problem found in a rule pack, located as precisely as the loader can."""

    file: str
    line: int | None
    rule: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        rule = f" [rule {self.rule}]" if self.rule else ""
        return f"{where}{rule}: {self.message}"


class RulePackError(AnnotatorError):
    """A rule pack is invalid. Holds *every* problem found, not only the first."""

    exit_code = 3

    def __init__(self, pack: str, problems: list[Problem]) -> None:
        self.pack = pack
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"rule pack {pack} has {count} {noun}")

    def __str__(self) -> str:
        lines = [self.message] + [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


class RuleExamplesFailed(RulePackError):
    """A pack loaded, but some rules' own examples did not produce the expected spans."""

    exit_code = 8


class UsageError(AnnotatorError):
    """A command was given a value it cannot use (a bad name, an unknown choice)."""

    exit_code = 2


class InputError(AnnotatorError):
    """An input corpus file cannot be read (missing, not UTF-8, malformed line)."""

    exit_code = 4


class OutputError(AnnotatorError):
    """An output file or folder cannot be written."""

    exit_code = 4


class DoccanoError(AnnotatorError):
    """Talking to doccano failed in a way the user must act on."""

    exit_code = 5
    #: the HTTP status doccano answered with, when it answered one
    status: int | None = None


class ServerFailed(DoccanoError):
    """doccano answered with a server error (HTTP 5xx): its database or its code failed, not the request."""


class ServerUnreachable(DoccanoError):
    """No doccano answers at the URL."""


class AuthenticationFailed(DoccanoError):
    """The server answered, but refused the credentials or the session expired."""

    exit_code = 6


class CredentialsMissing(DoccanoError):
    """No credentials in the environment and no embedded-server credentials file."""

    exit_code = 6


class ProjectNotFound(DoccanoError):
    """The named doccano project does not exist (and this command does not create it)."""


class UnsupportedServer(DoccanoError):
    """The server does not offer the doccano 1.8 API this tool relies on."""


class LocalServerError(AnnotatorError):
    """The embedded local doccano could not be installed, started, or stopped."""

    exit_code = 5


class PortInUse(LocalServerError):
    """The local doccano's port is held by another program, or by a doccano of another folder."""

    def __init__(self, message: str, *, port: int, free_port: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.port = port
        #: a port near ``port`` that was free when the error was raised
        self.free_port = free_port


class ClusterError(AnnotatorError):
    """The Dask cluster cannot be reached, lost the work, or the ``dask`` extra is not installed."""

    exit_code = 10


class VerificationFailed(AnnotatorError):
    """Data did not arrive intact: doccano dropped examples or spans, or an export disagrees."""

    exit_code = 7


class TimeLimitExceeded(AnnotatorError):
    """A rule ran past its time limit on one text (a catastrophically backtracking regex)."""

    exit_code = 9

    def __init__(self, rule: str, seconds: float, example: str | None = None) -> None:
        where = f" on example {example}" if example else ""
        super().__init__(
            f"rule {rule} ran longer than {seconds:g}s{where}",
            hint="the regex backtracks catastrophically; make it more specific "
            "(bounded repeats, no nested quantifiers) or raise match_timeout in pack.yaml",
        )
        self.rule = rule
        self.seconds = seconds
        self.example = example

    def __reduce__(self) -> tuple[type, tuple[str, float, str | None]]:
        # rebuilt from its own arguments: a worker process hands it to the parent by pickling, and
        # the default (the message alone) cannot be unpickled, which left the process pool hanging
        return (type(self), (self.rule, self.seconds, self.example))
