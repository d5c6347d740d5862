"""A small threaded HTTP(S) server on 127.0.0.1 with a route table, a request log and faults.

Each source's fake (``tests/fakes/<source>.py``) adds routes to one of these. The real SDKs talk
to it over real sockets; TLS uses a trustme test CA that the tool trusts via ``[tls] ca_bundle``.

    server = FakeServer(ca=ca)            # TLS with a cert for 127.0.0.1 (ca=None: plain HTTP)
    server.route("GET", r"/incidents/(?P<id>\\w+)", handler)   # handler(req, match) -> Response
    server.fail_next("GET", r"/incidents/.*", Response(429, {"error": ...}, {"Retry-After": "0"}))
    server.start(); server.base_url  ->  "https://127.0.0.1:PORT"
    server.count("GET", r"/incidents/.*/log_entries")          # requests seen
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-case header names."""
    body: bytes
    form: dict[str, list[str]] = field(default_factory=dict)

    def param(self, name: str, default: str | None = None) -> str | None:
        """A query or form parameter (first value)."""
        values = self.query.get(name) or self.form.get(name)
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        return self.query.get(name, []) + self.form.get(name, [])

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None
    """JSON-encoded unless bytes (sent as is) or str (sent as UTF-8 text)."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (read-timeout faults)."""
    close: bool = False
    """Drop the connection without answering."""
    raw: bytes | None = None
    """Sent as is in place of a response, then the connection is closed: a response cut short
    inside its status line, its headers or a chunked body (``CUT_IN_HEADERS``)."""
    trickle: float = 0.0
    """Seconds between the body's bytes (after the headers): an answer that never stalls long
    enough for a read timeout, yet takes ``len(body) * trickle`` seconds in all."""
    trickle_head: bool = False
    """With ``trickle``: the status line and headers trickle too, so the client is still
    reading the head (inside the SDK's or httpx's send, before any body read of its own)."""

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("Content-Type", "text/plain")
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


Handler = Callable[[Request, "re.Match[str]"], Response]


class FakeServer:
    def __init__(self, *, ca: trustme.CA | None = None, latency: float = 0.0) -> None:
        self.ca = ca
        self.latency = latency
        self.clock: Callable[[], datetime] | None = None
        """The service's own clock for the ``Date`` header (None: the real time); the watcher
        tests set it to their controllable clock, shifted to make a skewed local clock."""
        self.requests: list[Request] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[tuple[str, re.Pattern[str], deque[Response]]] = []
        self._passes: dict[int, int] = {}
        """Per fault (its index in ``_faults``): matching requests still to pass through."""
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration -------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def fail_next(self, method: str, pattern: str, *responses: Response, after: int = 0) -> None:
        """The next matching requests get these responses, in order, before the real handler;
        with ``after``, only once that many matching requests were answered as usual (a
        listing's later page: the path is the same, only the query differs)."""
        with self._lock:
            if after:
                self._passes[len(self._faults)] = after
            self._faults.append((method.upper(), re.compile(pattern), deque(responses)))

    # -- inspection ----------------------------------------------------------------------
    def count(self, method: str | None = None, pattern: str | None = None) -> int:
        regex = re.compile(pattern) if pattern else None
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (regex is None or regex.fullmatch(r.path))
            )

    def unserved_faults(self) -> int:
        """Fault responses queued by ``fail_next`` that no request has received yet (a test of
        a fault that retries hide asserts 0: the fault really happened)."""
        with self._lock:
            return sum(len(queue) for _, _, queue in self._faults)

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        scheme = "https" if self.ca is not None else "http"
        return f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> FakeServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                server._dispatch(self)

            def date_time_string(self, timestamp: float | None = None) -> str:
                if server.clock is None or timestamp is not None:
                    return super().date_time_string(timestamp)
                return format_datetime(server.clock().astimezone(UTC), usegmt=True)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        if self.ca is not None:
            cert = self.ca.issue_cert("127.0.0.1", "localhost")
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ----------------------------------------------------------------
    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        form: dict[str, list[str]] = {}
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = parse_qs(body.decode(), keep_blank_values=True)
        req = Request(
            method=h.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            body=body,
            form=form,
        )
        with self._lock:
            self.requests.append(req)
        response = self._respond(req)
        if self.latency:
            time.sleep(self.latency)
        if response.delay:
            time.sleep(response.delay)
        if response.raw is not None:
            h.close_connection = True
            try:
                h.wfile.write(response.raw)
                h.wfile.flush()
                h.connection.shutdown(2)
            except OSError:
                pass
            return
        if response.close:
            h.close_connection = True
            try:
                h.connection.shutdown(2)
            except OSError:
                pass
            return
        data, content_type = response.encoded()
        if response.trickle and response.trickle_head:
            extra = "".join(
                f"{name}: {value}\r\n"
                for name, value in response.headers.items()
                if name.lower() not in {"content-type", "content-length"}
            )
            head = (
                f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(data)}\r\n{extra}\r\n"
            )
            h.close_connection = True
            try:
                self._trickle(h, head.encode() + data, response.trickle)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass
            return
        try:
            h.send_response(response.status)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(data)))
            for name, value in response.headers.items():
                if name.lower() not in {"content-type", "content-length"}:
                    h.send_header(name, value)
            h.end_headers()
            if response.trickle:
                self._trickle(h, data, response.trickle)
            else:
                h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def _trickle(self, h: BaseHTTPRequestHandler, data: bytes, interval: float) -> None:
        h.wfile.flush()
        for i in range(len(data)):
            if self._httpd is None:  # stopped: the client gets a cut-short body
                return
            h.wfile.write(data[i : i + 1])
            h.wfile.flush()
            time.sleep(interval)

    def _respond(self, req: Request) -> Response:
        with self._lock:
            for index, (method, pattern, queue) in enumerate(self._faults):
                if queue and method == req.method and pattern.fullmatch(req.path):
                    if self._passes.get(index):
                        self._passes[index] -= 1
                        continue
                    return queue.popleft()
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(req.path)
            if match and method == req.method:
                return handler(req, match)
        return Response(404, {"message": f"fake: no route for {req.method} {req.path}"})
