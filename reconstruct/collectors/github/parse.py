"""github: deployments (when a status turned success / failure) and merged PRs, per repository.

Bundle files (see ``reconstruct.bundle``), per ``github/<owner>/<repo>/``:

- ``repo.json``: ``[GET /repos/o/r]``; its ``html_url`` gives the web host (GitHub Enterprise too);
- ``deployments.json`` + ``statuses/<id>.json``: one ``deploy`` event per deployment for the first
  ``success`` status, and one (tag ``failure``) for the first ``failure``/``error`` status;
  ``inactive``, ``pending``, ``queued``, ``in_progress`` are not events;
- ``merged_prs.json`` (search pages, ``is:pr is:merged``) + ``pulls/<n>.json``: one ``change``
  event per merged PR, with its title and label names in the summary so that
  ``[github] leadup_match`` can match them. ``pulls/<n>/files.json``, when a bundle holds it
  (pages of ``GET /repos/o/r/pulls/{n}/files``,
  https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files: an array of
  ``{"sha", "filename", "status", "additions", "deletions", "changes", "blob_url", "raw_url",
  "contents_url", "patch", "previous_filename"}``), tags the PR ``files:paperwork`` when every
  ``filename`` is docs, an alert rule or a dashboard (``normalize.leadup.paperwork_path``), else
  ``files:code``: a lead-up change of docs only is no candidate cause by its words. The live
  collection does not read it (one request per PR); a file entry is no record of its own.
  A revert PR (title ``Revert "..."`` as GitHub's revert
  button writes it, ``revert: ...``, or a body ``Reverts owner/repo#123``) is tagged ``revert``.
  The actor is who merged it: ``merged_by`` of the single-PR body (``GET /repos/o/r/pulls/{n}``,
  https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request); the search items and the pulls
  listing carry no ``merged_by``, so a PR read only from them has no actor. Its author (``user``)
  is named in the text when they are not the merger, ``Merged PR #2296: Revert "..." (opened by
  rahul-menon)``, and tagged ``target:<login>`` so ``normalize.people`` gives the author one
  name per person too (in the text and as ``whom:``).

A deployment is a rollback when it puts back a sha that was live in the same environment before
another one, or when its ``task`` / ``description`` / ``ref`` / ``payload`` / environment names or
a status ``description`` say so (``rollback``, ``rolled back``, ``rolling back``): "Rolled back
acme/checkout to 1a2b3c4 in production". It deploys a revert (tag ``revert``) when it ships a revert
PR or those words say ``revert`` (``deploybot: checkout 4f2c9e1 (revert #412)``): a revert is a new
commit going forward, "Deployed revert PR #415 (reverts PR #412) to production: acme/edge-gateway
7c1d2e3 (main)". Both undo a change: both are tagged ``rollback`` (a mitigation, when it went live;
``render.metrics``). ``transient_environment: true`` adds ``transient``; the deployment's
``created_at`` (when it was requested) is the tag ``requested:<ISO 8601 UTC>``, so
``normalize.deploystart`` joins a deploy bot's start post however long the rollout took.
A deployment's actor is its ``creator`` (else the status's): a GitHub App's login reads
``shipit (bot)`` (``shipit[bot]``, as every login of an app reads in rows), and the row is tagged
``bot-actor:<name>`` when the creator is an app (``type: "Bot"``), so ``normalize.deployer``
may credit the person the deploy bot's post names, or the one its ``payload`` names
(``notify.user_name``, ``notify.user``, ``user``: tag ``started-by:<name>``).
The parser tags ``production`` and ``rollback`` but never ``leadup``: the normalizer decides that by
time. Every record is read defensively: a malformed one is counted (``not understood``), never
fatal; a deployment without a success or failure status is counted as never gone live (or as
outside the window when created outside it: a live run reads no statuses for it), an unmerged
PR as not merged. Links: ``deploy run`` (the status's log or target URL, else the repository's
deployments page), ``commit <sha7>``, ``PR #<n>``.

Live collection (``collect``) lives in ``reconstruct.collectors.github.live`` and imports PyGithub
only when it runs.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconstruct.bundle import Bundle, iter_records
from reconstruct.collectors.github.authors import COMMITS_FILE
from reconstruct.collectors.skips import (
    COPY,
    NOT_UNDERSTOOD,
    UNREADABLE_TIME,
    left_out,
    records,
    unreadable_time,
)
from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.deployer import BOT_ACTOR, STARTED_BY, bot_login
from reconstruct.normalize.deploystart import REQUESTED
from reconstruct.normalize.leadup import CODE_FILES, PAPERWORK_FILES, paperwork_path
from reconstruct.normalize.utc import OUTSIDE
from reconstruct.timeutil import TimeFormatError, iso_z, parse_iso

NAME = "github"
TARGET = "target:"
"""The tag naming a person a record is about besides its actor (``normalize.people``)."""
_SHA = re.compile(r"[0-9a-fA-F]{7,40}")
_ROLLBACK = re.compile(r"\broll(?:ed|ing|s)?[\s_-]?back\b", re.IGNORECASE)
_REVERT = re.compile(r"\brevert(?:ed|ing|s)?\b", re.IGNORECASE)
_REVERT_OF = re.compile(r"\brevert(?:ed|ing|s)?\s+(?:of\s+)?(?:PR\s+)?#(\d+)\b", re.IGNORECASE)
"""A deployment's words naming what it reverts: ``revert #412``, ``revert of PR #412``."""
_API_REPO = re.compile(
    r"^(?P<scheme>https?)://(?P<host>[^/]+)(?P<prefix>/api/v3)?/repos/(?P<owner>[^/]+)/(?P<repo>[^/?#]+)"
)
_PR_IN_REF = re.compile(r"(?:^|/)pull/(\d+)(?:/|$)")
_REVERT_TITLE = re.compile(
    r'^\s*(?:revert\s*"|revert(?:\(.*?\))?!?:\s|revert\s+#\d)', re.IGNORECASE
)
"""GitHub's revert button titles a PR ``Revert "<title>"``; Conventional Commits write
``revert: <title>``; people write ``Revert #1187``."""
_REVERTS_BODY = re.compile(r"\bReverts\s+(?:[\w.-]+/[\w.-]+)?#(\d+)", re.IGNORECASE)
"""The body GitHub's revert button writes: ``Reverts owner/repo#1187``."""
_MERGE_TITLE = re.compile(r"^Merge pull request #(\d+) from \S")
_SQUASH_TITLE = re.compile(r"\(#(\d+)\)\s*$")
"""GitHub's merge commit and squash commit titles name the PR they merged."""
_PRODUCTION = {"production", "prod"}
NEVER_LIVE = "deployments that never went live (no success or failure status)"
EARLIER_DEPLOYS = "earlier deploys"
"""Lead-up deployments older than the ones shown, whose statuses a live run does not read (the
normalizer's own reason for the lead-up deploys it does not show)."""
NOT_READ = "deployments whose statuses were not read"
NOT_MERGED = "pull requests not merged"


