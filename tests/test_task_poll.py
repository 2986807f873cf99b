"""How often a push or an export asks doccano whether its task is done: soon at first, then less
often, never less often than every ``TASK_POLL_MAX`` seconds. No server: the task check and the
sleep are stand-ins that record what was asked."""

from __future__ import annotations

from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import pytest

from annotator.doccano import connection
from annotator.doccano.connection import TASK_POLL_MAX, TASK_POLL_START, Doccano


def test_the_poll_backs_off_from_its_start_to_a_larger_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    assert TASK_POLL_START < TASK_POLL_MAX
    waits: list[float] = []
    answers = iter(
        [*[SimpleNamespace(ready=False)] * 9, SimpleNamespace(ready=True, error=None, result={"n": 1})]
    )
    doccano = Doccano.__new__(Doccano)  # no login: only wait_task is exercised
    doccano._tasks = SimpleNamespace(get=lambda task_id: next(answers))
    monkeypatch.setattr(doccano, "call", lambda action, function, *args: function(*args), raising=False)
    monkeypatch.setattr(connection.time, "sleep", waits.append)

    result: Any = doccano.wait_task("task-1")

    assert result == {"n": 1}
    assert len(waits) == 9
    assert waits[0] == TASK_POLL_START
    assert all(later >= earlier for earlier, later in pairwise(waits))
    assert waits[1] > waits[0]
    assert max(waits) == TASK_POLL_MAX
