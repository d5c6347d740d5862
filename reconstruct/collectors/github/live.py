"""Live GitHub collection: what to fetch per repository, fetched by a small pool of workers.

Per repository (``[github] repos`` plus ``[github] services[<service>]`` for each of the incident's
PagerDuty services):

1. ``GET /repos/o/r``: 1 request -> ``repo.json``;
2. ``GET /repos/o/r/deployments?environment=E&per_page=100``: per environment, page by page
   (newest first) until a page reaches back past the leadup start -> ``deployments.json``;
3. ``GET /repos/o/r/deployments/{id}/statuses?per_page=100`` -> ``statuses/<id>.json``, only
   for deployments the timeline can show: each one created inside the incident window, and the
   lead-up ones (created in ``[leadup_start, window start)``) walking back newest first, a batch
   at a time, until ``[github] leadup_deploys`` deploy events before the window are found. A busy
   repository's older deployments stay in ``deployments.json`` without statuses (no events);
4. ``GET /search/issues?q=repo:o/r is:pr is:merged merged:A..B&per_page=100``: every page, with
   A = leadup start, B = window end -> ``merged_prs.json``;
5. ``GET /repos/o/r/pulls/{n}``: only for PRs merged inside the incident window, and the
   lead-up PR each of them reverts (its body ``Reverts o/r#N``, as GitHub's revert button
   writes it: the change the incident is about), for the merge sha and ``merged_by``, which the
   search items lack (https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request; the
   list and search results carry no ``merged_by``) -> ``pulls/<n>.json``;
6. ``GET /repos/o/r/commits?since=A&until=B&per_page=100`` (the default branch, newest first), once
   the deployments, the search and the step-5 PRs are read, and only when a person's login (not a
   bot's) created one of those deployments or PRs, or merged one (``merged_by``): page 1; then,
   for the logins it shows with no address (none, or a GitHub noreply one), whichever asks less:
   the remaining pages (``rel="last"`` says how many; stopping once every login has an address)
   or ``&author=<login>`` of the same range, one request each -> ``commits.json``
   (``github.authors``: login <-> email pairs for one name per person). Optional: when it fails,
   the repository's evidence is kept and a warning says logins keep their names.

Order and overlap (issue #6): the first repository's ``GET /repos/o/r`` goes alone, so a bad token
or base_url fails after one request; then every other request runs on ``MAX_WORKERS`` threads:
the other repositories, each repository's deployment listings and search side by side, and each
statuses / pull GET as soon as the listing that names it is read. Only the main thread decides
what to fetch next and keeps the results; the bundle is written at the end in a fixed order
(repositories as configured; repo, deployments, statuses in listing order, search, pulls,
commits), so its bytes do not depend on which answer came first.

HTTP, retries and errors: ``reconstruct.collectors.github.http``. One failing repository does not
sink the others: its error is recorded in the manifest meta (``failed_parts``) and shown as a
warning, its files are not written, and collection goes on. Only when every repository fails is
the first error raised. Errors that would fail every repository anyway (bad credentials, rate
limit exhausted, GitHub down or unreachable, the ``--timeout`` deadline) are raised at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from reconstruct.bundle import BundleWriter
from reconstruct.collectors._partial import (
    failed_parts,
    first_done,
    keeping,
    kept_note,
    timed_out,
)
from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.github.authors import (
    COMMITS_FILE,
    human_login,
    pages_after,
    unknown,
    until_known,
)
from reconstruct.collectors.github.http import (
    NAME,
    PER_PAGE,
    PERMISSIONS,
    TOKEN_ENV,
    AllRepos,
    Client,
    Listing,
    RateLimited,
)
from reconstruct.collectors.github.parse import reverted_pr
from reconstruct.errors import SourceAuthError, SourceError, SourceTimedOut
from reconstruct.timeutil import TimeFormatError, parse_iso
from reconstruct.wording import count_of

__all__ = ["MAX_WORKERS", "collect", "repos_for"]

MAX_WORKERS = 4
"""Requests in flight at once. GitHub asks integrators to avoid many concurrent requests (they
trip the secondary rate limit), so this stays modest: enough to overlap the per-deployment
statuses GETs and the repositories, not a flood."""
PAGE_TICK = 0.05
"""Seconds between looks at a deployments listing's pages while it is paged (``_Run._drain``)."""
SEARCH_CAP = 1000


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


