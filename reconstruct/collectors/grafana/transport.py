"""Grafana's transport: the only module of the source that talks HTTP (``httpx``, imported on
use). One ``httpx.Client`` per collection; ``send`` answers one ``GET /api/annotations`` as a
``Reply`` whose whole body arrived within the request timeout. Retries are not here: the shared
loop (``collectors._http``) decides them from what ``send`` returns or raises
(``NoAnswer``, ``Unreachable``).
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

_STATUSES = {s.value for s in HTTPStatus}


class NoAnswer(Exception):
    """No (whole) answer within the request timeout."""


class Unreachable(Exception):
    """The request did not get through (connection refused or reset, TLS, DNS)."""


class CutShort(Unreachable):
    """The connection closed inside the status line, the headers or the body."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer: status, headers, the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def reason(self) -> str:
        return HTTPStatus(self.status).phrase if self.status in _STATUSES else ""

    def json(self) -> Any:
        return json.loads(self.body)


def client(root: str, headers: Mapping[str, str], verify: ssl.SSLContext, timeout: float) -> Any:
    """An ``httpx.Client`` for Grafana's root URL (close it after use)."""
    import httpx

    return httpx.Client(base_url=root + "/", headers=dict(headers), verify=verify, timeout=timeout)


def send(http: httpx.Client, query: list[tuple[str, str]], timeout: float) -> Reply:
    """``GET api/annotations``: status, headers and the whole body, all within ``timeout``
    seconds (a body trickling in byte by byte is cut at the deadline, not only when one read
    stalls). Raises ``NoAnswer``, ``CutShort`` or ``Unreachable``."""
    import httpx

    deadline = time.monotonic() + timeout
    try:
        with http.stream("GET", "api/annotations", params=tuple(query), timeout=timeout) as got:
            chunks: list[bytes] = []
            for chunk in got.iter_raw():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise NoAnswer(f"the answer took longer than {timeout:.1f}s")
            return Reply(got.status_code, got.headers, b"".join(chunks))
    except httpx.TimeoutException as exc:
        raise NoAnswer(str(exc)) from exc
    except httpx.RemoteProtocolError as exc:
        raise CutShort(str(exc)) from exc
    except httpx.TransportError as exc:
        raise Unreachable(str(exc)) from exc
