"""A fake GitHub REST API (the parts ``reconstruct`` reads) on a loopback ``FakeServer``.

    gh = FakeGitHub(server, token="ghp_test", prefix="/api/v3")     # prefix "" = api.github.com
    gh.add_repo("acme/checkout", deployments=[...], statuses={44: [...]}, pulls=[...])
    gh.base_url  ->  "https://127.0.0.1:PORT/api/v3"                  # [github] base_url

Routes: ``/repos/o/r``; ``/repos/o/r/deployments`` (``environment`` filter, newest first);
``/repositories/<id>/deployments`` (the form real ``Link`` headers use);
``.../deployments/<id>/statuses``;
``/search/issues`` (``repo:``, ``is:pr``, ``is:merged``, ``merged:A..B``); ``/repos/o/r/pulls/<n>``;
``/repos/o/r/commits`` (``since``/``until`` on the committer date, as GitHub filters; ``author``
a login or an email; newest first).
Lists honour ``page``/``per_page`` (default 30, max 100) and send RFC 5988 ``Link`` headers
(``next``/``last``, plus ``prev``/``first`` after page 1). Every response carries ``x-ratelimit-*``.
Payloads are written with ``https://api.github.com`` / ``https://github.com`` URLs and rewritten to
the fake's own host and port on the way out, as PyGithub insists on one host.
Faults: ``server.fail_next(...)`` with ``rate_limited()``, ``secondary_limit()``, ``error()``;
``gh.cursor_loop.add("/search/issues")``: that listing's last page links ``rel="next"`` back to
page 1 (a pagination loop; match on the end of the paths the ``Link`` headers name);
``gh.slow[r"/repos/acme/web/deployments"] = 0.5``: requests whose path matches (``re.fullmatch``,
as ``fail_next``) get their usual answer that many seconds late (an answer still on its way when
another request fails).

Writes (the github sink): ``GET .../git/ref/heads/<b>``, ``POST .../git/refs`` (422 "Reference
already exists"), ``GET``/``PUT .../contents/<path>`` (``ref``/``branch``; base64 content, sha
required to update), ``GET .../pulls`` (``state``, ``head`` = ``owner:branch``, ``base``) and
``POST .../pulls``. State per repo: ``refs`` (``heads/main`` -> sha; ``add_repo`` makes ``main``)
and ``files`` ((branch, path) -> bytes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from tests.fakes.server import FakeServer, Request, Response

API = "https://api.github.com"
WEB = "https://github.com"


def user(login: str) -> dict[str, Any]:
    return {
        "login": login,
        "id": abs(hash(login)) % 100000,
        "type": "Bot" if login.endswith("[bot]") else "User",
        "url": f"{API}/users/{login}",
        "html_url": f"{WEB}/{login}",
    }


def deployment(
    repo: str,
    ident: int,
    sha: str,
    ref: str,
    created_at: str,
    environment: str = "production",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "url": f"{API}/repos/{repo}/deployments/{ident}",
        "id": ident,
        "node_id": f"DE_{ident}",
        "sha": sha,
        "ref": ref,
        "task": "deploy",
        "payload": {},
        "original_environment": environment,
        "environment": environment,
        "description": None,
        "creator": user("deploy-bot[bot]"),
        "created_at": created_at,
        "updated_at": created_at,
        "statuses_url": f"{API}/repos/{repo}/deployments/{ident}/statuses",
        "repository_url": f"{API}/repos/{repo}",
        "transient_environment": False,
        "production_environment": environment == "production",
        **extra,
    }


def status(
    repo: str, deployment_id: int, ident: int, state: str, created_at: str, **extra: Any
) -> dict[str, Any]:
    return {
        "url": f"{API}/repos/{repo}/deployments/{deployment_id}/statuses/{ident}",
        "id": ident,
        "node_id": f"DES_{ident}",
        "state": state,
        "creator": user("deploy-bot[bot]"),
        "description": f"Deployment {state}",
        "environment": "production",
        "target_url": "",
        "log_url": f"https://ci.acme.dev/deploys/{deployment_id}/{ident}",
        "environment_url": "",
        "created_at": created_at,
        "updated_at": created_at,
        "deployment_url": f"{API}/repos/{repo}/deployments/{deployment_id}",
        "repository_url": f"{API}/repos/{repo}",
        **extra,
    }


def pull(
    repo: str,
    number: int,
    title: str,
    merged_at: str | None,
    labels: tuple[str, ...] = (),
    merge_commit_sha: str | None = None,
    author: str = "dev-ana",
    merged_by: str | None = None,
) -> dict[str, Any]:
    """A full PR (``GET .../pulls/{n}``), kept consistent: merged = closed + merged_at;
    ``merged_by`` (a simple-user object, only in this body) is ``merged_by``, else the author."""
    return {
        "url": f"{API}/repos/{repo}/pulls/{number}",
        "id": number * 10,
        "html_url": f"{WEB}/{repo}/pull/{number}",
        "issue_url": f"{API}/repos/{repo}/issues/{number}",
        "number": number,
        "state": "closed" if merged_at else "open",
        "title": title,
        "user": user(author),
        "body": "",
        "labels": [{"id": i, "name": name, "color": "ededed"} for i, name in enumerate(labels)],
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": merged_at or "2026-01-01T00:00:00Z",
        "closed_at": merged_at,
        "merged_at": merged_at,
        "merge_commit_sha": merge_commit_sha,
        "merged": merged_at is not None,
        "merged_by": user(merged_by or author) if merged_at else None,
        "base": {"ref": "main"},
        "head": {"ref": f"feature-{number}"},
    }


def commit(
    repo: str,
    sha: str,
    login: str | None,
    email: str,
    when: str,
    *,
    name: str = "",
    committer: str | None = None,
    message: str = "change",
) -> dict[str, Any]:
    """One item of ``GET /repos/o/r/commits``: the git author (``commit.author``: name, email,
    date) and the account GitHub linked it to (``author``: a simple user, ``None`` when the email
    is on no account). ``committer``: the git committer's email (default: the web UI's
    ``noreply@github.com``, as for a merge made on github.com)."""
    git_committer = committer or "noreply@github.com"
    return {
        "url": f"{API}/repos/{repo}/commits/{sha}",
        "sha": sha,
        "node_id": f"C_{sha[:12]}",
        "html_url": f"{WEB}/{repo}/commit/{sha}",
        "comments_url": f"{API}/repos/{repo}/commits/{sha}/comments",
        "commit": {
            "url": f"{API}/repos/{repo}/git/commits/{sha}",
            "author": {"name": name or login or email, "email": email, "date": when},
            "committer": {
                "name": "GitHub" if committer is None else name,
                "email": git_committer,
                "date": when,
            },
            "message": message,
            "tree": {"url": f"{API}/repos/{repo}/git/trees/{sha}", "sha": sha},
            "comment_count": 0,
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": user(login) if login else None,
        "committer": user("web-flow") if committer is None else (user(login) if login else None),
        "parents": [],
    }


def search_item(pr: dict[str, Any], repo: str) -> dict[str, Any]:
    """The issue-shaped search result for a PR: no merge_commit_sha, no base."""
    number = pr["number"]
    return {
        "url": f"{API}/repos/{repo}/issues/{number}",
        "repository_url": f"{API}/repos/{repo}",
        "html_url": pr["html_url"],
        "id": pr["id"] + 1,
        "number": number,
        "title": pr["title"],
        "user": pr["user"],
        "labels": pr["labels"],
        "state": pr["state"],
        "comments": 0,
        "created_at": pr["created_at"],
        "updated_at": pr["updated_at"],
        "closed_at": pr["closed_at"],
        "pull_request": {
            "url": pr["url"],
            "html_url": pr["html_url"],
            "diff_url": pr["html_url"] + ".diff",
            "patch_url": pr["html_url"] + ".patch",
            "merged_at": pr["merged_at"],
        },
        "body": pr.get("body"),  # the body, as the search returns it (null when empty)
        "score": 1.0,
    }


def rate_limited(reset_in: int = 3600, status: int = 403) -> Response:
    """Primary rate limit: remaining 0, reset in ``reset_in`` seconds."""
    return Response(
        status,
        {
            "message": "API rate limit exceeded for user ID 1.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
        },
        {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": str(int(time.time()) + reset_in),
            "x-ratelimit-resource": "core",
        },
    )


def secondary_limit(retry_after: int | None = 0, status: int = 403) -> Response:
    headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
    return Response(
        status,
        {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
        },
        headers,
    )


def error(status: int, message: str) -> Response:
    return Response(
        status,
        {
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": str(status),
        },
    )


class FakeGitHub:
    def __init__(self, server: FakeServer, *, token: str = "ghp_test", prefix: str = "") -> None:
        self.server = server
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.repos: dict[str, dict[str, Any]] = {}
        self.remaining = 5000
        self.cursor_loop: set[str] = set()
        self.slow: dict[str, float] = {}
        """Path pattern -> seconds the usual answer to a matching request waits."""
        p = re.escape(self.prefix)
        repo = r"(?P<owner>[\w.-]+)/(?P<name>[\w.-]+)"
        routes = [
            (rf"{p}/repos/{repo}", self._repo),
            (rf"{p}/repos/{repo}/deployments", self._deployments),
            (rf"{p}/repositories/(?P<repo_id>\d+)/deployments", self._deployments),
            (rf"{p}/repos/{repo}/deployments/(?P<id>\d+)/statuses", self._statuses),
            (
                rf"{p}/repositories/(?P<repo_id>\d+)/deployments/(?P<id>\d+)/statuses",
                self._statuses,
            ),
            (rf"{p}/search/issues", self._search),
            (rf"{p}/repos/{repo}/pulls/(?P<number>\d+)", self._pull),
            (rf"{p}/repos/{repo}/commits", self._commits),
        ]
        for pattern, handler in routes:
            server.route("GET", pattern, self._guard(handler))
        writes = [
            ("GET", rf"{p}/repos/{repo}/git/ref/(?P<ref>.+)", self._get_ref),
            ("POST", rf"{p}/repos/{repo}/git/refs", self._create_ref),
            ("GET", rf"{p}/repos/{repo}/contents/(?P<path>.+)", self._get_contents),
            ("PUT", rf"{p}/repos/{repo}/contents/(?P<path>.+)", self._put_contents),
            ("GET", rf"{p}/repos/{repo}/pulls", self._list_pulls),
            ("POST", rf"{p}/repos/{repo}/pulls", self._create_pull),
        ]
        for method, pattern, handler in writes:
            server.route(method, pattern, self._guard(handler))

    @property
    def base_url(self) -> str:
        return self.server.base_url + self.prefix

    def add_repo(
        self,
        full_name: str,
        *,
        deployments: list[dict[str, Any]] = (),  # type: ignore[assignment]
        statuses: dict[int, list[dict[str, Any]]] | None = None,
        pulls: list[dict[str, Any]] = (),  # type: ignore[assignment]
        commits: list[dict[str, Any]] = (),  # type: ignore[assignment]
    ) -> None:
        ident = 1000 + len(self.repos)
        self.repos[full_name.lower()] = {
            "repo": {
                "id": ident,
                "name": full_name.split("/")[1],
                "full_name": full_name,
                "private": True,
                "owner": user(full_name.split("/")[0]),
                "html_url": f"{WEB}/{full_name}",
                "url": f"{API}/repos/{full_name}",
                "deployments_url": f"{API}/repos/{full_name}/deployments",
                "default_branch": "main",
            },
            "deployments": list(deployments),
            "statuses": dict(statuses or {}),
            "pulls": {pr["number"]: pr for pr in pulls},
            "commits": list(commits),
            "refs": {"heads/main": "b" * 40},
            "files": {},
        }

    # -- plumbing ------------------------------------------------------------------------------
    def _rewrite(self, body: Any) -> Any:
        text = json.dumps(body).replace(API, self.base_url)
        if self.prefix:  # GitHub Enterprise: the web UI is on the same host
            text = text.replace(f"{WEB}/", f"{self.server.base_url}/")
        return json.loads(text)

    def _ratelimit(self, resource: str) -> dict[str, str]:
        self.remaining = max(self.remaining - 1, 0)
        return {
            "x-ratelimit-limit": "5000" if resource == "core" else "30",
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(5000 - self.remaining),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-resource": resource,
        }

    def _guard(self, handler: Any) -> Any:
        def wrapped(req: Request, match: re.Match[str]) -> Response:
            auth = req.headers.get("authorization", "")
            scheme, _, value = auth.partition(" ")
            resource = "search" if req.path.endswith("/search/issues") else "core"
            if scheme.lower() not in {"token", "bearer"} or value != self.token:
                return Response(
                    401,
                    {
                        "message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest",
                        "status": "401",
                    },
                    self._ratelimit(resource),
                )
            response: Response = handler(req, match)
            response.body = self._rewrite(response.body)
            response.headers = {**self._ratelimit(resource), **response.headers}
            for pattern, seconds in self.slow.items():
                if re.fullmatch(pattern, req.path):
                    response.delay = max(response.delay, seconds)
            return response

        return wrapped

    def _find(self, match: re.Match[str]) -> dict[str, Any] | None:
        groups = match.groupdict()
        if groups.get("repo_id"):
            for data in self.repos.values():
                if str(data["repo"]["id"]) == groups["repo_id"]:
                    return data
            return None
        return self.repos.get(f"{groups['owner']}/{groups['name']}".lower())

    def _not_found(self) -> Response:
        return error(404, "Not Found")

    def _page(
        self, req: Request, items: list[Any], link_path: str
    ) -> tuple[list[Any], dict[str, str]]:
        per_page = min(int(req.param("per_page") or 30), 100)
        page = max(int(req.param("page") or 1), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        keep = {k: v[0] for k, v in req.query.items() if k not in {"page", "per_page"} and v}

        def url(n: int) -> str:
            query = urlencode({**keep, "per_page": per_page, "page": n})
            return f"<{self.base_url}{link_path}?{query}>"

        links = []
        if page < last:
            links += [f'{url(page + 1)}; rel="next"', f'{url(last)}; rel="last"']
        if page > 1:
            links += [f'{url(page - 1)}; rel="prev"', f'{url(1)}; rel="first"']
        if page == last and any(link_path.endswith(end) for end in self.cursor_loop):
            links.insert(0, f'{url(1)}; rel="next"')
        return chunk, ({"Link": ", ".join(links)} if links else {})

    # -- handlers ------------------------------------------------------------------------------
    def _repo(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        return Response(200, data["repo"]) if data else self._not_found()

    def _deployments(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        if data is None:
            return self._not_found()
        env = req.param("environment")
        items = [d for d in data["deployments"] if env is None or d["environment"] == env]
        items.sort(key=lambda d: (d["created_at"], d["id"]), reverse=True)
        chunk, headers = self._page(req, items, f"/repositories/{data['repo']['id']}/deployments")
        return Response(200, chunk, headers)

    def _statuses(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        ident = int(match["id"])
        if data is None or not any(d["id"] == ident for d in data["deployments"]):
            return self._not_found()
        items = sorted(
            data["statuses"].get(ident, []), key=lambda s: (s["created_at"], s["id"]), reverse=True
        )
        path = f"/repositories/{data['repo']['id']}/deployments/{ident}/statuses"
        chunk, headers = self._page(req, items, path)
        return Response(200, chunk, headers)

    def _search(self, req: Request, match: re.Match[str]) -> Response:
        terms = (req.param("q") or "").split()
        repo = next((t[5:] for t in terms if t.startswith("repo:")), None)
        if repo is None or repo.lower() not in self.repos:
            return error(
                422,
                "The listed users and repositories cannot be searched either because the "
                "resources do not exist or you do not have permission to view them.",
            )
        lo = hi = None
        for term in terms:
            if term.startswith("merged:") and ".." in term:
                a, _, b = term[len("merged:") :].partition("..")
                lo, hi = datetime.fromisoformat(a), datetime.fromisoformat(b)
        prs = list(self.repos[repo.lower()]["pulls"].values())
        if "is:merged" in terms:
            prs = [pr for pr in prs if pr["merged_at"]]
        if lo is not None and hi is not None:
            prs = [pr for pr in prs if lo <= datetime.fromisoformat(pr["merged_at"]) <= hi]
        prs.sort(key=lambda pr: pr["number"], reverse=True)
        items = [search_item(pr, repo) for pr in prs]
        chunk, headers = self._page(req, items, "/search/issues")
        body = {"total_count": len(items), "incomplete_results": False, "items": chunk}
        return Response(200, body, headers)

    def _pull(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        pr = data["pulls"].get(int(match["number"])) if data else None
        return Response(200, pr) if pr else self._not_found()

    def _commits(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        if data is None:
            return self._not_found()

        def when(item: dict[str, Any]) -> datetime:
            return datetime.fromisoformat(
                item["commit"]["committer"]["date"].replace("Z", "+00:00")
            )

        since, until, author = req.param("since"), req.param("until"), req.param("author")
        items = list(data["commits"])
        if author:  # "GitHub username or email address"
            items = [
                c
                for c in items
                if (c["author"] or {}).get("login", "").lower() == author.lower()
                or c["commit"]["author"]["email"].lower() == author.lower()
            ]
        if since:
            items = [
                c for c in items if when(c) >= datetime.fromisoformat(since.replace("Z", "+00:00"))
            ]
        if until:
            items = [
                c for c in items if when(c) <= datetime.fromisoformat(until.replace("Z", "+00:00"))
            ]
        items.sort(key=when, reverse=True)
        chunk, headers = self._page(req, items, f"/repos/{data['repo']['full_name']}/commits")
        return Response(200, chunk, headers)

    # -- writes (the github sink) -------------------------------------------------------------
    def _ref_body(self, full: str, ref: str, sha: str) -> dict[str, Any]:
        return {
            "ref": f"refs/{ref}",
            "node_id": f"REF_{ref}",
            "url": f"{API}/repos/{full}/git/refs/{ref}",
            "object": {
                "sha": sha,
                "type": "commit",
                "url": f"{API}/repos/{full}/git/commits/{sha}",
            },
        }

    def _get_ref(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        if data is None or match["ref"] not in data["refs"]:
            return self._not_found()
        full = data["repo"]["full_name"]
        return Response(200, self._ref_body(full, match["ref"], data["refs"][match["ref"]]))

    def _create_ref(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        if data is None:
            return self._not_found()
        body = req.json()
        ref, sha = str(body["ref"]).removeprefix("refs/"), body["sha"]
        if ref in data["refs"]:
            return error(422, "Reference already exists")
        data["refs"][ref] = sha
        return Response(201, self._ref_body(data["repo"]["full_name"], ref, sha))

    @staticmethod
    def _blob_sha(content: bytes) -> str:
        return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()

    def _content_body(self, full: str, path: str, branch: str, content: bytes) -> dict[str, Any]:
        return {
            "type": "file",
            "encoding": "base64",
            "size": len(content),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": base64.b64encode(content).decode(),
            "sha": self._blob_sha(content),
            "url": f"{API}/repos/{full}/contents/{path}?ref={branch}",
            "html_url": f"{WEB}/{full}/blob/{branch}/{path}",
        }

    def _get_contents(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        if data is None:
            return self._not_found()
        branch = req.param("ref") or data["repo"]["default_branch"]
        content = data["files"].get((branch, match["path"]))
        if content is None:
            return self._not_found()
        full = data["repo"]["full_name"]
        return Response(200, self._content_body(full, match["path"], branch, content))

    def _put_contents(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        if data is None:
            return self._not_found()
        body = req.json()
        branch = body.get("branch") or data["repo"]["default_branch"]
        if f"heads/{branch}" not in data["refs"]:
            return error(404, f"Branch {branch} not found")
        key = (branch, match["path"])
        old = data["files"].get(key)
        if old is not None and body.get("sha") != self._blob_sha(old):
            return error(409, f"{match['path']} does not match {body.get('sha')}")
        if old is None and body.get("sha"):
            return error(422, "sha wasn't supplied for a new file")
        content = base64.b64decode(body["content"])
        data["files"][key] = content
        commit = hashlib.sha1(content + branch.encode()).hexdigest()
        data["refs"][f"heads/{branch}"] = commit
        full = data["repo"]["full_name"]
        return Response(
            200 if old is not None else 201,
            {
                "content": self._content_body(full, match["path"], branch, content),
                "commit": {
                    "sha": commit,
                    "url": f"{API}/repos/{full}/git/commits/{commit}",
                    "message": body.get("message"),
                },
            },
        )

    def _list_pulls(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        if data is None:
            return self._not_found()
        state, head, base = req.param("state") or "open", req.param("head"), req.param("base")
        items = [
            pr
            for pr in data["pulls"].values()
            if (state == "all" or pr["state"] == state)
            and (head is None or pr["head"].get("label") == head)
            and (base is None or pr["base"]["ref"] == base)
        ]
        items.sort(key=lambda pr: pr["number"], reverse=True)
        chunk, headers = self._page(req, items, f"/repos/{data['repo']['full_name']}/pulls")
        return Response(200, chunk, headers)

    def _create_pull(self, req: Request, match: re.Match[str]) -> Response:
        data = self._find(match)
        if data is None:
            return self._not_found()
        body = req.json()
        full, owner = data["repo"]["full_name"], data["repo"]["owner"]["login"]
        head, base = body["head"], body["base"]
        if f"heads/{head}" not in data["refs"] or f"heads/{base}" not in data["refs"]:
            return error(422, "Validation Failed")
        label = f"{owner}:{head}"
        if any(
            p["state"] == "open" and p["head"].get("label") == label for p in data["pulls"].values()
        ):
            return error(422, f"A pull request already exists for {label}.")
        number = max(data["pulls"], default=0) + 1
        pr = pull(full, number, body["title"], None, author="reconstruct-bot")
        pr["body"] = body.get("body") or ""
        pr["head"] = {"ref": head, "label": label, "sha": data["refs"][f"heads/{head}"]}
        pr["base"] = {"ref": base, "label": f"{owner}:{base}"}
        data["pulls"][number] = pr
        return Response(201, pr)