def collect(ctx: CollectContext, out: BundleWriter) -> Mapping[str, Any]:
    """Fetch every configured repository into ``out``; returns the manifest meta."""
    if not ctx.source:
        ctx = dataclasses.replace(ctx, source=NAME)
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
    client = Client(ctx)
    run = _Run(client, ctx, repos)
    # cut off in the middle of a request (a trickling answer): the orchestrator writes these
    ctx.handover.offer(lambda: _keep(run.states, out))
    try:
        states = run.run()
    except SourceError as exc:
        # the deadline, or a rate limit that lifts only after the run (it stops every
        # request): what was read is kept, the source fails
        if not isinstance(exc, (SourceTimedOut, RateLimited)):
            raise
        raise keeping(exc, _keep(run.states, out) if ctx.handover.claim() else []) from exc
    finally:
        client.close()
    if not ctx.handover.claim():
        return meta  # cut off at the deadline: its pages were handed over
    meta["requests"] = client.requests
    if client.rate_limit_waits:
        meta["rate_limit_waits"] = client.rate_limit_waits
    failed: dict[str, str] = {}
    errors: list[SourceError] = []
    warnings: list[str] = []
    kept: list[str] = []
    for state in states:
        if state.error is not None:  # what was read of it before the failure is kept
            said = _keep([state], out)
            kept.extend(said)
            failed[state.repo] = state.error[1].detail + kept_note(said)
            errors.append(state.error[1])
            continue
        for relpath, pages in state.files().items():
            out.add(relpath, pages)
        meta["repos"].append(state.repo)
        if state.leadup:  # listed, never shown: counted, not read (``_Run._walk_back``)
            meta.setdefault("leadup_deployments_not_read", {})[state.repo] = len(state.leadup)
        warnings.extend(state.notes)
    if errors and not meta["repos"]:
        first = errors[0]
        detail = first.detail
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more repositories failed)"
        raise keeping(type(first)(NAME, detail), kept) from first
    failed_parts(meta, failed)
    if failed:
        warnings[:0] = [f"skipped {repo}: {detail}" for repo, detail in failed.items()]
    if warnings:
        meta["warnings"] = warnings
    return meta


def _keep(states: list[_Repo], out: BundleWriter) -> list[str]:
    """At the deadline, or for a repository that failed part-way: write each repository's pages
    read so far (``_Repo.files``); what was kept, for the source's line."""
    kept: list[str] = []
    for state in states:
        if state.repo_body is None:
            continue
        files = state.files()
        for relpath, pages in files.items():
            out.add(relpath, pages)
        deployments = sum(
            len(p) for p in files[state.base + "deployments.json"] if isinstance(p, list)
        )
        prs = sum(_count_items(p) for p in files[state.base + "merged_prs.json"])
        kept.append(
            f"{state.repo} ({count_of(deployments, 'deployment')}, {len(state.statuses)} with "
            f"statuses, {count_of(prs, 'merged PR')})"
        )
    return kept


