"""A fake Grafana HTTP API (annotations only) on a loopback ``FakeServer``.

``GET <prefix>/api/annotations`` answers like Grafana's v9+ handler:

- a bare JSON array of ``ItemDTO``, newest first (``timeEnd`` desc, then ``time`` desc, as
  ``SortedItems`` in ``pkg/services/annotations/models.go``);
- ``from``/``to`` in epoch ms select ``time <= to and timeEnd >= from`` (regions overlapping);
- ``dashboardUID``, ``panelId``, ``type`` (``alert``: alertId set, ``annotation``: not),
  ``tags`` repeated (all must match, or any with ``matchAny=true``), ``limit`` (default 100);
- every field ``omitempty``: zero and empty values are left out;
- ``Authorization: Bearer <token>`` else 401 ``{"message": "Unauthorized"}``; ``forbidden``
  gives 403; an unknown ``dashboardUID`` gives 400 "Invalid dashboard UID in annotation request".

Faults (besides ``server.fail_next``): ``forbidden_dashboards`` (403 for those UIDs only),
``slow_dashboards`` ({uid: seconds} before answering), ``expire_after`` (the token is rejected,
401, after that many answered requests), ``ignore_to`` (``to`` is ignored, as a caching proxy
might: paging by time never moves on).

    grafana = FakeGrafana(make_server(), prefix="/grafana")
    grafana.add(annotation(1, 1_710_000_000_000, "Deployed v2", tags=["deploy"]))
    grafana.url  ->  "https://127.0.0.1:PORT/grafana"
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.model import Window
from tests.fakes.server import FakeServer, Request, Response

TOKEN = "glsa_fake_token_0123456789"
FORBIDDEN_MESSAGE = (
    "You'll need additional permissions to perform this action. "
    "Permissions needed: any of annotations:read"
)


def omit_empty(record: dict[str, Any]) -> dict[str, Any]:
    """Drop zero / empty values, as Go's ``omitempty`` does."""
    return {k: v for k, v in record.items() if v not in (0, "", None, [], {})}


def annotation(
    id: int,
    time: int,
    text: str = "",
    *,
    time_end: int | None = None,
    tags: list[str] | None = None,
    dashboard_uid: str = "",
    panel_id: int = 0,
    login: str = "",
    email: str = "",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A plain annotation as Grafana stores it (all fields; the fake omits empty ones)."""
    return {
        "id": id,
        "alertId": 0,
        "dashboardUID": dashboard_uid,
        "panelId": panel_id,
        "userId": 1 if login else 0,
        "newState": "",
        "prevState": "",
        "created": time,
        "updated": time,
        "time": time,
        "timeEnd": time if time_end is None else time_end,
        "text": text,
        "tags": list(tags or []),
        "login": login,
        "email": email,
        "data": dict(data or {}),
    }


def alert(
    id: int,
    time: int,
    name: str,
    new_state: str,
    prev_state: str = "",
    *,
    alert_id: int = 7,
    text: str = "",
    dashboard_uid: str = "",
    panel_id: int = 0,
) -> dict[str, Any]:
    """An alert state annotation (unified alerting state history)."""
    record = annotation(id, time, text, dashboard_uid=dashboard_uid, panel_id=panel_id)
    record.update(
        {"alertId": alert_id, "alertName": name, "newState": new_state, "prevState": prev_state}
    )
    return record


def window(start: datetime, end: datetime) -> Window:
    return Window(start=start, end=end, leadup_start=start - timedelta(days=14))


def write_bundle(
    dest: Path,
    pages: list[Any] | None,
    *,
    meta: dict[str, Any] | None = None,
    span: Window,
    status: str = "ok",
) -> Bundle:
    """A bundle holding only Grafana's annotation pages (None: no file at all)."""
    with BundleWriter(dest, "PT4KHLK") as writer:
        if pages is not None:
            writer.add("grafana/annotations.json", pages)
        writer.set_source("grafana", status, meta=meta)
        writer.finish(span, span.end)
    return Bundle.open(dest)


class FakeGrafana:
    def __init__(
        self,
        server: FakeServer,
        *,
        prefix: str = "",
        token: str = TOKEN,
        dashboards: tuple[str, ...] = (),
    ) -> None:
        self.server = server
        self.prefix = prefix.rstrip("/")
        self.token = token
        self.records: list[dict[str, Any]] = []
        self.dashboards: set[str] = set(dashboards)
        """Known dashboard UIDs (besides those of added records)."""
        self.forbidden = False
        self.forbidden_dashboards: set[str] = set()
        self.expire_after: int | None = None
        self.ignore_to = False
        self.slow_dashboards: dict[str, float] = {}
        """Seconds each of these dashboards' requests take to answer."""
        self.answered = 0
        self._lock = threading.Lock()
        """Requests answered with the token accepted (what ``expire_after`` counts)."""
        server.route("GET", re.escape(self.prefix) + r"/api/annotations", self._annotations)

    @property
    def url(self) -> str:
        return self.server.base_url + self.prefix

    @property
    def path(self) -> str:
        return self.prefix + "/api/annotations"

    def add(self, *records: dict[str, Any]) -> None:
        for record in records:
            self.records.append(record)
            if record.get("dashboardUID"):
                self.dashboards.add(record["dashboardUID"])

    def requests(self) -> list[Request]:
        return [r for r in self.server.requests if r.path == self.path]

    # -- handler --------------------------------------------------------------------------
    def _annotations(self, req: Request, match: re.Match[str]) -> Response:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Response(401, {"message": "Unauthorized"})
        with self._lock:
            if self.expire_after is not None and self.answered >= self.expire_after:
                return Response(401, {"message": "Unauthorized"})
            self.answered += 1
        uid = req.param("dashboardUID")
        if self.forbidden or (uid and uid in self.forbidden_dashboards):
            return Response(403, {"message": FORBIDDEN_MESSAGE})
        if uid and uid not in self.dashboards:
            return Response(400, {"message": "Invalid dashboard UID in annotation request"})
        try:
            start = int(req.param("from") or 0)
            end = 2**62 if self.ignore_to else int(req.param("to") or 0)
            limit = int(req.param("limit") or 100)
            panel = int(req.param("panelId") or 0)
        except ValueError:
            return Response(400, {"message": "bad request data"})
        kind = req.param("type")
        tags = req.params("tags")
        match_any = (req.param("matchAny") or "").lower() == "true"
        found = []
        for record in self.records:
            t = record.get("time", 0)
            t_end = record.get("timeEnd") or t
            if start > 0 and end > 0 and not (t <= end and t_end >= start):
                continue
            if uid and record.get("dashboardUID") != uid:
                continue
            if panel and record.get("panelId") != panel:
                continue
            if kind == "alert" and not record.get("alertId"):
                continue
            if kind == "annotation" and record.get("alertId"):
                continue
            if tags:
                have = set(record.get("tags") or [])
                hits = [tag in have for tag in tags]
                if not (any(hits) if match_any else all(hits)):
                    continue
            found.append(record)
        found.sort(
            key=lambda r: (r.get("timeEnd") or r.get("time", 0), r.get("time", 0), r.get("id", 0)),
            reverse=True,
        )
        delay = self.slow_dashboards.get(uid or "", 0.0)
        return Response(200, [omit_empty(r) for r in found[:limit]], delay=delay)
