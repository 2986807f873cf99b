"""The embedded local doccano: process bookkeeping without a server, then the real server."""

from __future__ import annotations

import ast
import contextlib
import ipaddress
import json
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
import requests

from annotator.cli import main
from annotator.doccano.local.credentials import (
    MAX_LOGIN_PASSWORD,
    Credentials,
    fits_login_form,
    generate_password,
    read_credentials,
    write_credentials,
)
from annotator.doccano.local.health import parse_health, port_is_free
from annotator.doccano.local.launch import LAUNCHER, PASSWORD_ENV
from annotator.doccano.local.processes import (
    ProcessRecord,
    ServerState,
    read_state,
    record_process,
    stop_processes,
    verified_process,
    write_state,
)
from annotator.doccano.local.server import ADMIN_USERNAME, DOCCANO_PINS, LocalDoccano, pins_text
from annotator.errors import CredentialsMissing, LocalServerError, PortInUse
from annotator.paths import HOME_ENV, LocalDoccanoPaths, local_doccano_paths
from tests.ports import free_port

# --------------------------------------------------------------------------------------------
# helpers


def spawn_sleeper(
    *, ignore_term: bool = False, with_child: bool = False
) -> tuple[subprocess.Popen[str], int]:
    """A process group leader like the servers: returns it and the pid of its child (or 0)."""
    code = ["import signal, subprocess, sys, time"]
    if ignore_term:
        code.append("signal.signal(signal.SIGTERM, signal.SIG_IGN)")
    if with_child:  # like gunicorn and Celery, the leader stops its child when it gets TERM
        code.append("child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)'])")
        code.append("def stop(*_):\n    child.terminate()\n    child.wait()\n    sys.exit(0)")
        code.append("signal.signal(signal.SIGTERM, stop)")
        code.append("print(child.pid, flush=True)")
    else:
        code.append("print(0, flush=True)")
    code.append("time.sleep(3600)")  # outlives any test, however slow the machine; killed at the end
    leader = subprocess.Popen(
        [sys.executable, "-c", "\n".join(code)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert leader.stdout is not None
    child = int(leader.stdout.readline())  # also: the signal handler is in place
    leader.stdout.close()
    return leader, child


def is_dead(pid: int) -> bool:
    """Gone, or a zombie waiting for its parent (it does not run any more)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def non_loopback_ipv4() -> str | None:
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not ipaddress.ip_address(address.address).is_loopback:
                return str(address.address)
    return None


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; whatever is still running at the end is killed and reaped."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the leader and any child it started
        process.wait()


@pytest.fixture
def tmp_paths(tmp_path: Path) -> LocalDoccanoPaths:
    return LocalDoccanoPaths(tmp_path / "doccano")


# --------------------------------------------------------------------------------------------
# state file and stale pids (no server)


def test_state_file_round_trips(tmp_paths: LocalDoccanoPaths) -> None:
    state = ServerState(8642, (ProcessRecord("webserver", 10, 1.5), ProcessRecord("worker", 11, 2.25)))
    write_state(tmp_paths.state, state)
    assert read_state(tmp_paths.state) == state


def test_missing_state_file_means_nothing_was_started(tmp_paths: LocalDoccanoPaths) -> None:
    assert read_state(tmp_paths.state) is None


def test_unreadable_state_file_is_an_error_naming_the_file(tmp_paths: LocalDoccanoPaths) -> None:
    tmp_paths.root.mkdir(parents=True)
    tmp_paths.state.write_text('{"port": 8642, "processes": [{"pid": "x"}]}')
    with pytest.raises(LocalServerError, match="state file") as error:
        read_state(tmp_paths.state)
    assert str(tmp_paths.state) in str(error.value)


def test_recorded_process_is_recognised_by_pid_and_create_time(sleepers: list) -> None:
    leader, _ = spawn_sleeper()
    sleepers.append(leader)
    record = record_process("webserver", leader.pid)
    assert verified_process(record) is not None
    recycled = ProcessRecord("webserver", leader.pid, record.create_time - 3600)
    assert verified_process(recycled) is None


def test_exited_process_is_not_alive(sleepers: list) -> None:
    leader, _ = spawn_sleeper()
    sleepers.append(leader)
    record = record_process("worker", leader.pid)
    leader.kill()
    leader.wait()
    assert verified_process(record) is None
    assert stop_processes([record], timeout=1) == []


def test_stop_leaves_a_process_whose_pid_was_recycled_alone(sleepers: list) -> None:
    leader, _ = spawn_sleeper()
    sleepers.append(leader)
    stale = ProcessRecord("webserver", leader.pid, psutil.Process(leader.pid).create_time() - 3600)
    assert stop_processes([stale], timeout=1) == []
    assert leader.poll() is None


def test_stop_ends_the_recorded_group_with_its_children_and_nothing_else(sleepers: list) -> None:
    leader, child = spawn_sleeper(with_child=True)
    bystander, _ = spawn_sleeper()
    sleepers.extend([leader, bystander])
    stopped = stop_processes([record_process("webserver", leader.pid)], timeout=10)
    assert stopped == sorted([leader.pid, child])
    assert leader.wait(timeout=5) is not None
    assert is_dead(child)
    assert bystander.poll() is None


def test_stop_ends_orphans_left_in_the_group_of_a_leader_that_died(sleepers: list) -> None:
    leader, child = spawn_sleeper(with_child=True)
    sleepers.append(leader)
    record = record_process("worker", leader.pid)
    leader.kill()  # the leader only: its child stays behind in the group
    leader.wait()
    assert not is_dead(child)
    assert stop_processes([record], timeout=10) == [child]
    assert is_dead(child)


def test_stop_kills_a_process_that_ignores_term(sleepers: list) -> None:
    leader, _ = spawn_sleeper(ignore_term=True)
    sleepers.append(leader)
    assert stop_processes([record_process("worker", leader.pid)], timeout=0.5) == [leader.pid]
    assert is_dead(leader.pid)  # TERM was ignored, so only KILL can have ended it


def test_status_and_down_on_a_half_dead_server(tmp_paths: LocalDoccanoPaths, sleepers: list) -> None:
    alive, _ = spawn_sleeper()
    dead, _ = spawn_sleeper()
    sleepers.extend([alive, dead])
    records = (record_process("webserver", alive.pid), record_process("worker", dead.pid))
    dead.kill()
    dead.wait()
    write_state(tmp_paths.state, ServerState(free_port(), records))
    server = LocalDoccano(tmp_paths)

    status = server.status()
    assert (status.running, status.healthy, status.pids) == (False, False, (alive.pid,))

    assert server.down(timeout=5) == [alive.pid]
    assert alive.wait(timeout=5) is not None
    assert not tmp_paths.state.exists()
    assert server.down() == []


# --------------------------------------------------------------------------------------------
# credentials (no server)


def test_credentials_file_is_created_private_even_with_a_permissive_umask(
    tmp_paths: LocalDoccanoPaths,
) -> None:
    previous = os.umask(0)
    try:
        write_credentials(tmp_paths.credentials, Credentials("http://127.0.0.1:1", "admin", "s3cret"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(tmp_paths.credentials.stat().st_mode) == 0o600
    assert read_credentials(tmp_paths.credentials).password == "s3cret"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620])
def test_credentials_open_to_other_users_are_refused(tmp_paths: LocalDoccanoPaths, mode: int) -> None:
    write_credentials(tmp_paths.credentials, Credentials("http://127.0.0.1:1", "admin", "s3cret"))
    tmp_paths.credentials.chmod(mode)
    with pytest.raises(LocalServerError, match="open to other users") as error:
        LocalDoccano(tmp_paths).credentials()
    assert "chmod 600" in str(error.value)
    assert "s3cret" not in str(error.value)


def test_missing_credentials_tell_how_to_create_them(tmp_paths: LocalDoccanoPaths) -> None:
    with pytest.raises(CredentialsMissing, match="annotator doccano up"):
        LocalDoccano(tmp_paths).credentials()


def test_credentials_repr_and_str_hide_the_password() -> None:
    credentials = Credentials("http://127.0.0.1:8642", "admin", "s3cret")
    assert "s3cret" not in repr(credentials)
    assert "s3cret" not in str(credentials)
    assert "admin" in repr(credentials)


def test_admin_password_goes_to_doccano_through_the_environment_only(
    tmp_paths: LocalDoccanoPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(
        LocalDoccano, "_run_logged", lambda self, command, what, env=None: calls.append((command, env))
    )
    LocalDoccano(tmp_paths)._ensure_admin(True, lambda _: None)

    password = read_credentials(tmp_paths.credentials).password
    [(command, env)] = calls
    assert "createuser" in command
    assert all(password not in argument for argument in command)
    assert env[PASSWORD_ENV] == password

    # a later start on another port keeps the account and only updates the URL
    LocalDoccano(tmp_paths, port=9999)._ensure_admin(False, lambda _: None)
    assert len(calls) == 1
    assert read_credentials(tmp_paths.credentials) == Credentials("http://127.0.0.1:9999", "admin", password)


def test_launcher_reads_the_password_from_the_same_variable_and_has_no_password_option() -> None:
    tree = ast.parse(LAUNCHER.read_text(encoding="utf-8"))
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    assert constants["PASSWORD_ENV"] == PASSWORD_ENV
    for command in ([], ["createuser"]):
        help_text = subprocess.run(
            [sys.executable, "-I", str(LAUNCHER), "--data", "d", "--secret-file", "s", *command, "--help"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "--password" not in help_text


# --------------------------------------------------------------------------------------------
# install marker, health answers, busy ports (no server)


def test_install_is_needed_until_the_venv_matches_the_pins(tmp_paths: LocalDoccanoPaths) -> None:
    server = LocalDoccano(tmp_paths)
    assert server.needs_install()
    tmp_paths.python.parent.mkdir(parents=True)
    tmp_paths.python.touch()
    assert server.needs_install()
    marker = tmp_paths.venv / ".annotator-pins"
    marker.write_text(pins_text())
    assert not server.needs_install()
    assert server.install() is False
    marker.write_text(pins_text((*DOCCANO_PINS[:-1], "marshmallow<3.19")))
    assert server.needs_install()


def test_every_pin_says_why_it_exists() -> None:
    source = Path(sys.modules[LocalDoccano.__module__].__file__ or "").read_text(encoding="utf-8")
    for pin in DOCCANO_PINS:
        [line] = [line for line in source.splitlines() if line.strip().startswith(f'"{pin}",')]
        assert "#" in line


def test_health_answer_with_every_check_ok_is_healthy() -> None:
    body = json.dumps(
        {"Cache(alias='default')": "OK", "CeleryHealthCheckCelery": "OK", "MigrationsHealthCheck": "OK"}
    )
    health = parse_health(200, body)
    assert health.is_doccano and health.healthy


def test_health_answer_with_a_failing_check_is_doccano_but_unhealthy() -> None:
    body = json.dumps(
        {"CeleryHealthCheckCelery": "unavailable: Unknown error", "MigrationsHealthCheck": "OK"}
    )
    health = parse_health(500, body)
    assert health.is_doccano and not health.healthy


@pytest.mark.parametrize("body", ["<html>hello</html>", '{"status": "ok"}', "[]", "{}"])
def test_other_answers_are_not_doccano(body: str) -> None:
    assert parse_health(200, body).is_doccano is False


def test_up_refuses_a_busy_port_before_installing_anything_and_names_a_free_one(
    tmp_paths: LocalDoccanoPaths,
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortInUse) as error:
            LocalDoccano(tmp_paths, port=port).up()
        assert port_is_free(error.value.free_port)
    assert error.value.port == port
    assert f"port {port}" in str(error.value)
    assert f"--port {error.value.free_port}" in str(error.value)
    assert not tmp_paths.venv.exists()


class _NotDoccano(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>some other web app</html>")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_cli_up_on_a_port_where_another_program_answers_fails_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    with ThreadingHTTPServer(("127.0.0.1", 0), _NotDoccano) as other:
        thread = threading.Thread(target=other.serve_forever, daemon=True)
        thread.start()
        port = other.server_address[1]
        try:
            code = main(["doccano", "up", "--port", str(port)])
        finally:
            other.shutdown()
            thread.join()
    err = capsys.readouterr().err
    assert code == LocalServerError.exit_code
    assert f"port {port}" in err
    assert "not doccano" in err
    assert "--port" in err


@pytest.mark.parametrize("command", ["up", "down", "status"])
def test_every_doccano_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doccano", command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage" in out
    assert "local doccano" in out


# --------------------------------------------------------------------------------------------
# the real server


@pytest.fixture
def repo_home(local_doccano: LocalDoccano, monkeypatch: pytest.MonkeyPatch) -> LocalDoccano:
    """The CLI, run in-process, sees the same ANNOTATOR_HOME as the session's server."""
    monkeypatch.setenv(HOME_ENV, str(local_doccano.paths.root.parent))
    assert local_doccano_paths() == local_doccano.paths
    return local_doccano


@pytest.mark.doccano
def test_up_again_reuses_the_running_server(local_doccano: LocalDoccano) -> None:
    before = local_doccano.status()
    again = local_doccano.up()
    assert again.started is False
    assert again.pids == before.pids
    assert again.url == before.url


@pytest.mark.doccano
def test_status_reports_running_and_healthy_on_loopback(local_doccano: LocalDoccano) -> None:
    status = local_doccano.status()
    assert status.running and status.healthy
    assert status.url == f"http://127.0.0.1:{local_doccano.port}"
    assert len(status.pids) == 2


@pytest.mark.doccano
def test_credentials_are_private_and_log_in(local_doccano: LocalDoccano) -> None:
    assert stat.S_IMODE(local_doccano.paths.credentials.stat().st_mode) == 0o600
    credentials = local_doccano.credentials()
    assert credentials.url == local_doccano.status().url
    with requests.Session() as session:
        session.trust_env = False
        good = session.post(
            f"{credentials.url}/v1/auth/login/",
            json={"username": credentials.username, "password": credentials.password},
            timeout=10,
        )
        bad = session.post(
            f"{credentials.url}/v1/auth/login/",
            json={"username": credentials.username, "password": "not-" + credentials.password},
            timeout=10,
        )
    assert good.status_code == 200 and "key" in good.json()
    assert bad.status_code != 200


@pytest.mark.doccano
def test_cli_up_and_status_show_where_the_password_is_never_the_password(
    repo_home: LocalDoccano, capsys: pytest.CaptureFixture[str]
) -> None:
    password = repo_home.credentials().password
    port = str(repo_home.port)
    assert main(["doccano", "up", "--port", port]) == 0
    up = capsys.readouterr()
    assert main(["doccano", "status"]) == 0
    status = capsys.readouterr()

    assert f"already running at http://127.0.0.1:{port}" in up.out
    assert str(repo_home.paths.credentials) in up.out
    assert str(repo_home.paths.logs) in up.out
    assert "running" in status.out and f"127.0.0.1:{port}" in status.out
    for text in (up.out, up.err, status.out, status.err):
        assert password not in text


@pytest.mark.doccano
def test_password_is_in_no_log_no_state_and_no_command_line(local_doccano: LocalDoccano) -> None:
    password = local_doccano.credentials().password
    for log in local_doccano.paths.logs.iterdir():
        assert password not in log.read_text(encoding="utf-8", errors="replace"), log
    assert password not in local_doccano.paths.state.read_text(encoding="utf-8")
    for process in psutil.process_iter(["cmdline"]):
        assert password not in " ".join(process.info["cmdline"] or [])


@pytest.mark.doccano
def test_webserver_is_not_reachable_on_a_non_loopback_address(local_doccano: LocalDoccano) -> None:
    address = non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    port = int(local_doccano.status().url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=3):
        pass
    with pytest.raises(OSError), socket.create_connection((address, port), timeout=3):
        pass


@pytest.fixture
def second_home(
    tmp_path: Path, local_doccano: LocalDoccano, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh ANNOTATOR_HOME whose doccano venv is the session server's (no second install)."""
    home = tmp_path / "home"
    (home / "doccano").mkdir(parents=True)
    (home / "doccano" / "venv").symlink_to(local_doccano.paths.venv)
    monkeypatch.setenv(HOME_ENV, str(home))
    yield home
    LocalDoccano(LocalDoccanoPaths(home / "doccano")).down()  # if the test failed half way


@pytest.mark.doccano
@pytest.mark.slow
def test_cli_up_then_down_on_a_fresh_home_stops_exactly_its_own_processes(
    second_home: Path, local_doccano: LocalDoccano, sleepers: list, capsys: pytest.CaptureFixture[str]
) -> None:
    bystander, _ = spawn_sleeper()
    sleepers.append(bystander)
    port = free_port()

    assert main(["doccano", "up", "--port", str(port)]) == 0
    up = capsys.readouterr()
    server = LocalDoccano(local_doccano_paths(), port=port)
    password = server.credentials().password
    assert f"started at http://127.0.0.1:{port}" in up.out
    assert password not in up.out + up.err
    assert stat.S_IMODE(server.paths.credentials.stat().st_mode) == 0o600
    status = server.status()
    assert status.running and status.healthy

    state = read_state(server.paths.state)
    assert state is not None
    leaders = [verified_process(record) for record in state.processes]
    family = {p.pid for p in leaders if p} | {c.pid for p in leaders if p for c in p.children(recursive=True)}
    assert {record.pid for record in state.processes} == set(status.pids)

    assert main(["doccano", "down"]) == 0
    down = capsys.readouterr().out
    listed = {int(pid) for pid in down.split("processes ")[1].rstrip(")\n").split(", ")}
    assert listed == family
    assert all(is_dead(pid) for pid in family)
    assert not server.paths.state.exists()
    assert bystander.poll() is None
    assert local_doccano.status().healthy  # the session's server on its own home is untouched

    assert main(["doccano", "down"]) == 0
    assert "was not running" in capsys.readouterr().out
    assert main(["doccano", "status"]) == 0
    assert "stopped" in capsys.readouterr().out


def login_status(url: str, username: str, password: str) -> int:
    """The HTTP status of a REST login (200 when doccano accepts the password)."""
    with requests.Session() as session:
        session.trust_env = False
        answer = session.post(
            f"{url}/v1/auth/login/", json={"username": username, "password": password}, timeout=10
        )
    return answer.status_code


@pytest.mark.doccano
@pytest.mark.slow
def test_up_repairs_a_stored_admin_password_too_long_for_the_login_form(
    second_home: Path, local_doccano: LocalDoccano
) -> None:
    server = LocalDoccano(local_doccano_paths(), port=free_port())
    server.up()
    try:
        # what installs made before passwords were kept short: 32 characters, refused by the form
        too_long = secrets.token_urlsafe(24)
        server.set_admin_password(too_long)
        write_credentials(server.paths.credentials, Credentials(server.url, ADMIN_USERNAME, too_long))
        assert login_status(server.url, ADMIN_USERNAME, too_long) == 200

        steps: list[str] = []
        again = server.up(on_step=steps.append)  # the server runs: reused, and the password repaired
        repaired = server.credentials()

        assert not again.started
        assert len(repaired.password) <= MAX_LOGIN_PASSWORD and repaired.password != too_long
        assert any("too long for doccano's login form" in step for step in steps)
        assert too_long not in " ".join(steps)
        assert login_status(server.url, ADMIN_USERNAME, repaired.password) == 200
        assert login_status(server.url, ADMIN_USERNAME, too_long) != 200
        assert stat.S_IMODE(server.paths.credentials.stat().st_mode) == 0o600
    finally:
        server.down()


def test_generated_passwords_fit_the_login_form_and_stay_long() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(20 <= len(password) <= MAX_LOGIN_PASSWORD for password in passwords)
    assert all(fits_login_form(password) for password in passwords)
    assert not fits_login_form("x" * 30) and not fits_login_form("")
