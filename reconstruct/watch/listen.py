"""The listening socket for ``serve``, bound before uvicorn starts so that a port already taken
is one line and its own exit code (uvicorn would log and exit 1)."""

from __future__ import annotations

import errno
import socket

from reconstruct.errors import ConfigError


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on host:port. Port taken -> PortInUse; other bind errors ->
    ConfigError naming [serve] host/port."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"[serve] host {host!r} cannot be resolved ({exc.strerror})") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(host, port) from exc
        raise ConfigError(
            f"[serve] host/port: cannot listen on {host}:{port} ({exc.strerror}); choose another "
            "[serve] port or host"
        ) from exc
    return sock


class PortInUse(Exception):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"{host}:{port} is already in use by another process; stop it or set another "
            "[serve] port"
        )
