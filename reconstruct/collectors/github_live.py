"""Live GitHub collection through PyGithub's ``Requester`` (raw JSON pages, ``Link`` paging).

Per repository (``[github] repos`` plus ``[github] services[<service>]`` for each of the incident's
PagerDuty services), in this order:

1. ``GET /repos/o/r``: 1 request -> ``repo.json``;
2. ``GET /repos/o/r/deployments?environment=E&per_page=100``: per environment, page by page
   (newest first) until a page reaches back past the leadup start -> ``deployments.json``;
3. ``GET /repos/o/r/deployments/{id}/statuses?per_page=100``: 1 per deployment created inside
   ``[leadup_start, end]`` -> ``statuses/<id>.json``;
4. ``GET /search/issues?q=repo:o/r is:pr is:merged merged:A..B&per_page=100``: every page, with
   A = leadup start, B = window end -> ``merged_prs.json``;
5. ``GET /repos/o/r/pulls/{n}``: only for PRs merged inside the incident window (for the merge
   sha) -> ``pulls/<n>.json``.

Bodies are stored exactly as GitHub sent them: we call ``Requester.requestJson`` (no PyGithub
objects, so no lazy "completion" GETs) and follow ``Link: rel="next"`` ourselves.

Errors and retries:

- 5xx: retried by a bounded ``GithubRetry`` (``Settings.server_retries``, exponential backoff);
  when exhausted -> ``SourceUnavailable``.
- 403/429 rate limits (``Retry-After``, ``x-ratelimit-remaining: 0`` + ``x-ratelimit-reset``, or a
  secondary-limit message): we wait ourselves, reporting ``rate limited, waiting 12s`` through
  ``ctx.progress``, at most ``Settings.rate_limit_retries`` times and never longer than
  ``Settings.max_rate_limit_wait`` at once; beyond that -> ``SourceUnavailable``.
- 401 -> ``SourceAuthError`` naming GITHUB_TOKEN; other 403 -> ``SourceAuthError`` naming the
  permission; 404/422 -> ``SourceNotFound`` naming the repository.

One failing repository does not sink the others: its error is recorded in the manifest meta
(``failed_repos``), its files are not written, and collection goes on. Only when every repository
fails is the first error raised. Errors that would fail every repository anyway (bad credentials,
rate limit exhausted, GitHub unreachable) are raised at once.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from reconstruct.bundle import BundleWriter
from reconstruct.collectors.base import CollectContext
from reconstruct.errors import SourceAuthError, SourceError, SourceNotFound, SourceUnavailable
from reconstruct.timeutil import TimeFormatError, format_duration, now_utc, parse_iso

if TYPE_CHECKING:
    from github import Github
    from urllib3 import Retry

NAME = "github"
TOKEN_ENV = "GITHUB_TOKEN"  # noqa: S105 (a variable name, not a secret)
PER_PAGE = 100
PERMISSIONS = (
    "a fine-grained token needs read access to Metadata, Deployments and Pull requests "
    "(or Contents) on the repository; a classic token needs the `repo` scope"
)
SEARCH_CAP = 1000


@dataclass(frozen=True)
class Settings:
    """Client knobs; the defaults are for real use, tests shorten the waits."""

    timeout: int = 30
    server_retries: int = 3
    backoff_factor: float = 0.5
    rate_limit_retries: int = 3
    max_rate_limit_wait: float = 120.0
    secondary_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep


class _AllRepos:
    """Marks an error that would fail every repository: raised at once, not per repository."""


class _BadCredentials(SourceAuthError, _AllRepos):
    pass


class _RateLimited(SourceUnavailable, _AllRepos):
    pass


class _Unreachable(SourceUnavailable, _AllRepos):
    pass


def repos_for(ctx: CollectContext) -> list[str]:
    """``[github] repos`` plus the repos mapped to the incident's services, in order, unique."""
    cfg = ctx.config.github
    wanted = list(cfg.repos)
    services = {name.casefold(): repos for name, repos in cfg.services.items()}
    for service in ctx.incident.services:
        wanted.extend(services.get(service.casefold(), ()))
    seen: dict[str, str] = {}
    for repo in wanted:
        seen.setdefault(repo.lower(), repo)
    return list(seen.values())


def collect(
    ctx: CollectContext, out: BundleWriter, settings: Settings | None = None
) -> Mapping[str, Any]:
    """Fetch every configured repository into ``out``; returns the manifest meta."""
    settings = settings or Settings()
    repos = repos_for(ctx)
    meta: dict[str, Any] = {"repos": [], "environments": list(ctx.config.github.environments)}
    if not repos:
        meta["note"] = "no repositories configured; set [github] repos or [github] services"
        return meta
    if ctx.token is None:
        raise SourceAuthError(
            NAME,
            f"{TOKEN_ENV} is missing; create a token ({PERMISSIONS}) and export {TOKEN_ENV}",
        )
    client = _Client(ctx, settings)
    failed: dict[str, str] = {}
    errors: list[SourceError] = []
    warnings: list[str] = []
    try:
        for repo in repos:
            try:
                files, notes = _collect_repo(client, ctx, repo)
            except SourceError as exc:
                if isinstance(exc, _AllRepos):
                    raise
                failed[repo] = exc.detail
                errors.append(exc)
                ctx.progress(NAME, f"{repo} failed: {exc.detail}; continuing with other repos")
                continue
            for relpath, pages in files.items():
                out.add(relpath, pages)
            meta["repos"].append(repo)
            warnings.extend(notes)
    finally:
        client.close()
    meta["requests"] = client.requests
    if failed:
        meta["failed_repos"] = failed
    if warnings:
        meta["warnings"] = warnings
    if errors and not meta["repos"]:
        first = errors[0]
        detail = first.detail
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more repositories failed)"
        raise type(first)(NAME, detail) from first
    return meta


# -- one repository -------------------------------------------------------------------------------
def _collect_repo(
    client: _Client, ctx: CollectContext, repo: str
) -> tuple[dict[str, list[Any]], list[str]]:
    owner, name = repo.split("/", 1)
    base = f"{NAME}/{owner}/{name}/"
    window = ctx.window
    files: dict[str, list[Any]] = {}
    notes: list[str] = []

    _, body = client.get(f"/repos/{owner}/{name}", what=f"repository {repo}", repo=repo)
    files[base + "repo.json"] = [body]

    deployment_pages: list[Any] = []
    in_range: dict[int, None] = {}
    for env in ctx.config.github.environments:
        for page in client.pages(
            f"/repos/{owner}/{name}/deployments",
            {"environment": env, "per_page": PER_PAGE},
            what=f"deployments of {repo}",
            repo=repo,
            stop=lambda page: _reaches_before(page, window.leadup_start),
        ):
            deployment_pages.append(page)
            for deployment in page if isinstance(page, list) else []:
                when = _created(deployment)
                ident = deployment.get("id") if isinstance(deployment, dict) else None
                if (
                    isinstance(ident, int)
                    and when is not None
                    and window.leadup_start <= when <= window.end
                ):
                    in_range[ident] = None
    files[base + "deployments.json"] = deployment_pages
    for ident in in_range:
        files[f"{base}statuses/{ident}.json"] = list(
            client.pages(
                f"/repos/{owner}/{name}/deployments/{ident}/statuses",
                {"per_page": PER_PAGE},
                what=f"statuses of deployment {ident} in {repo}",
                repo=repo,
            )
        )

    query = (
        f"repo:{repo} is:pr is:merged "
        f"merged:{_search_time(window.leadup_start)}..{_search_time(window.end, ceil=True)}"
    )
    search_pages = list(
        client.pages(
            "/search/issues",
            {"q": query, "per_page": PER_PAGE},
            what=f"merged pull requests of {repo} (search)",
            repo=repo,
        )
    )
    files[base + "merged_prs.json"] = search_pages
    in_window: dict[int, None] = {}
    for page in search_pages:
        if not isinstance(page, dict):
            continue
        total = page.get("total_count")
        if page.get("incomplete_results") is True or (
            isinstance(total, int) and total > SEARCH_CAP
        ):
            note = f"{repo}: GitHub search returned incomplete merged-PR results"
            if note not in notes:
                notes.append(note)
        for item in page.get("items") or []:
            number, merged = _merged(item)
            if number is not None and merged is not None and window.start <= merged <= window.end:
                in_window[number] = None
    for number in in_window:
        _, pull = client.get(
            f"/repos/{owner}/{name}/pulls/{number}", what=f"PR #{number} of {repo}", repo=repo
        )
        files[f"{base}pulls/{number}.json"] = [pull]

    ctx.progress(
        NAME,
        f"{repo}: {sum(len(p) for p in deployment_pages if isinstance(p, list))} deployments, "
        f"{len(in_range)} in range, {sum(_count_items(p) for p in search_pages)} merged PRs",
    )
    return files, notes


