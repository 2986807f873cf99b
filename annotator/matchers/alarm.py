"""A time limit for a text's whole matching pass, kept by an interval timer (``SIGALRM``).

The ``regex`` module checks for signals while it matches, so a timer interrupts even a
catastrophically backtracking pattern. Arming a timer costs a few system calls per text, where
passing ``timeout=`` to every ``regex`` call costs about 2.5 us per call (a fifth of the whole
pack's matching time). Signals reach only the main thread of a process, and a handler someone else
installed must not be replaced; where either holds, ``armed`` yields ``False`` and the matchers
fall back to ``regex``'s own per-call timeout.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class AlarmExpired(Exception):
    """The text's matching ran past its time limit."""


class TextAlarm:
    """Arms a one-shot timer around one text's matching; raises ``AlarmExpired`` when it rings."""

    def __init__(self) -> None:
        self._active = False

    def _ring(self, signum: int, frame: FrameType | None) -> None:
        if self._active:  # a late signal after the text was done is ignored
            self._active = False
            raise AlarmExpired

    @contextmanager
    def armed(self, seconds: float) -> Iterator[bool]:
        """Run the block under a ``seconds`` limit; yields whether the timer keeps it (else the
        caller must limit its own calls)."""
        if not _timer_is_free():
            yield False
            return
        previous = signal.signal(signal.SIGALRM, self._ring)
        self._active = True
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield True
        finally:
            self._active = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _timer_is_free() -> bool:
    """This thread may use SIGALRM: it is the main thread, and nobody else uses the signal or the timer."""
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )
