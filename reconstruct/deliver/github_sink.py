"""GitHub sink: open a pull request that adds the post-mortem to a docs repository.

Turned on by ``[deliver.github] repo = "owner/name"``. Through PyGithub, in order:

    GET  /repos/o/r                              the repository (404: wrong name or no access)
    GET  /repos/o/r/git/ref/heads/<base>         the base branch's commit
    POST /repos/o/r/git/refs                     branch postmortem/<date>-<slug> (422 "Reference
                                                 already exists": an earlier attempt made it, reuse)
    GET  /repos/o/r/contents/<path>?ref=<branch> the file on that branch, if any
    PUT  /repos/o/r/contents/<path>              create it, or update it when it differs
    GET  /repos/o/r/pulls?state=open&head=o:<branch>&base=<base>
    POST /repos/o/r/pulls                        only when no open PR exists for the branch

so a retry after a half-finished attempt reuses the branch, the file and the pull request instead
of making second ones. An updated draft (``draft.revision`` > 1: reopened and resolved again
after a delivery) goes the same way: the file on the branch is updated, so an open pull request
shows the new revision; when that one was merged or closed, a new one proposes the update.
Returns the pull request's html_url. Token: GITHUB_TOKEN, fine-grained
with Contents and Pull requests read/write on the docs repository (classic: ``repo``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reconstruct.config import Config, token
from reconstruct.deliver.base import Draft
from reconstruct.deliver.safe import Outbound
from reconstruct.errors import DeliveryError
from reconstruct.redact import Redactor

if TYPE_CHECKING:
    from github.Repository import Repository

NAME = "github"
PERMISSIONS = "Contents and Pull requests read/write"


class GitHubSink:
    name = NAME

    def __init__(self, config: Config, repo: str) -> None:
        self.config = config
        self.repo = repo
        self.settings = config.deliver.github

    def path_for(self, draft: Draft) -> str:
        incident = draft.incident
        try:
            path = self.settings.path.format(
                date=draft.date,
                slug=draft.slug,
                number=incident.number if incident.number is not None else draft_id(draft),
                id=draft_id(draft),
            )
        except (KeyError, IndexError, ValueError) as exc:
            raise DeliveryError(
                f"github sink: [deliver.github] path {self.settings.path!r} is not a valid "
                f"template ({exc}); use {{date}}, {{slug}}, {{number}} and {{id}}"
            ) from exc
        return path.lstrip("/")

    def branch_for(self, draft: Draft) -> str:
        return f"postmortem/{draft.date}-{draft.slug}"

    def deliver(self, draft: Draft) -> str:
        import requests
        from github import Auth, Github, GithubException

        secret = token("github")
        if secret is None:
            raise DeliveryError(
                f"github sink: GITHUB_TOKEN is not set; export a token with {PERMISSIONS} on "
                f"{self.repo}, or remove [deliver.github] repo"
            )
        path = self.path_for(draft)
        ca_bundle = self.config.tls.ca_bundle
        base_url = self.config.github.base_url.rstrip("/")
        github = Github(
            auth=Auth.Token(secret.reveal()),
            base_url=base_url,
            timeout=30,
            verify=str(ca_bundle) if ca_bundle is not None else True,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        step = f"reading {self.repo}"
        try:
            repo = github.get_repo(self.repo)
            step = f"reading branch {self.settings.base} of {self.repo}"
            base_sha = repo.get_git_ref(f"heads/{self.settings.base}").object.sha
            step = f"creating a branch in {self.repo}"
            branch = self.branch_for(draft)
            self._branch(repo, branch, base_sha)
            step = f"writing the post-mortem file in {self.repo}"
            self._file(repo, path, branch, draft)
            step = f"opening a pull request in {self.repo}"
            return self._pull(repo, branch, path, draft)
        except GithubException as exc:
            raise _error(exc.status, exc.data, self.repo, step) from exc
        except requests.exceptions.SSLError as exc:
            raise DeliveryError(
                f"github sink: TLS verification failed for {base_url}; for a proxy or GitHub "
                "Enterprise with a private CA set [tls] ca_bundle"
            ) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise DeliveryError(
                f"github sink: cannot reach {base_url} ({type(exc).__name__}); check "
                "[github] base_url and the network"
            ) from exc
        finally:
            github.close()

    def _branch(self, repo: Repository, branch: str, sha: str) -> None:
        from github import GithubException

        try:
            repo.create_git_ref(ref=f"refs/heads/{branch}", sha=sha)
        except GithubException as exc:
            if exc.status == 422 and "already exists" in _message(exc.data).lower():
                return  # made by an earlier attempt: reuse it
            raise

    def _out(self) -> Outbound:
        return Outbound(Redactor.from_config(self.config))

    def _file(self, repo: Repository, path: str, branch: str, draft: Draft) -> None:
        from github import UnknownObjectException

        title = self._out().text(draft.incident.title)
        message = f"Add post-mortem draft: {title}"
        try:
            existing = repo.get_contents(path, ref=branch)
        except UnknownObjectException:
            repo.create_file(path, message, draft.markdown, branch=branch)
            return
        if isinstance(existing, list):
            raise DeliveryError(
                f"github sink: {path} is a directory in {self.repo}; change [deliver.github] path"
            )
        if existing.decoded_content == draft.markdown.encode():
            return
        revision = f" (revision {draft.revision})" if draft.is_update else ""
        update = f"Update post-mortem draft{revision}: {title}"
        repo.update_file(path, update, draft.markdown, existing.sha, branch=branch)

    def _pull(self, repo: Repository, branch: str, path: str, draft: Draft) -> str:
        owner = repo.full_name.split("/")[0]
        for pull in repo.get_pulls(state="open", head=f"{owner}:{branch}", base=self.settings.base):
            return str(pull.html_url)
        incident = draft.incident
        out = self._out()
        ref = f"#{incident.number}" if incident.number is not None else draft_id(draft)
        body = (
            f"The post-mortem draft for {ref} {out.markdown(incident.title)}, rebuilt by "
            "`reconstruct` from PagerDuty, Slack, GitHub and Grafana.\n\n"
            f"Edit `{path}` on this branch, then merge."
        )
        url = out.url(incident.url)
        if url:
            body += f"\n\nIncident: {url}"
        if draft.is_update:
            body += (
                f"\n\nRevision {draft.revision}: the incident was reopened and resolved again "
                "after the earlier draft was proposed."
            )
        what = f"Post-mortem (revision {draft.revision})" if draft.is_update else "Post-mortem"
        pull = repo.create_pull(
            base=self.settings.base,
            head=branch,
            title=f"{what}: {ref} {out.text(incident.title)}",
            body=body,
        )
        return str(pull.html_url)


def draft_id(draft: Draft) -> str:
    """The incident ID as it may appear in a path, branch or title (``[A-Za-z0-9-]`` only)."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", draft.incident.id).strip("-") or "incident"


def _message(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    parts = [str(data.get("message") or "")]
    for err in data.get("errors") or []:
        if isinstance(err, dict) and err.get("message"):
            parts.append(str(err["message"]))
    return "; ".join(p for p in parts if p)


def _error(status: int, data: Any, repo: str, step: str) -> DeliveryError:
    said = _message(data)
    github_said = f" (GitHub: {said})" if said else ""
    if status == 401:
        return DeliveryError(
            "github sink: GITHUB_TOKEN was rejected (401 Bad credentials); it is wrong, expired "
            "or revoked: create a new token and export GITHUB_TOKEN"
        )
    if status == 403:
        return DeliveryError(
            f"github sink: GITHUB_TOKEN may not write to {repo} (403, {step}){github_said}; give "
            f"it {PERMISSIONS} on that repository"
        )
    if status == 404:
        return DeliveryError(
            f"github sink: not found (404) while {step}; check [deliver.github] repo "
            f"(owner/name) and base, and that GITHUB_TOKEN can see {repo}"
        )
    return DeliveryError(f"github sink: HTTP {status} while {step}{github_said}; retry later")


def make(config: Config) -> GitHubSink | None:
    repo = config.deliver.github.repo
    if not repo:
        return None
    return GitHubSink(config, repo)
