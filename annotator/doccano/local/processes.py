"""Which processes the annotator started for the local doccano, and how they are stopped.

Every process group leader ``up`` starts is recorded by pid *and* creation time in the state file,
so that checking or stopping never touches a process that merely inherited a recycled pid;
stopping sends TERM to the leaders, waits, then KILLs their groups and whatever is left, and reaps
the children of this process so that none stays a zombie.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from annotator.atomic import write_text_atomically
from annotator.errors import LocalServerError

STOP_KILL_GRACE = 5.0
#: psutil derives creation times from the boot time, which the kernel reports with up to a second
#: of jitter between readings; a pid recycled within a second of the original start is no concern.
CREATE_TIME_TOLERANCE = 1.0

#: Popen objects of the servers started by this process, kept so that they are reaped (no
#: zombies, no "subprocess still running" warnings) when ``down`` runs in the same process.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def keep_child(child: subprocess.Popen[bytes]) -> None:
    """Remember a server process this process started, so that stopping it also reaps it."""
    _CHILDREN[child.pid] = child


@dataclass(frozen=True)
class ProcessRecord:
    """One process group leader started by this tool, identified by pid and creation time."""

    role: str
    pid: int
    create_time: float


@dataclass(frozen=True)
class ServerState:
    """Contents of the state file: the port and the process group leaders of a started server."""

    port: int
    processes: tuple[ProcessRecord, ...]

    def to_json(self) -> str:
        """Serialise for the state file."""
        processes = [{"role": p.role, "pid": p.pid, "create_time": p.create_time} for p in self.processes]
        return json.dumps({"port": self.port, "processes": processes}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ServerState:
        """Parse a state file; ``ValueError`` (or ``KeyError``/``TypeError``) when malformed."""
        data = json.loads(text)
        processes = tuple(
            ProcessRecord(role=str(p["role"]), pid=int(p["pid"]), create_time=float(p["create_time"]))
            for p in data["processes"]
        )
        return cls(port=int(data["port"]), processes=processes)


def read_state(path: Path) -> ServerState | None:
    """The recorded server, or None when no state file exists.

    A state file that cannot be parsed is an error rather than "nothing runs": it may describe
    processes that still hold the port, and guessing which they are is how the wrong ones get killed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return ServerState.from_json(text)
    except (ValueError, KeyError, TypeError) as error:
        raise LocalServerError(
            f"the state file {path} is unreadable ({error})",
            hint="stop any doccano processes it described by hand, then delete the file",
        ) from error


def write_state(path: Path, state: ServerState) -> None:
    """Write the state file atomically (a reader never sees half of it)."""
    write_text_atomically(path, state.to_json())


def verified_process(record: ProcessRecord) -> psutil.Process | None:
    """The live process ``record`` describes, or None if it is gone, a zombie, or a recycled pid."""
    try:
        process = psutil.Process(record.pid)
        if abs(process.create_time() - record.create_time) > CREATE_TIME_TOLERANCE:
            return None  # the pid now belongs to another process
        if process.status() == psutil.STATUS_ZOMBIE:
            _reap(record.pid)
            return None
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return process


def leader_exited(record: ProcessRecord) -> bool:
    """Whether the recorded process has exited: its pid is unused, or held by its own zombie.

    False while the pid belongs to another process (a recycled pid): that process, and any group
    named after it, is not ours.
    """
    try:
        process = psutil.Process(record.pid)
        same = abs(process.create_time() - record.create_time) <= CREATE_TIME_TOLERANCE
        return same and process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.AccessDenied:
        return False


def live_processes(state: ServerState) -> list[psutil.Process]:
    """The recorded processes that are still ours and alive."""
    return [p for p in map(verified_process, state.processes) if p is not None]


def record_process(role: str, pid: int) -> ProcessRecord:
    """Record a just-started process with the creation time that identifies it."""
    try:
        create_time = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        create_time = 0.0  # already gone: a record that never verifies
    return ProcessRecord(role=role, pid=pid, create_time=create_time)


def stop_processes(
    records: tuple[ProcessRecord, ...] | list[ProcessRecord], timeout: float = 20.0
) -> list[int]:
    """Stop the recorded process groups: TERM, wait up to ``timeout`` s, then KILL what is left.

    TERM goes to each group *leader* (gunicorn's master, Celery's main process), which stops its
    own children; TERM to the whole group at once left Celery's warm shutdown hanging until the
    KILL in about half of the trials. KILL then goes to the whole group and every leftover.

    Only verified processes (pid and creation time match) and their descendants are touched, plus
    orphans left in the group of a leader that already exited (the kernel does not reuse a pid
    while a process group of that id exists, so those are ours). Returns the pids stopped.
    """
    targets: dict[int, psutil.Process] = {}
    leaders: list[psutil.Process] = []
    for record in records:
        leader = verified_process(record)
        if leader is not None:
            leaders.append(leader)
            targets[leader.pid] = leader
            targets.update((child.pid, child) for child in _descendants(leader))
        elif leader_exited(record):
            orphans = _group_members(record.pid)
            targets.update((orphan.pid, orphan) for orphan in orphans)
            for orphan in orphans:
                _signal(orphan, signal.SIGTERM)
    if not targets:
        return []
    for leader in leaders:
        _signal(leader, signal.SIGTERM)
    left = _wait_gone(list(targets.values()), timeout)
    if left:
        for leader in leaders:
            _signal_group(leader, signal.SIGKILL)
        for process in left:
            _signal(process, signal.SIGKILL)
        left = _wait_gone(left, STOP_KILL_GRACE)
    if left:
        pids = ", ".join(str(p.pid) for p in left)
        raise LocalServerError(f"processes {pids} of the local doccano survived SIGKILL")
    return sorted(targets)


def _descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter():
        with contextlib.suppress(OSError, psutil.Error):
            if os.getpgid(process.pid) == pgid:
                members.append(process)
    return members


def _signal_group(leader: psutil.Process, signum: int) -> None:
    """Signal the whole group of a verified, still running leader (``start_new_session`` made it)."""
    try:
        if leader.is_running() and os.getpgid(leader.pid) == leader.pid:
            os.killpg(leader.pid, signum)
        else:
            leader.send_signal(signum)
    except (ProcessLookupError, psutil.NoSuchProcess):
        pass


def _signal(process: psutil.Process, signum: int) -> None:
    # psutil checks that the pid still belongs to the same process before signalling
    with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
        process.send_signal(signum)


def _reap(pid: int) -> None:
    """Collect the exit status of a child of this process so it does not stay a zombie."""
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.poll()
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _is_gone(process: psutil.Process) -> bool:
    try:
        if process.status() == psutil.STATUS_ZOMBIE:
            _reap(process.pid)
            return True
        return not process.is_running()
    except psutil.NoSuchProcess:
        _reap(process.pid)
        return True


def _wait_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until every process has exited (zombies count as exited); return those still alive."""
    deadline = time.monotonic() + timeout
    left = [p for p in processes if not _is_gone(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in left if not _is_gone(p)]
    return left