def _created(record: Any) -> datetime | None:
    if not isinstance(record, dict):
        return None
    try:
        return parse_iso(str(record.get("created_at") or ""))
    except TimeFormatError:
        return None


def _reaches_before(page: Any, start: datetime) -> bool:
    """Deployments come newest first: once a page holds one older than ``start``, stop."""
    if not isinstance(page, list) or not page:
        return True
    return any((when := _created(d)) is not None and when < start for d in page)


def _merged(item: Any) -> tuple[int | None, datetime | None]:
    if not isinstance(item, dict) or not isinstance(item.get("number"), int):
        return None, None
    pull = item.get("pull_request")
    stamp = pull.get("merged_at") if isinstance(pull, dict) else None
    try:
        return item["number"], parse_iso(str(stamp or item.get("closed_at") or ""))
    except TimeFormatError:
        return item["number"], None


def _count_items(page: Any) -> int:
    items = page.get("items") if isinstance(page, dict) else None
    return len(items) if isinstance(items, list) else 0


def _search_time(when: datetime, *, ceil: bool = False) -> str:
    """Search qualifiers take ``YYYY-MM-DDTHH:MM:SS+00:00``; whole seconds, widened outwards."""
    if ceil and when.microsecond:
        when = when + timedelta(seconds=1)
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


# -- HTTP -----------------------------------------------------------------------------------------
def _server_error_retry(settings: Settings) -> Retry:
    """A bounded ``GithubRetry`` for 5xx only; 403/429 rate limits come back to ``_Client.get``
    so that waits are bounded and reported."""
    from github import GithubRetry

    class ServerErrorRetry(GithubRetry):
        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            if status_code in (403, 429):
                return False
            return bool(super().is_retry(method, status_code, has_retry_after))

    return ServerErrorRetry(
        total=settings.server_retries,
        backoff_factor=settings.backoff_factor,
        status_forcelist=[500, 502, 503, 504],
        respect_retry_after_header=False,
        raise_on_status=True,
    )