# -- small defensive readers ----------------------------------------------------------------------
def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_iso(value)
    except TimeFormatError:
        unreadable_time(value)
        return None


def _login(user: Any) -> str | None:
    """The account's login as rows show it: a GitHub App's ``shipit[bot]`` reads
    ``shipit (bot)`` (``deployer.bot_login``)."""
    login = _str(user.get("login")) if isinstance(user, dict) else None
    return bot_login(login) if login else None


def _requester(payload: Any) -> str | None:
    """Who asked for a deployment an app created, as its free-form ``payload`` says: chat-ops
    tools write it (hubot-deploy: ``notify.user_name``, else ``notify.user``; GitHub's API
    reference example: ``{"user": "atmos"}``); None when it says no one."""
    if isinstance(payload, str):  # the API also returns a payload given as a JSON string
        try:
            payload = json.loads(payload)
        except ValueError:
            return None
    if not isinstance(payload, dict):
        return None
    notify = payload.get("notify")
    notify = notify if isinstance(notify, dict) else {}
    for value in (notify.get("user_name"), notify.get("user"), payload.get("user")):
        if (name := _str(value)) is not None:
            return name
    return None


def _is_bot(user: Any) -> bool:
    """An app's account: ``type: "Bot"`` (a GitHub App's ``<app>[bot]``), not a person."""
    return isinstance(user, dict) and (
        user.get("type") == "Bot" or str(user.get("login") or "").endswith("[bot]")
    )


def _http(url: Any) -> str | None:
    text = _str(url)
    return text if text and re.match(r"https?://", text) else None


def _sha7(sha: str | None) -> str | None:
    return sha[:7].lower() if sha and _SHA.fullmatch(sha) else None