# -- one run: what to fetch, on a small pool --------------------------------------------------
@dataclass
class _Repo:
    repo: str
    base: str
    envs: int
    repo_body: Any = None
    deployments: dict[int, list[Any]] = field(default_factory=dict)
    """Environment index -> its pages."""
    statuses: dict[int, list[Any]] = field(default_factory=dict)
    in_range: dict[int, None] = field(default_factory=dict)
    """Deployments whose statuses were fetched, in request order."""
    leadup: list[tuple[datetime, int]] = field(default_factory=list)
    """Lead-up deployments (created before the window) not read yet, newest first."""
    listed: int = 0
    """Environments whose deployments are listed."""
    shown: int = 0
    """Deploy events before the window found in the statuses read."""
    reading: int = 0
    """Lead-up statuses requests in flight."""
    search: list[Any] | None = None
    in_window: dict[int, None] = field(default_factory=dict)
    """The PRs read whole (step 5): merged in the window, then the lead-up PRs they revert."""
    pulls: dict[int, Any] = field(default_factory=dict)
    people: dict[str, None] = field(default_factory=dict)
    """People's logins on the deployments and PRs listed (``github.authors``), in listing order."""
    authors_asked: bool = False
    commits: list[Any] | None = None
    """The commits listing's pages read (None: not asked, or its first page failed)."""
    by_author: dict[str, Any] = field(default_factory=dict)
    """Login -> its ``author=<login>`` page of the same range."""
    commits_failed: bool = False
    notes: list[str] = field(default_factory=list)
    error: tuple[int, SourceError] | None = None
    handled: dict[int, int] = field(default_factory=dict)
    """Environment index -> pages of its deployments listing already scheduled from."""
    reading_pages: dict[str, list[Any]] = field(default_factory=dict)
    """A deployments listing (``deployments:<env index>``) or the search (``search``): the pages
    read so far, appended by the worker paging it (``Client.pages(into=...)``)."""

    def files(self) -> dict[str, list[Any]]:
        """Every file of the repository, in a fixed order. Cut short by the deadline: the
        listings' pages read so far; statuses and PRs only once read whole (a deployment's first
        success may be on a later page of its statuses)."""
        deployment_pages = [
            p
            for env in range(self.envs)
            for p in self.deployments.get(
                env, list(self.reading_pages.get(f"deployments:{env}", []))
            )
        ]
        files: dict[str, list[Any]] = {
            self.base + "repo.json": [self.repo_body],
            self.base + "deployments.json": deployment_pages,
        }
        for ident in self.in_range:
            if ident in self.statuses:
                files[f"{self.base}statuses/{ident}.json"] = self.statuses[ident]
        search = self.search if self.search is not None else self.reading_pages.get("search")
        files[self.base + "merged_prs.json"] = list(search or [])
        for number in self.in_window:
            if number in self.pulls:
                files[f"{self.base}pulls/{number}.json"] = [self.pulls[number]]
        if self.commits is not None:
            by_author = [self.by_author[login] for login in sorted(self.by_author)]
            files[self.base + COMMITS_FILE] = [*self.commits, *by_author]
        return files

    def person(self, user: Any) -> None:
        if (login := human_login(user)) is not None:
            self.people.setdefault(login, None)

    def note(self, text: str | None) -> None:
        if text is not None and text not in self.notes:
            self.notes.append(text)


SETTLE_WAIT = 2.0
"""Seconds the run waits for requests already in flight when an error ends every repository,
so answers on their way are kept (never past the deadline)."""


