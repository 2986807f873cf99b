"""What answers on the local doccano's port: doccano's health checks, and whether the port is free.

``/v1/health/`` tells doccano (a JSON object of named checks) from any other program on the port;
a port that something else holds becomes a ``PortInUse`` error naming what answers there and a
free port to use instead. Only 127.0.0.1 is probed, and never through a proxy.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

import requests

from annotator.errors import PortInUse

#: the only address the local doccano binds to and is asked on
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Health:
    """One answer of ``/v1/health/``: did doccano answer at all, and are all its checks OK."""

    is_doccano: bool
    healthy: bool
    checks: Mapping[str, str] = field(default_factory=dict)


def parse_health(status_code: int, body: str) -> Health:
    """Read an answer of ``/v1/health/`` (asked for as JSON).

    doccano answers a JSON object of check name -> "OK" or an error text, with status 200 when
    every check passes and 500 otherwise. Anything else did not come from doccano.
    """
    try:
        checks = json.loads(body)
    except ValueError:
        return Health(is_doccano=False, healthy=False)
    if not isinstance(checks, dict) or not checks or not all(isinstance(v, str) for v in checks.values()):
        return Health(is_doccano=False, healthy=False)
    if not any("HealthCheck" in key or key.startswith("Cache(") for key in checks):
        return Health(is_doccano=False, healthy=False)
    healthy = status_code == 200 and all(value == "OK" for value in checks.values())
    return Health(is_doccano=True, healthy=healthy, checks=dict(checks))


def probe_health(port: int, timeout: float = 10.0) -> Health | None:
    """Ask ``http://127.0.0.1:port/v1/health/``; None when nothing answers HTTP there."""
    with requests.Session() as session:
        session.trust_env = False  # never send a loopback request through a proxy
        try:
            response = session.get(
                f"http://{HOST}:{port}/v1/health/", headers={"Accept": "application/json"}, timeout=timeout
            )
        except requests.RequestException:
            return None
    return parse_health(response.status_code, response.text)


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether the web server could bind ``host:port`` now (same socket options as gunicorn)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def busy_port_error(port: int, health: Health | None) -> PortInUse:
    """The error for a port that something else holds, saying what answers there if we can tell."""
    if health is not None and health.is_doccano:
        what = "another doccano that this tool did not start from this folder"
    elif health is not None:
        what = "a program that is not doccano"
    else:
        what = "another program"
    free_port = _suggest_port(port)
    return PortInUse(
        f"port {port} on {HOST} is already in use by {what}",
        port=port,
        free_port=free_port,
        hint=f"choose a free port: annotator doccano up --port {free_port}",
    )


def _suggest_port(port: int) -> int:
    for candidate in range(port + 1, min(port + 50, 65536)):
        if port_is_free(candidate):
            return candidate
    return port + 1
