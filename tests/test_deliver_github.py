"""The github sink through the real PyGithub client against the loopback fake GitHub."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.config import Config
from reconstruct.deliver.base import Draft
from reconstruct.deliver.github_sink import GitHubSink, make
from reconstruct.errors import DeliveryError
from reconstruct.model import Incident
from tests.fakes import github as fk
from tests.fakes.server import FakeServer

TOKEN = "ghp_deliverTest7c6b5a"
DOCS = "acme/postmortems"
START = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
INCIDENT = Incident(
    id="Q9XYZ",
    number=4821,
    title="Checkout 5xx errors",
    severity="P1",
    services=("checkout",),
    started_at=START,
    resolved_at=START + timedelta(minutes=47),
    url="https://acme.pagerduty.com/incidents/Q9XYZ",
)
MARKDOWN = "# Checkout 5xx errors (#4821)\n\n| Time (UTC) | Event |\n|---|---|\n| 09:42 | x |\n"
BRANCH = "postmortem/2026-03-14-checkout-5xx-errors"
PATH = "docs/postmortems/2026/2026-03-14-checkout-5xx-errors-4821.md"
DRAFT = Draft(INCIDENT, MARKDOWN, Path("bundle"))

REPO_P = r"/repos/acme/postmortems"


@pytest.fixture
def gh(make_server: Callable[..., FakeServer], monkeypatch: pytest.MonkeyPatch) -> fk.FakeGitHub:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    gh = fk.FakeGitHub(make_server(), token=TOKEN)
    gh.add_repo(DOCS)
    return gh


def sink(gh: fk.FakeGitHub, ca_bundle: Path, **deliver: Any) -> GitHubSink:
    settings = {"repo": DOCS, "path": "docs/postmortems/2026/{date}-{slug}-{number}.md"}
    config = Config.model_validate(
        {
            "tls": {"ca_bundle": str(ca_bundle)},
            "github": {"base_url": gh.base_url},
            "deliver": {"github": {**settings, **deliver}},
        }
    )
    made = make(config)
    assert made is not None
    return made


def counts(gh: fk.FakeGitHub) -> dict[str, int]:
    s = gh.server
    return {
        "repo": s.count("GET", REPO_P),
        "get_ref": s.count("GET", REPO_P + r"/git/ref/.+"),
        "create_ref": s.count("POST", REPO_P + r"/git/refs"),
        "get_file": s.count("GET", REPO_P + r"/contents/.+"),
        "put_file": s.count("PUT", REPO_P + r"/contents/.+"),
        "list_pulls": s.count("GET", REPO_P + r"/pulls"),
        "create_pull": s.count("POST", REPO_P + r"/pulls"),
        "all": len(s.requests),
    }


def docs(gh: fk.FakeGitHub) -> dict[str, Any]:
    return gh.repos[DOCS]


def test_not_configured_means_no_sink() -> None:
    assert make(Config()) is None


def test_opens_a_pull_request_with_the_draft(gh: fk.FakeGitHub, ca_bundle: Path) -> None:
    url = sink(gh, ca_bundle).deliver(DRAFT)

    assert url == f"https://github.com/{DOCS}/pull/1"
    assert counts(gh) == {
        "repo": 1,
        "get_ref": 1,
        "create_ref": 1,
        "get_file": 1,
        "put_file": 1,
        "list_pulls": 1,
        "create_pull": 1,
        "all": 7,
    }
    created = [r for r in gh.server.requests if r.method == "POST" and r.path.endswith("/refs")]
    assert created[0].json() == {"ref": f"refs/heads/{BRANCH}", "sha": "b" * 40}
    assert docs(gh)["files"] == {(BRANCH, PATH): MARKDOWN.encode()}
    [pr] = docs(gh)["pulls"].values()
    assert pr["head"]["ref"] == BRANCH and pr["base"]["ref"] == "main"
    assert pr["title"] == "Post-mortem: #4821 Checkout 5xx errors"
    assert PATH in pr["body"] and INCIDENT.url in pr["body"]


def test_retry_after_a_full_success_changes_nothing(gh: fk.FakeGitHub, ca_bundle: Path) -> None:
    s = sink(gh, ca_bundle)
    first = s.deliver(DRAFT)
    gh.server.reset_log()

    assert s.deliver(DRAFT) == first
    c = counts(gh)
    assert (c["create_pull"], c["put_file"]) == (0, 0)
    assert len(docs(gh)["pulls"]) == 1
    assert [r for r in docs(gh)["refs"] if r.startswith("heads/postmortem/")] == [f"heads/{BRANCH}"]


def test_retry_after_a_half_finished_attempt_reuses_the_branch(
    gh: fk.FakeGitHub, ca_bundle: Path
) -> None:
    """The first attempt made the branch and failed writing the file (a 5xx)."""
    gh.server.fail_next("PUT", REPO_P + r"/contents/.+", fk.error(502, "Bad Gateway"))
    s = sink(gh, ca_bundle)
    with pytest.raises(DeliveryError, match="HTTP 502 while writing the post-mortem file"):
        s.deliver(DRAFT)
    assert f"heads/{BRANCH}" in docs(gh)["refs"] and docs(gh)["pulls"] == {}
    gh.server.reset_log()

    url = s.deliver(DRAFT)
    assert url == f"https://github.com/{DOCS}/pull/1"
    c = counts(gh)
    assert c["create_ref"] == 1  # answered 422 "Reference already exists", reused
    assert (c["put_file"], c["create_pull"]) == (1, 1)
    assert docs(gh)["files"] == {(BRANCH, PATH): MARKDOWN.encode()}
    assert len(docs(gh)["pulls"]) == 1


def test_retry_after_the_pull_request_was_opened_returns_it(
    gh: fk.FakeGitHub, ca_bundle: Path
) -> None:
    """The PR was opened but the answer was lost: the retry finds it instead of a second one."""
    gh.server.fail_next("POST", REPO_P + r"/pulls", fk.error(502, "Bad Gateway"))
    s = sink(gh, ca_bundle)
    with pytest.raises(DeliveryError):
        s.deliver(DRAFT)
    # the server had opened it after all
    owner_branch = f"acme:{BRANCH}"
    pr = fk.pull(DOCS, 7, "Post-mortem: #4821 Checkout 5xx errors", None)
    pr["head"] = {"ref": BRANCH, "label": owner_branch}
    docs(gh)["pulls"][7] = pr
    gh.server.reset_log()

    assert s.deliver(DRAFT) == f"https://github.com/{DOCS}/pull/7"
    assert counts(gh)["create_pull"] == 0
    assert counts(gh)["put_file"] == 0  # the file is already there, unchanged


def test_a_changed_draft_updates_the_file_on_the_branch(gh: fk.FakeGitHub, ca_bundle: Path) -> None:
    s = sink(gh, ca_bundle)
    first = s.deliver(DRAFT)
    newer = Draft(INCIDENT, MARKDOWN + "\nmore\n", Path("bundle"))
    assert s.deliver(newer) == first
    assert docs(gh)["files"][(BRANCH, PATH)] == newer.markdown.encode()
    puts = [r for r in gh.server.requests if r.method == "PUT"]
    assert len(puts) == 2 and "sha" not in puts[0].json() and puts[1].json()["sha"]
    assert len(docs(gh)["pulls"]) == 1


def test_an_update_after_the_pull_request_was_merged_proposes_it_in_a_new_one(
    gh: fk.FakeGitHub, ca_bundle: Path
) -> None:
    s = sink(gh, ca_bundle)
    s.deliver(DRAFT)
    (first,) = docs(gh)["pulls"].values()
    first.update(state="closed", merged=True, merged_at="2026-03-15T09:00:00Z")
    update = Draft(INCIDENT, MARKDOWN + "\n| 11:09 | resolved again |\n", Path("b"), revision=2)
    where = s.deliver(update)
    pulls = sorted(docs(gh)["pulls"].values(), key=lambda pr: pr["number"])
    assert len(pulls) == 2 and where == pulls[1]["html_url"] != first["html_url"]
    assert pulls[1]["title"] == "Post-mortem (revision 2): #4821 Checkout 5xx errors"
    assert "Revision 2: the incident was reopened and resolved again" in pulls[1]["body"]
    assert docs(gh)["files"][(BRANCH, PATH)] == update.markdown.encode()
    puts = [r for r in gh.server.requests if r.method == "PUT"]
    assert (
        puts[-1].json()["message"] == "Update post-mortem draft (revision 2): Checkout 5xx errors"
    )
    assert s.deliver(update) == where, "delivering the update again changes nothing"
    assert len(docs(gh)["pulls"]) == 2


def deliver_error(gh: fk.FakeGitHub, ca_bundle: Path, **deliver: Any) -> str:
    with pytest.raises(DeliveryError) as info:
        sink(gh, ca_bundle, **deliver).deliver(DRAFT)
    text = str(info.value)
    assert "\n" not in text and TOKEN not in text
    assert text.startswith("github sink: ")
    return text


def test_bad_credentials(
    gh: fk.FakeGitHub, ca_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_wrongSecretValue")
    text = deliver_error(gh, ca_bundle)
    assert "GITHUB_TOKEN was rejected (401" in text and "ghp_wrongSecretValue" not in text
    assert counts(gh)["all"] == 1


def test_forbidden_names_the_permissions(gh: fk.FakeGitHub, ca_bundle: Path) -> None:
    gh.server.fail_next(
        "POST", REPO_P + r"/git/refs", fk.error(403, "Resource not accessible by integration")
    )
    text = deliver_error(gh, ca_bundle)
    assert "403" in text and "Contents and Pull requests read/write" in text
    assert "creating a branch" in text


def test_unknown_repo(gh: fk.FakeGitHub, ca_bundle: Path) -> None:
    text = deliver_error(gh, ca_bundle, repo="acme/nope")
    assert "404" in text and "[deliver.github] repo" in text and "acme/nope" in text


def test_unknown_base_branch(gh: fk.FakeGitHub, ca_bundle: Path) -> None:
    text = deliver_error(gh, ca_bundle, base="trunk")
    assert "404" in text and "branch trunk" in text


def test_missing_token(gh: fk.FakeGitHub, ca_bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    assert "GITHUB_TOKEN is not set" in deliver_error(gh, ca_bundle)
    assert counts(gh)["all"] == 0


def test_bad_path_template(gh: fk.FakeGitHub, ca_bundle: Path) -> None:
    text = deliver_error(gh, ca_bundle, path="{year}/{slug}.md")
    assert "[deliver.github] path" in text
    assert counts(gh)["all"] == 0