class _Client:
    def __init__(self, ctx: CollectContext, settings: Settings) -> None:
        from github import Auth, Github

        assert ctx.token is not None
        self.ctx = ctx
        self.settings = settings
        self.base_url = ctx.config.github.base_url.rstrip("/")
        self._base = urlsplit(self.base_url)
        self.requests = 0
        self.github: Github = Github(
            auth=Auth.Token(ctx.token.reveal()),
            base_url=self.base_url,
            timeout=settings.timeout,
            verify=str(ctx.ca_bundle) if ctx.ca_bundle is not None else True,
            per_page=PER_PAGE,
            retry=_server_error_retry(settings),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self.requester = self.github.requester

    def close(self) -> None:
        self.github.close()

    def pages(
        self,
        path: str,
        params: dict[str, Any],
        *,
        what: str,
        repo: str,
        stop: Callable[[Any], bool] | None = None,
    ) -> Iterator[Any]:
        """Every page: the first request with ``params``, then ``Link: rel="next"`` verbatim."""
        url: str | None = path
        query: dict[str, Any] | None = params
        while url is not None:
            headers, body = self.get(url, query, what=what, repo=repo)
            yield body
            if stop is not None and stop(body):
                return
            url, query = self._next_link(headers, what), None

    def _next_link(self, headers: Mapping[str, Any], what: str) -> str | None:
        import requests

        for link in requests.utils.parse_header_links(str(headers.get("link") or "")):
            if link.get("rel") == "next" and link.get("url"):
                url = link["url"]
                parts = urlsplit(url)
                if (parts.scheme, parts.hostname, parts.port) != (
                    self._base.scheme,
                    self._base.hostname,
                    self._base.port,
                ):
                    raise SourceUnavailable(
                        NAME,
                        f"the next page of {what} points to {parts.scheme}://{parts.netloc}, not "
                        f"{self.base_url}; check [github] base_url",
                    )
                return url
        return None

    def get(
        self, url: str, params: dict[str, Any] | None = None, *, what: str, repo: str
    ) -> tuple[dict[str, Any], Any]:
        """One GET, with bounded waits on rate limits; returns (headers, parsed JSON body)."""
        for attempt in range(self.settings.rate_limit_retries + 1):
            status, headers, body = self._request(url, params, what)
            data = _json(body, what, self.base_url)
            if status < 400:
                return headers, data
            wait = self._rate_limit_wait(status, headers, data, attempt)
            if wait is None:
                raise _http_error(status, data, what, repo)
            if wait > self.settings.max_rate_limit_wait:
                lifts = now_utc() + timedelta(seconds=wait)
                raise _RateLimited(
                    NAME,
                    f"GitHub rate limit reached while reading {what}; it lifts at "
                    f"{lifts:%H:%M} UTC (in {format_duration(timedelta(seconds=round(wait)))}); "
                    "rerun then",
                )
            if attempt == self.settings.rate_limit_retries:
                break
            self.ctx.progress(NAME, f"rate limited, waiting {math.ceil(wait)}s")
            self.settings.sleep(wait)
        raise _RateLimited(
            NAME,
            f"GitHub kept rate limiting requests for {what} after "
            f"{self.settings.rate_limit_retries} waits; rerun in a few minutes",
        )

    def _request(
        self, url: str, params: dict[str, Any] | None, what: str
    ) -> tuple[int, dict[str, Any], str]:
        import requests
        from github import GithubException

        self.requests += 1
        try:
            return self.requester.requestJson("GET", url, parameters=params)
        except requests.exceptions.RetryError as exc:
            raise SourceUnavailable(
                NAME,
                f"GitHub answered {what} with server errors (5xx) "
                f"{self.settings.server_retries + 1} times; it may be down, try again later",
            ) from exc
        except requests.exceptions.SSLError as exc:
            raise _Unreachable(
                NAME,
                f"TLS verification failed for {self.base_url}; for a proxy or GitHub Enterprise "
                "with a private CA set [tls] ca_bundle",
            ) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise _Unreachable(
                NAME,
                f"cannot reach {self.base_url} ({type(exc).__name__}); check [github] base_url "
                "and the network",
            ) from exc
        except GithubException as exc:
            data = exc.data if isinstance(exc.data, dict) else {}
            raise _http_error(exc.status, data, what, what) from exc

    def _rate_limit_wait(
        self, status: int, headers: Mapping[str, Any], data: Any, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying, or None when this is not a rate limit."""
        if status not in (403, 429):
            return None
        message = str(data.get("message") or "") if isinstance(data, dict) else ""
        retry_after = str(headers.get("retry-after") or "").strip()
        remaining = str(headers.get("x-ratelimit-remaining") or "").strip()
        reset = str(headers.get("x-ratelimit-reset") or "").strip()
        if retry_after.isdigit():
            return float(retry_after)
        if remaining == "0" and reset.isdigit():
            return max(int(reset) - now_utc().timestamp(), 0.0) + 1.0
        if "rate limit" in message.lower() or status == 429:
            return float(self.settings.secondary_wait * (2**attempt))
        return None


def _json(body: str, what: str, base_url: str) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise SourceUnavailable(
            NAME,
            f"GitHub sent a non-JSON answer for {what}; check [github] base_url "
            "(GitHub Enterprise: https://HOST/api/v3)",
        ) from exc


def _http_error(status: int, data: Any, what: str, repo: str) -> SourceError:
    message = str(data.get("message") or "") if isinstance(data, dict) else ""
    said = f" (GitHub: {message})" if message else ""
    if status == 401:
        return _BadCredentials(
            NAME,
            f"{TOKEN_ENV} was rejected (401 Bad credentials); it is wrong, expired or revoked: "
            f"create a new token and export {TOKEN_ENV}",
        )
    if status == 403:
        if "saml" in message.lower() or "sso" in message.lower():
            return SourceAuthError(
                NAME,
                f"{TOKEN_ENV} is not authorized for the organization's SAML SSO, needed to read "
                f"{what}; authorize the token for SSO in GitHub's token settings{said}",
            )
        return SourceAuthError(NAME, f"{TOKEN_ENV} may not read {what} (403){said}; {PERMISSIONS}")
    if status == 404:
        return SourceNotFound(
            NAME,
            f"{what}: not found (404), or {TOKEN_ENV} cannot see it; check [github] repos "
            f"(owner/name) and the token's repository access",
        )
    if status == 422:
        return SourceNotFound(
            NAME,
            f"GitHub refused the query for {what} (422){said}; check that {repo} exists and "
            f"{TOKEN_ENV} can read it",
        )
    return SourceUnavailable(NAME, f"GitHub answered {what} with HTTP {status}{said}; try again")