# -- URLs -----------------------------------------------------------------------------------------
def api_to_web_repo(url: str) -> str | None:
    """The web address of the repository an API URL belongs to.

    ``https://api.github.com/repos/o/r/...`` -> ``https://github.com/o/r``;
    ``https://ghe.example.com/api/v3/repos/o/r/...`` -> ``https://ghe.example.com/o/r``;
    ``https://api.acme.ghe.com/repos/o/r`` -> ``https://acme.ghe.com/o/r``.
    """
    match = _API_REPO.match(url)
    if not match:
        return None
    host = match["host"]
    if host.startswith("api."):
        host = host[len("api.") :]
    return f"{match['scheme']}://{host}/{match['owner']}/{match['repo']}"


@dataclass(frozen=True)
class _Repo:
    name: str
    """``owner/repo`` as the bundle folder spells it."""
    web: str
    """``https://github.com/owner/repo`` (or the GitHub Enterprise host)."""

    @property
    def scope(self) -> str:
        return f"{NAME}:{self.name}"

    def pr_ref(self, number: int) -> str:
        return f"pr:{self.name.lower()}#{number}"


def _repo_web(name: str, repo_json: Mapping[str, Any] | None, samples: list[Any]) -> str:
    if repo_json:
        html = _http(repo_json.get("html_url"))
        if html:
            return html.rstrip("/")
        api = _http(repo_json.get("url"))
        if api and (web := api_to_web_repo(api)):
            return web
    for sample in samples:
        url = _http(sample)
        if url and (web := api_to_web_repo(url)):
            return web
    return f"https://github.com/{name}"


def _repos(bundle: Bundle) -> list[str]:
    names: set[str] = set()
    for path in bundle.files(f"{NAME}/"):
        parts = path.split("/")
        if len(parts) >= 4:
            names.add(f"{parts[1]}/{parts[2]}")
    return sorted(names)


# -- parse ----------------------------------------------------------------------------------------
def parse(bundle: Bundle) -> Iterator[Event]:
    for name in _repos(bundle):
        yield from parse_repo(bundle, name)


def parse_repo(bundle: Bundle, name: str) -> Iterator[Event]:
    """Events of one repository folder ``github/<owner>/<repo>/``."""
    base = f"{NAME}/{name}/"
    repo_json = next(iter_records(bundle.pages(base + "repo.json"), None), None)
    scope = f"{NAME}:{name}"
    deployments = _unique_by_id(
        records(bundle.pages(base + "deployments.json"), None, scope), scope
    )
    samples = [d.get("repository_url") for d in deployments] + [d.get("url") for d in deployments]
    repo = _Repo(name=name, web=_repo_web(name, repo_json, samples))
    display = _str(repo_json.get("full_name")) if repo_json else None

    pulls: dict[int, dict[str, Any]] = {}
    changed: dict[int, list[str]] = {}
    for path in bundle.files(base + "pulls/"):
        number_part, slash, rest = path[len(base + "pulls/") :].partition("/")
        if slash:  # pulls/<n>/files.json: what a PR changed, no record of its own
            if rest == "files.json" and number_part.isdigit():
                changed[int(number_part)] = _filenames(bundle.pages(path))
            continue
        for record in records(bundle.pages(path), None, scope):
            number = _int(record.get("number"))
            if number is not None:
                pulls[number] = record
            else:
                left_out(scope, NOT_UNDERSTOOD)
    pr_by_sha = {
        sha.lower(): n for n, pr in pulls.items() if (sha := _str(pr.get("merge_commit_sha")))
    }
    search = list(bundle.pages(base + "merged_prs.json"))
    merged = {n for item in iter_records(search, "items") if (n := _int(item.get("number")))}
    for sha, number in _merge_commits(bundle.pages(base + COMMITS_FILE)).items():
        if number in merged:  # a lead-up PR read from the search only: its merge sha
            pr_by_sha.setdefault(sha, number)
    sha_of = {n: sha for sha, n in sorted(pr_by_sha.items(), reverse=True)}
    for n, pr in pulls.items():  # a branch deployed before its merge: the PR's head commit
        head = pr.get("head")
        if isinstance(head, dict) and (sha := _str(head.get("sha"))) and _SHA.fullmatch(sha):
            pr_by_sha.setdefault(sha.lower(), n)

    rollbacks = _redeploys(deployments)
    reverts = _reverts(search, pulls)
    titles = _titles(search, pulls)
    window = bundle.manifest.window
    for deployment in deployments:
        path = f"{base}statuses/{deployment['id']}.json"
        created = _time(deployment.get("created_at"))
        if not bundle.has(path):  # a live run reads statuses only for deploys it can show
            if created is not None and not window.contains(created, leadup=True):
                left_out(repo.scope, OUTSIDE)
            elif created is not None and created < window.start:
                left_out(repo.scope, EARLIER_DEPLOYS)  # beyond the last leadup_deploys
            else:
                left_out(repo.scope, NOT_READ)
            continue
        statuses = list(iter_records(bundle.pages(path), None))
        yield from _deployment_events(
            repo, display or name, deployment, statuses, rollbacks, pr_by_sha, reverts, titles
        )
    for event in _pr_events(repo, search, pulls, reverts, sha_of):
        number = int(event.key.rpartition("#")[2])
        if changed.get(number):
            files = changed[number]
            tag = PAPERWORK_FILES if all(map(paperwork_path, files)) else CODE_FILES
            event = dataclasses.replace(event, tags=event.tags | {tag})
        yield event


