"""Shared fixtures: an isolated environment for every test, a test CA, loopback fake servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from tests.fakes.server import FakeServer

_ENV_PREFIXES = ("RECONSTRUCT_",)
_ENV_NAMES = (
    "PAGERDUTY_TOKEN",
    "SLACK_TOKEN",
    "GITHUB_TOKEN",
    "GRAFANA_TOKEN",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No token, proxy or config from the developer's machine leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_bundle(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test CA as a PEM file, for ``[tls] ca_bundle``."""
    path = tmp_path_factory.mktemp("tls") / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def make_server(ca: trustme.CA) -> Iterator[Callable[..., FakeServer]]:
    """``make_server(tls=True, latency=0.0)`` -> a started FakeServer, stopped after the test."""
    servers: list[FakeServer] = []

    def make(*, tls: bool = True, latency: float = 0.0) -> FakeServer:
        server = FakeServer(ca=ca if tls else None, latency=latency).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
