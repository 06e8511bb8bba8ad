"""A Ray cluster confined to this machine's loopback: how the tests and benchmarks run Ray here.

Ray advertises and binds the machine's first non-loopback address even when told
``--node-ip-address=127.0.0.1`` (it resolves "localhost" to a reachable address on
purpose, and its gRPC servers listen on every interface). On machines where traffic to
any address but loopback is off-limits, the tests and benchmarks therefore start Ray
inside a fresh network namespace (``unshare --net``) whose only interface is loopback,
so that every socket Ray opens is a loopback socket, and they pass
``--node-ip-address=127.0.0.1`` besides. ``listening_sockets`` lets a test check it.
"""

from __future__ import annotations

import shutil
import subprocess

SETUP = "ip link set lo up"


def loopback_unavailable() -> str | None:
    """Why a loopback-only network namespace cannot be made here, or None when it can."""
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (util-linux / iproute2)"
    probe = subprocess.run(["unshare", "--net", "sh", "-c", SETUP], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot create a network namespace here: {probe.stderr.strip() or probe.returncode}"
    return None


def in_loopback_namespace(argv: list[str], own_processes: bool = False) -> list[str]:
    """``argv`` wrapped to run in a new network namespace with only loopback up. With ``own_processes``
    also in a PID namespace of its own (with its own /proc): ``ray stop`` finds and kills every Ray
    process it can see, so a test that stops its cluster that way must not see anyone else's (a Ray
    sweep of the same user on this machine lost its raylet to one)."""
    isolation = ["--pid", "--fork", "--mount-proc"] if own_processes else []
    return ["unshare", "--net", *isolation, "sh", "-c", f'{SETUP} && exec "$@"', "sh", *argv]


def listening_sockets() -> list[tuple[str, str, int]]:
    """(process name, address, port) of every listening TCP socket visible here, and the interfaces up."""
    import psutil

    rows = []
    for connection in psutil.net_connections(kind="inet"):
        if connection.status != psutil.CONN_LISTEN:
            continue
        try:
            name = psutil.Process(connection.pid).name() if connection.pid else "?"
        except psutil.Error:
            name = "?"
        rows.append((name, connection.laddr.ip, connection.laddr.port))
    return rows


def interfaces() -> list[str]:
    import socket

    return [name for _, name in socket.if_nameindex()]


LOOPBACK_ADDRESSES = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


__all__ = ["loopback_unavailable", "in_loopback_namespace", "listening_sockets", "interfaces", "LOOPBACK_ADDRESSES"]