class _Run:
    def __init__(self, client: Client, ctx: CollectContext, repos: list[str]) -> None:
        self.client = client
        self.ctx = ctx
        self.window = ctx.window
        envs = ctx.config.github.environments
        self.states = [
            _Repo(repo, f"{NAME}/{repo.split('/', 1)[0]}/{repo.split('/', 1)[1]}/", len(envs))
            for repo in repos
        ]
        self.pending: dict[Future[Any], tuple[_Repo, int, Callable[[Any], None]]] = {}
        self.order = 0
        self.pool: ThreadPoolExecutor | None = None
        self.stopping = False
        """An error that ends every repository was met: nothing new is asked."""

    def run(self) -> list[_Repo]:
        first, *others = self.states
        # The first request alone: a bad token or base_url fails once, not MAX_WORKERS times.
        self.order += 1
        try:
            _, first.repo_body = self._repo_get(first)
        except SourceError as exc:
            if isinstance(exc, (AllRepos, SourceTimedOut)):
                raise
            self._fail(first, self.order, exc)
        self.pool = ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="collect-github")
        try:
            if first.error is None:
                self._listings(first)
            for state in others:
                self._submit(state, partial(self._repo_body, state), self._set_repo(state))
                self._listings(state)
            self._drain()
        finally:
            for future in self.pending:
                future.cancel()
            self.pool.shutdown(wait=False, cancel_futures=True)
        for state in self.states:
            if state.error is None:
                self.ctx.progress(
                    NAME,
                    f"{state.repo}: {_count_deployments(state)} deployments, "
                    f"{len(state.in_range)} with statuses read, "
                    f"{sum(_count_items(p) for p in state.search or [])} merged PRs",
                )
        return self.states

    # -- scheduling (main thread only) ---------------------------------------------------------
    def _submit(self, state: _Repo, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        if state.error is not None or self.pool is None or self.stopping:
            return
        self.order += 1
        self.pending[self.pool.submit(fn)] = (state, self.order, done)

    def _drain(self) -> None:
        while self.pending:
            self._pages_arrived()
            if self._listing_one_env():  # look at its pages as they arrive, a tick at a time
                left = self.ctx.pace.remaining()
                tick = PAGE_TICK if left is None else min(PAGE_TICK, left)
                finished, _ = wait(list(self.pending), timeout=tick, return_when=FIRST_COMPLETED)
                if not finished and left is not None and left <= PAGE_TICK:
                    raise timed_out(self.ctx.pace, self.client.asking.said(), "GitHub")
            else:
                finished = first_done(
                    self.ctx.pace, self.pending, self.client.asking.said, "GitHub"
                )
            for future in sorted(finished, key=lambda f: self.pending[f][1]):
                if (failed := self._answered(future)) is None:
                    continue
                state, order, exc = failed
                if isinstance(exc, (AllRepos, SourceTimedOut)):
                    self._settle()
                    raise exc
                self._fail(state, order, exc)

    def _answered(self, future: Future[Any]) -> tuple[_Repo, int, SourceError] | None:
        """Take in an answered request (its value handed on); its error when it failed."""
        state, order, done = self.pending.pop(future)
        try:
            value = future.result()
        except SourceError as exc:
            return state, order, exc
        if state.error is None:
            done(value)
        return None

    def _settle(self) -> None:
        """Before an error that ends every repository stops the run (a rate limit that lifts
        after it): take in every answer that already arrived, so its pages are kept."""
        self.stopping = True
        left = self.ctx.pace.remaining()
        settle = SETTLE_WAIT if left is None else max(0.0, min(SETTLE_WAIT, left))
        if self.pending and settle:  # requests in flight answer within moments, or not at all
            wait(list(self.pending), timeout=settle)
        for future in sorted(self.pending, key=lambda f: self.pending[f][1]):
            if future.done() and not future.cancelled():
                self._answered(future)  # a failed one adds nothing: the run is ending

    def _fail(self, state: _Repo, order: int, exc: SourceError) -> None:
        if state.error is None or order < state.error[0]:
            state.error = (order, exc)
        for future, (other, _, _) in list(self.pending.items()):
            if other is state and future.cancel():
                del self.pending[future]
        self.ctx.progress(NAME, f"{state.repo} failed: {exc.detail}; continuing with other repos")

    # -- what to fetch ---------------------------------------------------------------------------
    def _repo_get(self, state: _Repo) -> tuple[dict[str, Any], Any]:
        return self.client.get(
            f"/repos/{state.repo}", what=f"repository {state.repo}", repo=state.repo
        )

    def _repo_body(self, state: _Repo) -> Any:
        return self._repo_get(state)[1]

    def _pull_body(self, repo: str, number: int) -> Any:
        return self.client.get(
            f"/repos/{repo}/pulls/{number}", what=f"PR #{number} of {repo}", repo=repo
        )[1]

    def _set_repo(self, state: _Repo) -> Callable[[Any], None]:
        def done(body: Any) -> None:
            state.repo_body = body

        return done

    def _listings(self, state: _Repo) -> None:
        repo = state.repo
        for index, env in enumerate(self.ctx.config.github.environments):
            what = f"deployments of {repo}"
            if len(self.ctx.config.github.environments) > 1:
                what += f" ({env})"
            self._submit(
                state,
                partial(
                    self.client.pages,
                    f"/repos/{repo}/deployments",
                    {"environment": env, "per_page": PER_PAGE},
                    what=what,
                    repo=repo,
                    stop=partial(_reaches_before, start=self.window.leadup_start),
                    on_page=self._page_progress(what),
                    into=state.reading_pages.setdefault(f"deployments:{index}", []),
                ),
                self._deployments_done(state, index),
            )
        query = (
            f"repo:{repo} is:pr is:merged merged:{_search_time(self.window.leadup_start)}.."
            f"{_search_time(self.window.end, ceil=True)}"
        )
        what = f"merged pull requests of {repo} (search)"
        into = state.reading_pages.setdefault("search", [])
        self._submit(
            state,
            lambda: self.client.pages(
                "/search/issues",
                {"q": query, "per_page": PER_PAGE},
                what=what,
                repo=repo,
                on_page=self._page_progress(what),
                into=into,
            ),
            self._search_done(state),
        )

    def _page_progress(self, what: str) -> Callable[[int], None]:
        def report(number: int) -> None:
            if number > 1:
                self.ctx.progress(NAME, f"{what}: page {number}")

        return report

    def _listing_one_env(self) -> bool:
        """Whether a repository's one deployments listing is still being paged."""
        return any(
            s.envs == 1 and s.error is None and 0 not in s.deployments and s.repo_body is not None
            for s in self.states
        )

    def _pages_arrived(self) -> None:
        """Statuses for the deployments of each page as it arrives (issue #13), so a listing
        cut short by the deadline still shows the deployments of its first pages: with one
        environment the listing is newest first, so the in-window deployments and the lead-up's
        newest come first. (With several, the lead-up is walked once every listing is read.)"""
        for state in self.states:
            if state.envs != 1 or state.error is not None or 0 in state.deployments:
                continue
            pages = list(state.reading_pages.get("deployments:0", []))
            if len(pages) > state.handled.get(0, 0):
                self._take(state, 0, pages)
                state.leadup = sorted(set(state.leadup), reverse=True)
                self._walk_back(state)

    def _take(self, state: _Repo, index: int, pages: list[Any]) -> None:
        """Schedule from the pages of listing ``index`` not scheduled from yet."""
        start = state.handled.get(index, 0)
        state.handled[index] = max(start, len(pages))
        for page in pages[start:]:
            for deployment in page if isinstance(page, list) else []:
                when = _created(deployment)
                ident = deployment.get("id") if isinstance(deployment, dict) else None
                if when is not None and self.window.leadup_start <= when <= self.window.end:
                    state.person(deployment.get("creator"))
                if (
                    not isinstance(ident, int)
                    or when is None
                    or not self.window.leadup_start <= when <= self.window.end
                    or ident in state.in_range
                ):
                    continue
                if when >= self.window.start:
                    self._statuses(state, ident, leadup=False)
                else:
                    state.leadup.append((when, ident))

    def _deployments_done(self, state: _Repo, index: int) -> Callable[[Listing], None]:
        def done(listing: Listing) -> None:
            state.deployments[index] = listing.pages
            state.note(listing.note)
            self._take(state, index, listing.pages)
            state.listed += 1
            if state.listed == state.envs:
                state.leadup = sorted(set(state.leadup), reverse=True)
                self._walk_back(state)
                self._authors(state)

        return done

    def _walk_back(self, state: _Repo) -> None:
        """Statuses of lead-up deployments, newest first, only until the deploys the timeline
        shows before the window (``[github] leadup_deploys``) are found: a busy repository's
        older deployments are never asked about (their records stay in deployments.json)."""
        wanted = self.ctx.config.github.leadup_deploys - state.shown
        if state.reading or wanted <= 0:
            return
        batch, state.leadup = state.leadup[:wanted], state.leadup[wanted:]
        for _, ident in batch:
            self._statuses(state, ident, leadup=True)

    def _statuses(self, state: _Repo, ident: int, *, leadup: bool) -> None:
        state.in_range[ident] = None
        if leadup:
            state.reading += 1
        repo = state.repo
        self._submit(
            state,
            partial(
                self.client.pages,
                f"/repos/{repo}/deployments/{ident}/statuses",
                {"per_page": PER_PAGE},
                what=f"statuses of deployment {ident} in {repo}",
                repo=repo,
            ),
            self._statuses_done(state, ident, leadup),
        )

    def _statuses_done(self, state: _Repo, ident: int, leadup: bool) -> Callable[[Listing], None]:
        def done(listing: Listing) -> None:
            state.statuses[ident] = listing.pages
            state.note(listing.note)
            if leadup:
                state.reading -= 1
                state.shown += _deploys_before(listing.pages, self.window.start)
                self._walk_back(state)

        return done

    def _search_done(self, state: _Repo) -> Callable[[Listing], None]:
        def done(listing: Listing) -> None:
            state.search = listing.pages
            state.note(listing.note)
            repo = state.repo
            for page in listing.pages:
                if not isinstance(page, dict):
                    continue
                total = page.get("total_count")
                if page.get("incomplete_results") is True or (
                    isinstance(total, int) and total > SEARCH_CAP
                ):
                    state.note(f"{repo}: GitHub search returned incomplete merged-PR results")
                for item in page.get("items") or []:
                    if isinstance(item, dict):
                        state.person(item.get("user"))
                    number, merged = _merged(item)
                    if (
                        number is None
                        or merged is None
                        or not self.window.start <= merged <= self.window.end
                        or number in state.in_window
                    ):
                        continue
                    state.in_window[number] = None
                    self._pull(state, number)
            self._reverted(state, listing.pages)
            self._authors(state)

        return done

    def _pull(self, state: _Repo, number: int) -> None:
        self._submit(
            state, partial(self._pull_body, state.repo, number), self._pull_done(state, number)
        )

    def _reverted(self, state: _Repo, pages: list[Any]) -> None:
        """The whole PR of each lead-up PR (in the search, merged before the window) that a PR
        merged in the window reverts: who merged the change the incident is about."""
        items = {
            number: item
            for page in pages
            if isinstance(page, dict)
            for item in page.get("items") or []
            if (number := _merged(item)[0]) is not None
        }
        for number in list(state.in_window):
            target = reverted_pr(items.get(number, {}).get("body"), state.repo)
            if target is not None and target in items and target not in state.in_window:
                state.in_window[target] = None
                self._pull(state, target)

    def _authors(self, state: _Repo) -> None:
        """The commits' first page, once the deployments, the search and the PRs merged in the
        window are read, only when a person (not a bot) created one of them or merged such a PR
        (``merged_by``: the merge row's actor) (``github.authors``)."""
        if (
            state.authors_asked
            or state.listed < state.envs
            or state.search is None
            or len(state.pulls) < len(state.in_window)
        ):
            return
        state.authors_asked = True
        if not state.people:
            return
        what = f"the commits of {state.repo}"
        params = self._commit_params()
        self._submit(
            state,
            _optional(
                partial(
                    self.client.get,
                    f"/repos/{state.repo}/commits",
                    params,
                    what=what,
                    repo=state.repo,
                )
            ),
            self._first_commits_done(state, what),
        )

    def _commit_params(self, **extra: Any) -> dict[str, Any]:
        return {
            **extra,
            "since": _commit_time(self.window.leadup_start),
            "until": _commit_time(self.window.end, ceil=True),
            "per_page": PER_PAGE,
        }

    def _first_commits_done(self, state: _Repo, what: str) -> Callable[[Any], None]:
        """The logins page 1 leaves without an address: the remaining pages (stopping once all
        are known) when they are no more than those logins, else one ``author=<login>`` listing
        of the same range each: whichever asks less."""

        def done(result: tuple[dict[str, Any], Any] | SourceError) -> None:
            if isinstance(result, SourceError):
                self._commits_failed(state, result)
                return
            headers, body = result
            state.commits = [body]
            missing = unknown(state.people, [body])
            after = pages_after(headers)
            if not missing or after == 0:
                return
            try:
                url = self.client.next_link(headers, what)
            except SourceError as exc:
                self._commits_failed(state, exc)
                return
            repo = state.repo
            if url is not None and after is not None and after <= len(missing):
                self._submit(
                    state,
                    _optional(
                        partial(
                            self.client.pages,
                            url,
                            {},
                            what=what,
                            repo=repo,
                            stop=until_known(missing),
                        )
                    ),
                    self._more_commits_done(state),
                )
                return
            for login in missing:
                self._submit(
                    state,
                    _optional(
                        partial(
                            self.client.get,
                            f"/repos/{repo}/commits",
                            self._commit_params(author=login),
                            what=f"the commits of {login} in {repo}",
                            repo=repo,
                        )
                    ),
                    self._login_commits_done(state, login),
                )

        return done

    def _more_commits_done(self, state: _Repo) -> Callable[[Any], None]:
        def done(result: Listing | SourceError) -> None:
            if isinstance(result, SourceError):
                self._commits_failed(state, result)
            elif state.commits is not None:
                state.commits.extend(result.pages)
                state.note(result.note)

        return done

    def _login_commits_done(self, state: _Repo, login: str) -> Callable[[Any], None]:
        def done(result: tuple[dict[str, Any], Any] | SourceError) -> None:
            if isinstance(result, SourceError):
                self._commits_failed(state, result)
            else:
                state.by_author[login] = result[1]

        return done

    def _commits_failed(self, state: _Repo, exc: SourceError) -> None:
        """Optional: a failure keeps the repository's evidence and warns once."""
        if not state.commits_failed:
            state.commits_failed = True
            state.note(
                f"{state.repo}: commit emails not read ({exc.detail}); GitHub logins "
                "keep their names unless [people] aliases map them"
            )

    def _pull_done(self, state: _Repo, number: int) -> Callable[[Any], None]:
        def done(body: Any) -> None:
            state.pulls[number] = body
            state.person(body.get("merged_by") if isinstance(body, dict) else None)
            self._authors(state)

        return done


def _created(record: Any) -> datetime | None:
    if not isinstance(record, dict):
        return None
    try:
        return parse_iso(str(record.get("created_at") or ""))
    except TimeFormatError:
        return None


def _deploys_before(pages: list[Any], start: datetime) -> int:
    """The deploy events these statuses make before ``start``: the first success, and the first
    failure or error (``github.parse``), each counted when its time is before ``start``."""
    found = 0
    for states in (("success",), ("failure", "error")):
        times = [
            when
            for page in pages
            for status in (page if isinstance(page, list) else [])
            if isinstance(status, dict)
            and str(status.get("state") or "").lower() in states
            and (when := _created(status)) is not None
        ]
        if times and min(times) < start:
            found += 1
    return found


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


def _count_deployments(state: _Repo) -> int:
    return sum(len(p) for ps in state.deployments.values() for p in ps if isinstance(p, list))


def _count_items(page: Any) -> int:
    items = page.get("items") if isinstance(page, dict) else None
    return len(items) if isinstance(items, list) else 0


def _search_time(when: datetime, *, ceil: bool = False) -> str:
    """Search qualifiers take ``YYYY-MM-DDTHH:MM:SS+00:00``; whole seconds, widened outwards."""
    if ceil and when.microsecond:
        when = when + timedelta(seconds=1)
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _optional(call: Callable[[], Any]) -> Callable[[], Any]:
    """``call``, its ``SourceError`` returned instead of raised (a request the repository's
    evidence does not need: ``_Run._commits_failed`` warns)."""

    def run() -> Any:
        try:
            return call()
        except SourceError as exc:
            return exc

    return run


def _commit_time(when: datetime, *, ceil: bool = False) -> str:
    """``since`` / ``until`` of the commits listing: ISO 8601 ``YYYY-MM-DDTHH:MM:SSZ`` (as
    PyGithub's ``Repository.get_commits`` sends them); whole seconds, widened outwards."""
    if ceil and when.microsecond:
        when = when + timedelta(seconds=1)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