def _filenames(pages: list[Any]) -> list[str]:
    """The ``filename`` of each entry of ``GET /repos/o/r/pulls/{n}/files`` pages."""
    return [name for entry in iter_records(pages, None) if (name := _str(entry.get("filename")))]


def _merge_commits(pages: list[Any]) -> dict[str, int]:
    """Merge sha -> PR number, from the default branch's commits (``commits.json``, read for
    people too: ``github.authors``): GitHub's merge commit message ``Merge pull request #1187
    from owner/branch`` and its squash commit title ``Reduce cache TTL (#1187)``. The search
    items carry no ``merge_commit_sha``; this links a lead-up PR to the deploy that shipped it
    at no request."""
    found: dict[str, int] = {}
    for commit in iter_records(pages, None):
        sha = _str(commit.get("sha"))
        body = commit.get("commit")
        message = _str(body.get("message")) if isinstance(body, dict) else None
        if not sha or not _SHA.fullmatch(sha) or not message:
            continue
        title = message.splitlines()[0]
        if match := _MERGE_TITLE.match(title) or _SQUASH_TITLE.search(title):
            found.setdefault(sha.lower(), int(match.group(1)))
    return found


def _unique_by_id(found: Iterator[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    """Deployments once each (pages may overlap: each extra copy is counted under ``COPY``);
    one without an id is not understood."""
    seen: dict[int, dict[str, Any]] = {}
    for record in found:
        ident = _int(record.get("id"))
        if ident is None:
            left_out(scope, NOT_UNDERSTOOD)
        elif ident in seen:
            left_out(scope, COPY)  # served twice (overlapping pages): counted, not lost
        else:
            seen[ident] = {**record, "id": ident}
    return list(seen.values())


def _redeploys(deployments: list[dict[str, Any]]) -> set[int]:
    """Deployments that put back a sha deployed to the same environment earlier, with another
    sha in between (a rollback); deploying the same sha twice in a row is a retry, not one."""
    by_env: dict[str, list[tuple[datetime, int, str]]] = {}
    for d in deployments:
        when, sha = _time(d.get("created_at")), _str(d.get("sha"))
        if when is not None and sha:
            env = (_str(d.get("environment")) or "").lower()
            by_env.setdefault(env, []).append((when, d["id"], sha.lower()))
    out: set[int] = set()
    for items in by_env.values():
        items.sort()
        for i, (_, ident, sha) in enumerate(items):
            earlier = [s for _, _, s in items[:i]]
            if earlier and earlier[-1] != sha and sha in earlier:
                out.add(ident)
    return out


def _reverts(pages: list[Any], pulls: Mapping[int, dict[str, Any]]) -> dict[int, int | None]:
    """Revert PRs: number -> the PR it reverts (from ``Reverts owner/repo#N`` in the body), or
    None when only the title says it is a revert."""
    records: dict[int, dict[str, Any]] = {}
    for item in iter_records(pages, "items"):
        number = _int(item.get("number"))
        if number is not None:
            records.setdefault(number, item)
    records.update(pulls)
    out: dict[int, int | None] = {}
    for number, record in records.items():
        title, body = _str(record.get("title")) or "", _str(record.get("body")) or ""
        found = _REVERTS_BODY.search(body)
        if found or _REVERT_TITLE.match(title):
            out[number] = int(found.group(1)) if found else None
    return out


def _titles(pages: list[Any], pulls: Mapping[int, dict[str, Any]]) -> dict[int, str]:
    """PR number -> its title (spaces folded), of the merged PRs read (the single-PR body wins
    over the search item)."""
    out: dict[int, str] = {}
    for record in [*iter_records(pages, "items"), *pulls.values()]:
        number, title = _int(record.get("number")), _str(record.get("title"))
        if number is not None and title:
            out[number] = " ".join(title.split())
    return out


def _mentions(
    deployment: Mapping[str, Any], statuses: list[dict[str, Any]], words: re.Pattern[str]
) -> re.Match[str] | None:
    """The first match of ``words`` (``_ROLLBACK``: it rolls back, ``deploy:rollback``;
    ``_REVERT``) in the deployment's ``task``, ``description``, ``ref``, ``payload``, environment
    names, or a status description; None when none says it."""
    for text in _texts(deployment, statuses):
        if found := words.search(text):
            return found
    return None


def _texts(deployment: Mapping[str, Any], statuses: list[dict[str, Any]]) -> list[str]:
    payload = deployment.get("payload")
    texts = [
        deployment.get("description"),
        deployment.get("ref"),
        deployment.get("task"),
        deployment.get("environment"),
        deployment.get("original_environment"),
        *(s.get("description") for s in statuses),
    ]
    if isinstance(payload, str):
        texts.append(payload)
    elif isinstance(payload, dict | list):
        texts.append(json.dumps(payload))
    return [t for t in texts if isinstance(t, str)]


def _requested(value: Any) -> str:
    """The deployment's ``created_at`` (when it was requested) as ISO 8601 UTC, "" when absent
    or unreadable (``_redeploys`` counts an unreadable one already)."""
    try:
        return iso_z(parse_iso(value)) if isinstance(value, str) and value else ""
    except TimeFormatError:
        return ""


def _reverting(
    deployment: Mapping[str, Any],
    statuses: list[dict[str, Any]],
    pr: int | None,
    reverts: Mapping[int, int | None],
) -> str:
    """What a revert deployment ships, as a row says it: ``revert PR #415 (reverts PR #412)``
    (its revert PR, from the PR's body), ``a revert of #412`` (its own words), ``a revert``."""
    if pr is not None:
        reverted = reverts.get(pr)
        return f"revert PR #{pr}" + (f" (reverts PR #{reverted})" if reverted is not None else "")
    if found := _mentions(deployment, statuses, _REVERT_OF):
        return f"a revert of #{found.group(1)}"
    return "a revert"


def _shipping(pr: int | None, titles: Mapping[int, str]) -> str | None:
    """What a deployment ships, as a row names it: ``PR #3321 (<title>)`` when its PR is known
    (``_deploy_pr``: its payload or ref names it, or its sha is the PR's merge commit exactly)
    and merged in the collection range (its title read), ``PR #3321`` when only the number is
    known; None when no PR is known."""
    if pr is None:
        return None
    title = titles.get(pr)
    return f"PR #{pr} ({title})" if title else f"PR #{pr}"


def _deploy_pr(deployment: Mapping[str, Any], pr_by_sha: Mapping[str, int]) -> int | None:
    payload = deployment.get("payload")
    if isinstance(payload, dict):
        for key in ("pr", "pull_request", "pull_request_number", "pr_number"):
            value = payload.get(key)
            number = _int(value.get("number")) if isinstance(value, dict) else _int(value)
            if number is not None:
                return number
    ref = _str(deployment.get("ref"))
    if ref and (match := _PR_IN_REF.search(ref)):
        return int(match.group(1))
    sha = _str(deployment.get("sha"))
    return pr_by_sha.get(sha.lower()) if sha else None


def _first(
    statuses: list[dict[str, Any]], states: set[str]
) -> tuple[dict[str, Any], datetime] | None:
    found = [
        (when, _int(s.get("id")) or 0, i, s)
        for i, s in enumerate(statuses)
        if (_str(s.get("state")) or "").lower() in states
        and (when := _time(s.get("created_at"))) is not None
    ]
    if not found:
        return None
    when, _, _, status = min(found, key=lambda item: item[:3])
    return status, when


def _deployment_events(
    repo: _Repo,
    display: str,
    deployment: dict[str, Any],
    statuses: list[dict[str, Any]],
    rollbacks: set[int],
    pr_by_sha: Mapping[str, int],
    reverts: Mapping[int, int | None],
    titles: Mapping[int, str],
) -> Iterator[Event]:
    ident: int = deployment["id"]
    sha = _str(deployment.get("sha"))
    sha7 = _sha7(sha)
    ref = _str(deployment.get("ref"))
    if (
        ref
        and sha
        and (
            ref.lower() == sha.lower()
            or (_SHA.fullmatch(ref) and sha.lower().startswith(ref.lower()))
        )
    ):
        ref = None  # a sha deployed by sha: nothing more to say
    env = _str(deployment.get("environment")) or _str(deployment.get("original_environment"))
    env_text = env or "an unnamed environment"
    what = " ".join(
        p for p in (sha7 or (sha[:12] if sha else None), f"({ref})" if ref else None) if p
    )
    if not what:
        what = f"deployment {ident}"
    pr = _deploy_pr(deployment, pr_by_sha)
    said = ident in rollbacks or _mentions(deployment, statuses, _ROLLBACK) is not None
    reverts_pr = pr is not None and pr in reverts
    revert = reverts_pr or _mentions(deployment, statuses, _REVERT) is not None
    rollback = said or revert  # either undoes a change: a mitigation when it went live

    tags: set[str] = set()
    if (env and env.lower() in _PRODUCTION) or deployment.get("production_environment") is True:
        tags.add("production")
    if rollback:
        tags.add("rollback")
    if revert:
        tags.add("revert")
    if deployment.get("transient_environment") is True:
        tags.add("transient")
    if requested := _requested(deployment.get("created_at")):
        tags.add(f"{REQUESTED}{requested}")  # the deploy's start, however long it took to go live
    refs: set[str] = set()
    if sha7:
        refs.add(f"sha:{sha7}")
    if ref:
        refs.add(f"deploy:{ref.removeprefix('refs/tags/').removeprefix('refs/heads/').lower()}")
    if pr is not None:
        refs.add(repo.pr_ref(pr))
    creator = deployment.get("creator")
    actor = _login(creator)
    if _is_bot(creator) and (requester := _requester(deployment.get("payload"))):
        tags.add(STARTED_BY + requester)  # ``normalize.deployer`` credits them when they resolve

    outcomes = (({"success"}, False), ({"failure", "error"}, True))
    states_seen = {(_str(s.get("state")) or "").lower() for s in statuses}
    if not any(states & states_seen for states, _ in outcomes):
        left_out(repo.scope, NEVER_LIVE)
        return
    for states, failed in outcomes:
        first = _first(statuses, states)
        if first is None:
            if states & states_seen:
                left_out(repo.scope, UNREADABLE_TIME)  # the outcome is there, its time is not
            continue
        status, when = first
        state = (_str(status.get("state")) or "").lower()
        reverting = _reverting(deployment, statuses, pr if reverts_pr else None, reverts)
        shipping = _shipping(pr, titles)
        if failed:
            if said:
                summary = f"Rollback of {display} to {what} in {env_text} failed"
            elif revert:
                summary = f"Deploy of {reverting} to {env_text} failed: {display} {what}"
            elif shipping:
                summary = f"Deploy of {shipping} to {env_text} failed: {display} {what}"
            else:
                summary = f"Deploy of {display} {what} to {env_text} failed"
            if state == "error":
                summary += " (error)"
        elif said:
            summary = f"Rolled back {display} to {what} in {env_text}"
            if reverts_pr:
                summary += f": {reverting}"
        elif revert:  # a revert is a new commit going forward, no rollback
            summary = f"Deployed {reverting} to {env_text}: {display} {what}"
        elif shipping:
            summary = f"Deployed {shipping} to {env_text}: {display} {what}"
        else:
            summary = f"Deployed {display} {what} to {env_text}"
        by_status = status.get("creator")
        by = actor or _login(by_status)
        links: list[Link] = []
        log = _http(status.get("log_url")) or _http(status.get("target_url"))
        if log:
            links.append(Link(NAME, log, "deploy run"))
        else:
            links.append(Link(NAME, f"{repo.web}/deployments", "deployments"))
        if sha and _SHA.fullmatch(sha):
            links.append(Link(NAME, f"{repo.web}/commit/{sha}", f"commit {sha[:7].lower()}"))
        yield Event(
            time=when,
            kind=Kind.DEPLOY,
            summary=summary,
            sources=(NAME,),
            links=tuple(links),
            key=f"{NAME}:deployment:{repo.name}:{ident}:{state}",
            actor=by,
            refs=frozenset(refs),
            tags=frozenset(
                tags
                | ({"failure"} if failed else set())
                | ({BOT_ACTOR + by} if by and _is_bot(creator if actor else by_status) else set())
            ),
            scope=repo.scope,
        )


def _labels(record: Mapping[str, Any]) -> list[str]:
    labels = record.get("labels")
    if not isinstance(labels, list):
        return []
    names = [_str(lbl.get("name")) if isinstance(lbl, dict) else _str(lbl) for lbl in labels]
    return [n for n in names if n]


def _pr_events(
    repo: _Repo,
    pages: list[Any],
    pulls: Mapping[int, dict[str, Any]],
    reverts: Mapping[int, int | None],
    sha_of: Mapping[int, str],
) -> Iterator[Event]:
    items: dict[int, dict[str, Any]] = {}
    for item in records(pages, "items", repo.scope):
        number = _int(item.get("number"))
        if number is not None and isinstance(item.get("pull_request"), dict):
            if number in items:
                left_out(repo.scope, COPY)  # the same PR in two result pages
            else:
                items[number] = item
        elif number is None or number not in pulls:
            left_out(repo.scope, NOT_UNDERSTOOD)  # an issue, or a result without a number
    for number in sorted(set(items) | set(pulls)):
        event = _pr_event(
            repo, number, items.get(number), pulls.get(number), reverts, sha_of.get(number)
        )
        if event is not None:
            yield event


def _pr_event(
    repo: _Repo,
    number: int,
    item: dict[str, Any] | None,
    full: dict[str, Any] | None,
    reverts: Mapping[int, int | None],
    merge_sha: str | None = None,
) -> Event | None:
    record = full or item or {}
    if full is not None:
        # The whole PR is the later, authoritative read: merged_at null means not merged.
        when = _time(full.get("merged_at"))
    else:
        assert item is not None
        pull = item.get("pull_request")
        when = _time(pull.get("merged_at")) if isinstance(pull, dict) else None
        # merged_prs.json only holds ``is:merged`` results, so closing time is the merge time.
        when = when or _time(item.get("closed_at"))
    if when is None:
        if full is not None:
            stamp = full.get("merged_at")
            missing = NOT_MERGED  # the whole PR says merged_at null
        else:
            assert item is not None
            stamp = item.get("closed_at")
            missing = NOT_UNDERSTOOD
        left_out(repo.scope, UNREADABLE_TIME if isinstance(stamp, str) and stamp else missing)
        return None
    title = _str(record.get("title")) or (_str(item.get("title")) if item else None) or "(untitled)"
    labels = _labels(record) or (_labels(item) if item else [])
    author = _login(record.get("user")) or (_login(item.get("user")) if item else None)
    merger = _login(full.get("merged_by")) if full is not None else None
    summary = f"Merged PR #{number}: {' '.join(title.split())}"
    opened = author if author and author != merger else None
    if opened:
        summary += f" (opened by {opened})"
    if labels:
        summary += f" (labels: {', '.join(labels)})"
    if (reverted := reverts.get(number)) is not None and f"#{reverted}" not in summary:
        summary += f" (reverts PR #{reverted})"
    refs = {repo.pr_ref(number)}
    sha = _str(full.get("merge_commit_sha")) if full is not None else None
    if sha7 := _sha7(sha or merge_sha):
        refs.add(f"sha:{sha7}")
    pull = item.get("pull_request") if item else None
    url = (
        _http(record.get("html_url"))
        or (_http(pull.get("html_url")) if isinstance(pull, dict) else None)
        or f"{repo.web}/pull/{number}"
    )
    return Event(
        time=when,
        kind=Kind.CHANGE,
        summary=summary,
        sources=(NAME,),
        links=(Link(NAME, url, f"PR #{number}"),),
        key=f"{NAME}:pr:{repo.name}#{number}",
        actor=merger,
        refs=frozenset(refs),
        tags=frozenset(
            {*(["revert"] if number in reverts else []), *([TARGET + opened] if opened else [])}
        ),
        scope=repo.scope,
    )


# -- live -----------------------------------------------------------------------------------------
