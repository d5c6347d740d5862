"""A fake Slack Web API on the loopback FakeServer, in Slack's wire format.

    fake = FakeSlack(server, token="xoxb-test")        # routes POST/GET /api/<method>
    fake.add_user("U1", "ana", display_name="Ana")
    fake.add_channel("C1", "inc-1234", messages=[...]) # messages in any order, replies included
    fake.not_in_channel.add("C2"); fake.missing_scope["users.list"] = "users:read"
    fake.add_channel("G1", "mpdm-ana--bo-1", mpim=True); fake.lacking_scopes.add("mpim:read")
    fake.rate_limit("conversations.history", times=1, retry_after=0)
    fake.inject("conversations.history", Response(503, "<html>"), after=2, channel="C1")
    fake.expire_token_after = 5; fake.repeat_cursor["conversations.history"] = 3
    base_url = fake.base_url                           # ".../api/" for [slack] base_url

Behaviour (WIRE-FORMATS.md section 2): always HTTP 200 with an ``ok`` flag, except 429 (integer
Retry-After, ``{"ok": false, "error": "ratelimited"}``); cursor pagination with
``response_metadata.next_cursor`` ("" at the end) and ``has_more``; history newest first,
honouring oldest/latest/inclusive/limit, top-level messages and broadcasts only; replies parent
first then oldest first; Bearer token check; per-channel not_in_channel; missing_scope with
needed/provided; conversations.list lists only the ``types`` asked for (a type needing a scope
in ``lacking_scopes`` answers missing_scope). ``page_cap[method]`` caps pages below the requested
limit (Slack may do so).

Faults (the fault matrix, ``tests/faults.py``): ``inject(method, *responses, after=n, channel=c)``
answers the matching requests after the first ``n`` with these responses, in order;
``expire_token_after = n`` answers ``token_expired`` to every API request after the first ``n``;
``repeat_cursor[method] = p`` makes page ``p`` (>= 3) point back to page ``p - 1`` (a cursor loop).

Writes (the slack sink): ``files.getUploadURLExternal`` hands out an upload URL on this server
(``/upload/v1/<file_id>``, no token, like files.slack.com); ``files.completeUploadExternal``
shares uploaded files into ``channel_id`` (not_in_channel applies) and records them in
``fake.shared``; ``chat.postMessage`` records into ``fake.posted``. ``fake.uploads`` holds the
uploaded bytes by file ID.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.fakes.server import FakeServer, Request, Response

SCOPES = "channels:read,channels:history,groups:read,groups:history,users:read"


TYPE_SCOPES = {
    "public_channel": "channels:read",
    "private_channel": "groups:read",
    "mpim": "mpim:read",
    "im": "im:read",
}
"""conversations.list ``types`` -> the read scope each needs."""


def _conversation_type(chan: dict[str, Any]) -> str:
    if chan.get("is_im"):
        return "im"
    if chan.get("is_mpim"):
        return "mpim"
    return "private_channel" if chan.get("is_private") else "public_channel"


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    return int(base64.b64decode(cursor).decode().split(":", 1)[1])


def _ts(value: str) -> Decimal:
    return Decimal(value)


@dataclass
class _Fault:
    method: str
    channel: str | None
    skip: int
    responses: list[Response] = field(default_factory=list)


class FakeSlack:
    def __init__(self, server: FakeServer, *, token: str = "xoxb-test-token") -> None:
        self.server = server
        self.token = token
        self.team_url = "https://acme.slack.com/"
        self.bot_user = "reconstruct"
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.not_in_channel: set[str] = set()
        self.missing_scope: dict[str, str] = {}
        self.lacking_scopes: set[str] = set()
        """Read scopes the token lacks: conversations.list refuses the types needing them."""
        self.page_cap: dict[str, int] = {}
        """method -> most items per page, below the requested limit (Slack may return fewer)."""
        self.max_limit: dict[str, int] = {}
        """method -> the largest ``limit`` it accepts; a larger one is refused with
        ``invalid_limit`` (an app whose limits Slack lowered)."""
        self.uploads: dict[str, bytes] = {}
        self.pending: dict[str, dict[str, Any]] = {}
        self.shared: list[dict[str, Any]] = []
        self.posted: list[dict[str, Any]] = []
        self.expire_token_after: int | None = None
        self.repeat_cursor: dict[str, int] = {}
        self._faults: list[_Fault] = []
        self._api_calls = 0
        self._lock = threading.Lock()
        server.route("POST", r"/api/(?P<method>[\w.]+)", self._handle)
        server.route("POST", r"/upload/v1/(?P<file_id>\w+)", self._upload)
        server.route("GET", r"/api/(?P<method>[\w.]+)", self._handle)

    # -- setup -----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"{self.server.base_url}/api/"

    def add_user(
        self,
        uid: str,
        name: str,
        *,
        display_name: str = "",
        real_name: str = "",
        is_bot: bool = False,
    ) -> None:
        self.users[uid] = {
            "id": uid,
            "team_id": "T1",
            "name": name,
            "deleted": False,
            "real_name": real_name or name,
            "is_bot": is_bot,
            "profile": {"display_name": display_name, "real_name": real_name or name},
        }

    def add_channel(
        self,
        cid: str,
        name: str,
        *,
        messages: list[dict[str, Any]] | None = None,
        private: bool = False,
        mpim: bool = False,
    ) -> None:
        """A public channel, a private one, or (``mpim``) a group DM named ``mpdm-a--b-1``
        (conversation object: https://docs.slack.dev/reference/objects/conversation-object)."""
        private = private or mpim
        self.channels[cid] = {
            "id": cid,
            "name": name,
            "name_normalized": name,
            "is_channel": not private,
            "is_group": private and not mpim,
            "is_mpim": mpim,
            "is_im": False,
            "is_private": private,
            "is_archived": False,
            "created": 1700000000,
        }
        self.messages[cid] = [dict(m) for m in messages or []]

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 0) -> None:
        body = {"ok": False, "error": "ratelimited"}
        response = Response(429, body, {"Retry-After": str(retry_after)})
        self.server.fail_next("POST", rf"/api/{method.replace('.', '[.]')}", *[response] * times)

    def inject(
        self, method: str, *responses: Response, after: int = 0, channel: str | None = None
    ) -> None:
        """The requests to ``method`` (for ``channel`` when given) after the first ``after`` get
        these responses, in order; then the real answers again."""
        with self._lock:
            self._faults.append(_Fault(method, channel, after, list(responses)))

    def _fault(self, method: str, req: Request) -> Response | None:
        with self._lock:
            self._api_calls += 1
            if self.expire_token_after is not None and self._api_calls > self.expire_token_after:
                return self._err("token_expired")
            for fault in self._faults:
                if fault.method != method or not fault.responses:
                    continue
                if fault.channel is not None and req.param("channel") != fault.channel:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                return fault.responses.pop(0)
        return None

    def unserved_faults(self) -> int:
        """Injected responses (``inject`` and the server's ``fail_next``) not yet served."""
        with self._lock:
            mine = sum(len(fault.responses) for fault in self._faults)
        return mine + self.server.unserved_faults()

    def count(self, method: str) -> int:
        return self.server.count(None, rf"/api/{method.replace('.', '[.]')}")

    # -- dispatch --------------------------------------------------------------------------
    def _handle(self, req: Request, match: Any) -> Response:
        method = match["method"]
        injected = self._fault(method, req)
        if injected is not None:
            return injected
        auth = req.headers.get("authorization", "")
        if not auth:
            return self._err("not_authed")
        if auth != f"Bearer {self.token}":
            return self._err("invalid_auth")
        if method in self.missing_scope:
            return Response(
                200,
                {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": self.missing_scope[method],
                    "provided": "channels:read",
                },
            )
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return self._err("unknown_method")
        if method in self.max_limit and int(req.param("limit") or 0) > self.max_limit[method]:
            return self._err("invalid_limit")
        result: Response = handler(req)
        return result

    @staticmethod
    def _err(code: str) -> Response:
        return Response(200, {"ok": False, "error": code})

    def _limit(self, req: Request, default: int = 100) -> int:
        limit = int(req.param("limit") or default) or default
        cap = self.page_cap.get(req.path.rsplit("/", 1)[-1])
        return min(limit, 1000, cap or 1000)

    def _page(self, req: Request, key: str, items: list[Any], default: int = 100) -> dict[str, Any]:
        start = _offset(req.param("cursor"))
        limit = self._limit(req, default)
        chunk = items[start : start + limit]
        more = start + limit < len(items)
        nxt = _cursor(start + limit) if more else ""
        loop_at = self.repeat_cursor.get(req.path.rsplit("/", 1)[-1])
        if loop_at is not None and loop_at >= 3 and start == (loop_at - 1) * limit:
            nxt = _cursor(start - limit)  # back to the previous page: a cursor loop
        return {
            "ok": True,
            key: chunk,
            "has_more": more or bool(nxt),
            "response_metadata": {"next_cursor": nxt},
        }

    def _channel(self, req: Request) -> tuple[str | None, Response | None]:
        cid = req.param("channel")
        if not cid or cid not in self.channels:
            return None, self._err("channel_not_found")
        return cid, None

    # -- methods ---------------------------------------------------------------------------
    def _auth_test(self, req: Request) -> Response:
        return Response(
            200,
            {
                "ok": True,
                "url": self.team_url,
                "team": "Acme",
                "user": self.bot_user,
                "team_id": "T1",
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
            },
        )

    def _conversations_list(self, req: Request) -> Response:
        """Only the ``types`` asked for (default public_channel); a type whose read scope is in
        ``lacking_scopes`` answers missing_scope naming it, as Slack does."""
        types = (req.param("types") or "public_channel").split(",")
        for kind in types:
            needed = TYPE_SCOPES.get(kind)
            if needed in self.lacking_scopes:
                body = {"ok": False, "error": "missing_scope", "needed": needed}
                return Response(200, {**body, "provided": SCOPES})
        chans = [c for c in self.channels.values() if _conversation_type(c) in types]
        return Response(200, self._page(req, "channels", chans))

    def _conversations_info(self, req: Request) -> Response:
        cid, err = self._channel(req)
        if err:
            return err
        assert cid is not None
        return Response(200, {"ok": True, "channel": self.channels[cid]})

    def _in_range(self, req: Request, ts: str) -> bool:
        inclusive = req.param("inclusive") in ("1", "true")
        value = _ts(ts)
        oldest, latest = req.param("oldest"), req.param("latest")
        if oldest and (value < _ts(oldest) or (value == _ts(oldest) and not inclusive)):
            return False
        if latest and (value > _ts(latest) or (value == _ts(latest) and not inclusive)):
            return False
        return True

    def _conversations_history(self, req: Request) -> Response:
        cid, err = self._channel(req)
        if err:
            return err
        assert cid is not None
        if cid in self.not_in_channel:
            return self._err("not_in_channel")
        top = [
            m
            for m in self.messages[cid]
            if (m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast")
            and self._in_range(req, m["ts"])
        ]
        top.sort(key=lambda m: _ts(m["ts"]), reverse=True)
        body = self._page(req, "messages", top)
        body["pin_count"] = 0
        return Response(200, body)

    def _conversations_replies(self, req: Request) -> Response:
        cid, err = self._channel(req)
        if err:
            return err
        assert cid is not None
        if cid in self.not_in_channel:
            return self._err("not_in_channel")
        ts = req.param("ts")
        parent = next((m for m in self.messages[cid] if m["ts"] == ts), None)
        if parent is None:
            return self._err("thread_not_found")
        replies = sorted(
            (
                m
                for m in self.messages[cid]
                if m.get("thread_ts") == ts and m["ts"] != ts and self._in_range(req, m["ts"])
            ),
            key=lambda m: _ts(m["ts"]),
        )
        return Response(200, self._page(req, "messages", [parent, *replies], default=1000))

    def _users_list(self, req: Request) -> Response:
        body = self._page(req, "members", list(self.users.values()), default=1000)
        body["cache_ts"] = 1700000000
        return Response(200, body)

    def _users_info(self, req: Request) -> Response:
        user = self.users.get(req.param("user") or "")
        if user is None:
            return self._err("user_not_found")
        return Response(200, {"ok": True, "user": user})

    def _chat_getPermalink(self, req: Request) -> Response:
        cid, err = self._channel(req)
        if err:
            return err
        ts = str(req.param("message_ts"))
        return Response(
            200,
            {
                "ok": True,
                "channel": cid,
                "permalink": f"{self.team_url}archives/{cid}/p{ts.replace('.', '')}",
            },
        )

    # -- writes ----------------------------------------------------------------------------
    def _files_getUploadURLExternal(self, req: Request) -> Response:
        filename, length = req.param("filename"), req.param("length")
        if not filename or not length:
            return self._err("invalid_arguments")
        file_id = f"F{len(self.pending) + 1:07d}"
        self.pending[file_id] = {"filename": filename, "length": int(length)}
        return Response(
            200,
            {
                "ok": True,
                "upload_url": f"{self.server.base_url}/upload/v1/{file_id}",
                "file_id": file_id,
            },
        )

    def _upload(self, req: Request, match: Any) -> Response:
        file_id = match["file_id"]
        if file_id not in self.pending:
            return Response(404, "unknown upload", {"Content-Type": "text/plain"})
        self.uploads[file_id] = req.body
        return Response(200, f"OK - {len(req.body)}", {"Content-Type": "text/plain"})

    def _files_completeUploadExternal(self, req: Request) -> Response:
        files = json.loads(req.param("files") or "[]")
        channel = req.param("channel_id")
        if channel is not None:
            if channel not in self.channels:
                return self._err("channel_not_found")
            if channel in self.not_in_channel:
                return self._err("not_in_channel")
        out = []
        for item in files:
            file_id = item.get("id")
            if file_id not in self.uploads:
                return self._err("invalid_file_id")
            meta = self.pending[file_id]
            record = {
                "id": file_id,
                "name": meta["filename"],
                "title": item.get("title") or meta["filename"],
                "size": len(self.uploads[file_id]),
                "permalink": f"{self.team_url}files/U0BOT/{file_id}/{meta['filename']}",
            }
            out.append(record)
            if channel is not None:
                self.shared.append(
                    {
                        **record,
                        "channel": channel,
                        "initial_comment": req.param("initial_comment"),
                        "content": self.uploads[file_id],
                    }
                )
        return Response(200, {"ok": True, "files": out})

    def _chat_postMessage(self, req: Request) -> Response:
        cid, err = self._channel(req)
        if err:
            return err
        assert cid is not None
        if cid in self.not_in_channel:
            return self._err("not_in_channel")
        ts = f"{1700000000 + len(self.posted)}.000100"
        self.posted.append({"channel": cid, "text": req.param("text"), "ts": ts})
        return Response(200, {"ok": True, "channel": cid, "ts": ts})
