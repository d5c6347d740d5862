"""Who a GitHub login is, by email: the commit authors of the repository's default branch.

PR and deployment objects name people by login only (``user`` / ``creator``: a simple-user
object, no email). A commit carries both: ``GET /repos/{owner}/{repo}/commits`` items hold
``author`` (the GitHub account GitHub linked the commit to, by the commit's email; ``null`` when
that email belongs to no account) and ``commit.author.email`` (the git author's email) --
https://docs.github.com/en/rest/commits/commits#list-commits; PyGithub's ``Commit.author``
(``NamedUser``) and ``Commit.commit.author`` (``GitAuthor``: ``name``, ``email``, ``date``). A
login's commits are therefore a login <-> email pair from GitHub's own data.

A GitHub noreply address (``ID+login@users.noreply.github.com``, the older
``login@users.noreply.github.com``, GitHub Enterprise's ``users.noreply.<host>``, and the web
UI's ``noreply@github.com``) is never another tool's email: it ties the login to itself only, so it
is dropped here (https://docs.github.com/en/account-and-profile/reference/email-addresses-reference).
Bots (``type: "Bot"`` or a login ending ``[bot]``) are nobody's person and are left out.

Bundle: ``github/<owner>/<repo>/commits.json``, the pages as returned (arrays of commits, newest
first): the range listing's, then the ``author=<login>`` answers by login (``github.live`` step 6
says which it asks). ``collectors.people`` reads them; the parser does not (commits are not
timeline events).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

COMMITS_FILE = "commits.json"


@dataclass(frozen=True, slots=True)
class Author:
    login: str
    uid: str
    """GitHub's numeric account id (as text), else the login casefolded."""
    email: str
    """Lowercased; "" for a noreply address or none."""


def is_noreply(email: str) -> bool:
    """A GitHub-made address that names the account, not a mailbox another tool knows."""
    address = email.strip().lower()
    _, at, domain = address.rpartition("@")
    return bool(at) and (domain.startswith("users.noreply.") or address == "noreply@github.com")


def is_bot(user: Any) -> bool:
    if not isinstance(user, dict):
        return False
    login = user.get("login")
    return user.get("type") == "Bot" or (isinstance(login, str) and login.endswith("[bot]"))


def human_login(user: Any) -> str | None:
    """A person's login from a simple-user object (``None`` for a bot or no user)."""
    if not isinstance(user, dict) or is_bot(user):
        return None
    login = user.get("login")
    return login.strip() if isinstance(login, str) and login.strip() else None


def authors(pages: Iterable[Any]) -> Iterator[Author]:
    """Every (login, email) pair the commit pages show, people only, in listing order."""
    for page in pages:
        for item in page if isinstance(page, list) else []:
            if not isinstance(item, dict):
                continue
            login = human_login(item.get("author"))
            commit = item.get("commit")
            git = commit.get("author") if isinstance(commit, dict) else None
            email = git.get("email") if isinstance(git, dict) else None
            if login is None:
                continue
            uid = item["author"].get("id")
            text = email.strip().lower() if isinstance(email, str) else ""
            yield Author(
                login,
                str(uid)
                if isinstance(uid, int) and not isinstance(uid, bool)
                else login.casefold(),
                "" if is_noreply(text) or "@" not in text else text,
            )


def unknown(logins: Iterable[str], pages: Iterable[Any]) -> list[str]:
    """The logins (sorted) that no commit of ``pages`` shows with a usable email."""
    found = {a.login.casefold() for a in authors(pages) if a.email}
    return sorted({login for login in logins if login.casefold() not in found})


def until_known(logins: Iterable[str]) -> Callable[[Any], bool]:
    """A page predicate for ``Client.pages(stop=...)``: true once every login has shown a usable
    (non-noreply) email on some page so far. One listing's worker calls it, page by page."""
    missing = {login.casefold() for login in logins}

    def stop(page: Any) -> bool:
        for author in authors([page]):
            if author.email:
                missing.discard(author.login.casefold())
        return not missing

    return stop


def pages_after(headers: Mapping[str, Any]) -> int | None:
    """How many pages follow this one: from the ``Link`` header's ``rel="last"`` URL's ``page``
    (GitHub's page-numbered listings send it; none on the last page, so 0 there), None when a
    next page is linked but no last one."""
    import requests

    links = {
        link.get("rel"): link.get("url", "")
        for link in requests.utils.parse_header_links(str(headers.get("link") or ""))
    }
    if "next" not in links:
        return 0
    last = parse_qs(urlsplit(links.get("last") or "").query).get("page", [""])[0]
    current = parse_qs(urlsplit(links["next"]).query).get("page", [""])[0]
    if not (last.isdigit() and current.isdigit()):
        return None
    return int(last) - int(current) + 1
