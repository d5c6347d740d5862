"""github parser: official example payloads (conformance) and our own fixtures, through a bundle."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors import get_source
from reconstruct.collectors.github import SOURCE
from reconstruct.collectors.github.parse import api_to_web_repo, parse
from reconstruct.model import Event, Kind, Link, Window

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "api-examples" / "github"
WINDOW = Window(
    start=datetime(2026, 3, 14, 9, 0, tzinfo=UTC),
    end=datetime(2026, 3, 14, 11, 0, tzinfo=UTC),
    leadup_start=datetime(2026, 2, 28, 9, 0, tzinfo=UTC),
)
SHA_NEW = "abc1234def5678abc1234def5678abc1234def56"
SHA_OLD = "c0ffee15bad5eedc0ffee15bad5eedc0ffee15ba"
SHA_BAD = "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
API = "https://api.github.com/repos/acme/checkout"


def write_bundle(tmp_path: Path, files: dict[str, list[Any]], name: str = "bundle") -> Bundle:
    writer = BundleWriter(tmp_path / name, "Q1")
    for relpath, pages in files.items():
        writer.add(relpath, pages)
    writer.set_source("github", "ok", meta={"repos": sorted({p.split("/")[1] for p in files})})
    path = writer.finish(WINDOW, datetime(2026, 3, 14, 12, 0, tzinfo=UTC))
    return Bundle.open(path)


def example(name: str) -> Any:
    if not EXAMPLES.is_dir():
        pytest.skip(f"{EXAMPLES} is absent (CI puts shared/ beside the clone)")
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def by_key(events: list[Event]) -> dict[str, Event]:
    keyed = {e.key: e for e in events}
    assert len(keyed) == len(events), "keys must be unique"
    return keyed


# -- conformance: the official examples, read in place ---------------------------------------------
def test_example_deployment_with_success_status(tmp_path: Path) -> None:
    deployments = example("deployments.list.json")
    statuses = example("deployment_statuses.list.json")
    bundle = write_bundle(
        tmp_path,
        {
            "github/octocat/example/deployments.json": [deployments],
            "github/octocat/example/statuses/1.json": [statuses],
        },
    )
    [event] = list(parse(bundle))
    assert event == Event(
        time=datetime(2012, 7, 20, 1, 19, 13, tzinfo=UTC),
        kind=Kind.DEPLOY,
        summary="Deployed octocat/example a84d88e (topic-branch) to production",
        sources=("github",),
        links=(
            Link("github", "https://example.com/deployment/42/output", "deploy run"),
            Link(
                "github",
                "https://github.com/octocat/example/commit/a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d",
                "commit a84d88e",
            ),
        ),
        key="github:deployment:octocat/example:1:success",
        actor="octocat",
        refs=frozenset({"sha:a84d88e", "deploy:topic-branch"}),
        tags=frozenset({"production", "requested:2012-07-20T01:19:13Z"}),  # its created_at
        scope="github:octocat/example",
    )


def test_example_search_item_without_merge_time_is_no_event(tmp_path: Path) -> None:
    # The official example is an open issue-shaped PR with no merged_at and closed_at null.
    bundle = write_bundle(
        tmp_path, {"github/octocat/hello-world/merged_prs.json": [example("search_issues.json")]}
    )
    assert list(parse(bundle)) == []


def test_example_search_item_with_merged_at_and_full_pr(tmp_path: Path) -> None:
    search = copy.deepcopy(example("search_issues.json"))
    pull = example("pull_request.get.json")
    item = search["items"][0]
    item["number"] = pull["number"]
    item["pull_request"]["merged_at"] = "2011-01-26T19:01:12Z"
    bundle = write_bundle(
        tmp_path,
        {
            "github/octocat/Hello-World/merged_prs.json": [search],
            f"github/octocat/Hello-World/pulls/{pull['number']}.json": [pull],
        },
    )
    [event] = list(parse(bundle))
    assert event.kind is Kind.CHANGE
    assert event.time == datetime(2011, 1, 26, 19, 1, 12, tzinfo=UTC)
    assert event.summary == "Merged PR #1347: Amazing new feature (labels: bug)"
    assert event.actor == "octocat"
    assert event.refs == {"pr:octocat/hello-world#1347", "sha:e5bd391"}
    assert event.links == (
        Link("github", "https://github.com/octocat/Hello-World/pull/1347", "PR #1347"),
    )
    assert event.key == "github:pr:octocat/Hello-World#1347"
    assert event.scope == "github:octocat/Hello-World"


# -- our fixtures ----------------------------------------------------------------------------------
def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": 1, "type": "User", "url": f"https://api.github.com/users/{login}"}


def deployment(
    ident: int, sha: str, ref: str, created: str, env: str = "production", **extra: Any
) -> dict[str, Any]:
    return {
        "url": f"{API}/deployments/{ident}",
        "id": ident,
        "sha": sha,
        "ref": ref,
        "task": "deploy",
        "payload": {},
        "original_environment": env,
        "environment": env,
        "description": None,
        "creator": _user("deploy-bot"),
        "created_at": created,
        "updated_at": created,
        "statuses_url": f"{API}/deployments/{ident}/statuses",
        "repository_url": API,
        "transient_environment": False,
        "production_environment": env == "production",
        **extra,
    }


def status(ident: int, state: str, created: str, **extra: Any) -> dict[str, Any]:
    return {
        "url": f"{API}/deployments/1/statuses/{ident}",
        "id": ident,
        "state": state,
        "creator": _user("ci-bot"),
        "description": "",
        "environment": "production",
        "target_url": "",
        "log_url": "",
        "created_at": created,
        "updated_at": created,
        **extra,
    }


def search_item(number: int, title: str, merged_at: str | None, labels: list[str]) -> dict:
    return {
        "url": f"{API}/issues/{number}",
        "html_url": f"https://github.com/acme/checkout/pull/{number}",
        "number": number,
        "title": title,
        "user": _user("dev-ana"),
        "labels": [{"id": i, "name": n, "color": "ededed"} for i, n in enumerate(labels)],
        "state": "closed",
        "closed_at": merged_at,
        "pull_request": {
            "url": f"{API}/pulls/{number}",
            "html_url": f"https://github.com/acme/checkout/pull/{number}",
            "merged_at": merged_at,
        },
    }


def checkout_files() -> dict[str, list[Any]]:
    deployments = [
        deployment(46, SHA_BAD, "v2.3.2", "2026-03-14T10:50:00Z"),
        deployment(45, SHA_OLD, "v2.3.0", "2026-03-14T10:30:00Z"),
        deployment(44, SHA_NEW, "v2.3.1", "2026-03-14T09:40:00Z"),
        deployment(
            42, SHA_NEW, "main", "2026-03-14T09:35:00Z", env="staging", production_environment=False
        ),
        deployment(43, SHA_OLD, "v2.3.0", "2026-03-12T15:00:00Z"),
    ]
    pull = {
        **search_item(1187, "Reduce product cache TTL to 60s", "2026-03-14T09:30:00Z", ["config"]),
        "url": f"{API}/pulls/1187",
        "state": "closed",
        "merged": True,
        "merged_at": "2026-03-14T09:30:00Z",
        "merge_commit_sha": SHA_NEW,
        "merged_by": _user("dev-ana"),
    }
    del pull["pull_request"]
    return {
        "github/acme/checkout/repo.json": [
            {
                "full_name": "acme/checkout",
                "url": API,
                "html_url": "https://github.com/acme/checkout",
            }
        ],
        "github/acme/checkout/deployments.json": [deployments[:3], deployments[3:]],
        "github/acme/checkout/statuses/44.json": [
            [
                status(3, "inactive", "2026-03-14T10:31:00Z"),
                status(2, "success", "2026-03-14T09:42:07Z", log_url="https://ci.acme.dev/run/9"),
                status(1, "in_progress", "2026-03-14T09:41:00Z"),
            ]
        ],
        "github/acme/checkout/statuses/45.json": [
            [status(5, "success", "2026-03-14T10:32:00Z", target_url="https://ci.acme.dev/run/10")]
        ],
        "github/acme/checkout/statuses/46.json": [
            [
                status(8, "error", "2026-03-14T10:52:00Z"),
                status(7, "failure", "2026-03-14T10:51:00Z"),
            ]
        ],
        "github/acme/checkout/statuses/42.json": [[status(9, "success", "2026-03-14T09:36:00Z")]],
        "github/acme/checkout/merged_prs.json": [
            {
                "total_count": 2,
                "incomplete_results": False,
                "items": [
                    search_item(
                        1187,
                        "Reduce product cache TTL to 60s",
                        "2026-03-14T09:30:00Z",
                        ["config"],
                    ),
                    search_item(1180, "Bump  pool\nsize", "2026-03-10T08:00:00Z", []),
                ],
            }
        ],
        "github/acme/checkout/pulls/1187.json": [pull],
    }


def test_checkout_events(tmp_path: Path) -> None:
    events = by_key(list(parse(write_bundle(tmp_path, checkout_files()))))
    assert sorted(events) == [
        "github:deployment:acme/checkout:42:success",
        "github:deployment:acme/checkout:44:success",
        "github:deployment:acme/checkout:45:success",
        "github:deployment:acme/checkout:46:failure",
        "github:pr:acme/checkout#1180",
        "github:pr:acme/checkout#1187",
    ]
    deploy = events["github:deployment:acme/checkout:44:success"]
    assert deploy.time == datetime(2026, 3, 14, 9, 42, 7, tzinfo=UTC)
    shipped = "PR #1187 (Reduce product cache TTL to 60s)"  # its sha is the PR's merge_commit_sha
    assert deploy.summary == f"Deployed {shipped} to production: acme/checkout abc1234 (v2.3.1)"
    assert deploy.tags == {"production", "requested:2026-03-14T09:40:00Z"}  # its created_at
    assert deploy.refs == {"sha:abc1234", "deploy:v2.3.1", "pr:acme/checkout#1187"}
    assert deploy.actor == "deploy-bot"
    assert deploy.links == (
        Link("github", "https://ci.acme.dev/run/9", "deploy run"),
        Link(
            "github", f"https://github.com/acme/checkout/commit/{SHA_NEW}", f"commit {SHA_NEW[:7]}"
        ),
    )

    rollback = events["github:deployment:acme/checkout:45:success"]
    assert rollback.summary == "Rolled back acme/checkout to c0ffee1 (v2.3.0) in production"
    assert rollback.tags == {"production", "rollback", "requested:2026-03-14T10:30:00Z"}
    assert rollback.links[0] == Link("github", "https://ci.acme.dev/run/10", "deploy run")

    failed = events["github:deployment:acme/checkout:46:failure"]
    assert failed.time == datetime(2026, 3, 14, 10, 51, tzinfo=UTC)
    assert failed.summary == "Deploy of acme/checkout deadbee (v2.3.2) to production failed"
    assert failed.tags == {"production", "failure", "requested:2026-03-14T10:50:00Z"}
    assert failed.links[0] == Link(
        "github", "https://github.com/acme/checkout/deployments", "deployments"
    )

    staging = events["github:deployment:acme/checkout:42:success"]
    assert staging.tags == {"requested:2026-03-14T09:35:00Z"}  # no production, no rollback
    assert staging.summary == f"Deployed {shipped} to staging: acme/checkout abc1234 (main)"

    pr = events["github:pr:acme/checkout#1187"]
    assert pr.kind is Kind.CHANGE
    assert pr.time == datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    assert pr.summary == "Merged PR #1187: Reduce product cache TTL to 60s (labels: config)"
    assert pr.refs == {"pr:acme/checkout#1187", "sha:abc1234"}
    assert pr.actor == "dev-ana"
    assert pr.tags == frozenset()
    assert pr.links == (Link("github", "https://github.com/acme/checkout/pull/1187", "PR #1187"),)

    leadup = events["github:pr:acme/checkout#1180"]
    # A search item has no merged_by: the author is named, and not as the one who merged it.
    assert leadup.summary == "Merged PR #1180: Bump pool size (opened by dev-ana)"
    assert leadup.actor is None
    assert leadup.tags == {"target:dev-ana"}
    assert leadup.refs == {"pr:acme/checkout#1180"}
    assert all("leadup" not in e.tags for e in events.values())


def test_rollback_from_description_or_payload(tmp_path: Path) -> None:
    files = {
        "github/acme/api/deployments.json": [
            [
                deployment(2, SHA_NEW, SHA_NEW, "2026-03-14T10:00:00Z", payload={"revert": True}),
                deployment(
                    1, SHA_OLD, "v1", "2026-03-14T09:00:00Z", description="Roll back checkout"
                ),
            ]
        ],
        "github/acme/api/statuses/1.json": [[status(1, "success", "2026-03-14T09:01:00Z")]],
        "github/acme/api/statuses/2.json": [[status(2, "success", "2026-03-14T10:01:00Z")]],
    }
    events = by_key(list(parse(write_bundle(tmp_path, files))))
    one = events["github:deployment:acme/api:1:success"]
    two = events["github:deployment:acme/api:2:success"]
    assert "rollback" in one.tags and "rollback" in two.tags, "both undo a change: mitigations"
    assert "revert" in two.tags and "revert" not in one.tags
    assert one.summary == "Rolled back acme/api to c0ffee1 (v1) in production"
    # deployed by sha: no deploy: ref, just the sha; a revert is a deploy going forward
    assert two.refs == {"sha:abc1234"}
    assert two.summary == "Deployed a revert to production: acme/api abc1234"


def test_same_sha_twice_in_a_row_is_not_a_rollback(tmp_path: Path) -> None:
    files = {
        "github/acme/api/deployments.json": [
            [
                deployment(2, SHA_NEW, "v2", "2026-03-14T10:00:00Z"),
                deployment(1, SHA_NEW, "v2", "2026-03-14T09:00:00Z"),
            ]
        ],
        "github/acme/api/statuses/2.json": [[status(2, "success", "2026-03-14T10:01:00Z")]],
    }
    [event] = list(parse(write_bundle(tmp_path, files)))
    assert "rollback" not in event.tags


def test_inactive_and_pending_only_are_not_events(tmp_path: Path) -> None:
    files = {
        "github/acme/api/deployments.json": [[deployment(1, SHA_NEW, "v2", "2026-03-14T10:00Z")]],
        "github/acme/api/statuses/1.json": [
            [
                status(2, "inactive", "2026-03-14T10:05:00Z"),
                status(1, "pending", "2026-03-14T10:01:00Z"),
            ]
        ],
    }
    assert list(parse(write_bundle(tmp_path, files))) == []


@pytest.mark.parametrize(
    ("repo_json", "repository_url", "web"),
    [
        (
            {"html_url": "https://ghe.acme.corp/acme/checkout"},
            "https://ghe.acme.corp/api/v3/repos/acme/checkout",
            "https://ghe.acme.corp/acme/checkout",
        ),
        (
            None,
            "https://ghe.acme.corp/api/v3/repos/acme/checkout",
            "https://ghe.acme.corp/acme/checkout",
        ),
        (
            None,
            "https://api.acme.ghe.com/repos/acme/checkout",
            "https://acme.ghe.com/acme/checkout",
        ),
        (None, None, "https://github.com/acme/checkout"),
    ],
)
def test_web_host_for_enterprise(
    tmp_path: Path, repo_json: dict[str, Any] | None, repository_url: str | None, web: str
) -> None:
    files: dict[str, list[Any]] = {
        "github/acme/checkout/deployments.json": [
            [deployment(7, SHA_NEW, "v9", "2026-03-14T10:00:00Z", repository_url=repository_url)]
        ],
        "github/acme/checkout/statuses/7.json": [[status(1, "success", "2026-03-14T10:01:00Z")]],
        "github/acme/checkout/merged_prs.json": [
            {"items": [{**search_item(5, "x", "2026-03-14T10:00:00Z", []), "html_url": None}]}
        ],
    }
    files["github/acme/checkout/merged_prs.json"][0]["items"][0]["pull_request"]["html_url"] = None
    if repo_json is not None:
        files["github/acme/checkout/repo.json"] = [repo_json]
    events = by_key(list(parse(write_bundle(tmp_path, files))))
    deploy = events["github:deployment:acme/checkout:7:success"]
    assert deploy.links == (
        Link("github", f"{web}/deployments", "deployments"),
        Link("github", f"{web}/commit/{SHA_NEW}", f"commit {SHA_NEW[:7]}"),
    )
    assert events["github:pr:acme/checkout#5"].links == (Link("github", f"{web}/pull/5", "PR #5"),)


def test_api_to_web_repo() -> None:
    assert api_to_web_repo("https://api.github.com/repos/o/r/deployments/1") == (
        "https://github.com/o/r"
    )
    assert api_to_web_repo("https://h.corp/api/v3/repos/o/r") == "https://h.corp/o/r"
    assert api_to_web_repo("https://example.com/o/r") is None


def test_full_pr_not_merged_wins_and_closed_at_fallback(tmp_path: Path) -> None:
    item_closed = search_item(3, "closed fallback", None, ["flag"])
    item_closed["closed_at"] = "2026-03-14T09:10:00Z"
    item_unmerged = search_item(4, "not merged after all", "2026-03-14T09:20:00Z", [])
    files = {
        "github/acme/api/merged_prs.json": [{"items": [item_closed, item_unmerged]}],
        "github/acme/api/pulls/4.json": [{"number": 4, "merged_at": None, "merged": False}],
    }
    [event] = list(parse(write_bundle(tmp_path, files)))
    assert event.key == "github:pr:acme/api#3"
    assert event.time == datetime(2026, 3, 14, 9, 10, tzinfo=UTC)
    assert event.summary == "Merged PR #3: closed fallback (opened by dev-ana) (labels: flag)"


def test_malformed_records_are_skipped(tmp_path: Path) -> None:
    good = deployment(9, SHA_NEW, "v1", "2026-03-14T10:00:00Z")
    files = {
        "github/acme/api/repo.json": [["not", "an", "object"]],
        "github/acme/api/deployments.json": [
            {"message": "weird page"},
            [
                "text",
                None,
                {"id": "x"},
                {"id": 5, "sha": None, "created_at": "yesterday", "payload": "rollback?"},
                {
                    **good,
                    "creator": "nobody",
                    "environment": 7,
                    "original_environment": None,
                    "payload": [1, 2],
                },
            ],
        ],
        "github/acme/api/statuses/5.json": [[{"state": "success", "created_at": "2026-03-14"}]],
        "github/acme/api/statuses/9.json": [
            [
                "junk",
                {"state": None},
                {"state": "success", "created_at": "not a time"},
                {"state": "SUCCESS", "created_at": "2026-03-14T10:02:00+01:00", "log_url": 5},
            ]
        ],
        "github/acme/api/merged_prs.json": [
            {"items": "nope"},
            {"items": [1, {"number": "12"}, {"number": 13, "pull_request": "x"}]},
            {"items": [{"number": 14, "pull_request": {"merged_at": 3}, "closed_at": None}]},
        ],
        "github/acme/api/pulls/15.json": [{"number": 15, "merged_at": "2026-03-14T09:00:00Z"}],
    }
    events = by_key(list(parse(write_bundle(tmp_path, files))))
    assert sorted(events) == ["github:deployment:acme/api:9:success", "github:pr:acme/api#15"]
    deploy = events["github:deployment:acme/api:9:success"]
    assert deploy.time == datetime(2026, 3, 14, 9, 2, tzinfo=UTC)
    assert deploy.actor is None
    assert deploy.summary == "Deployed acme/api abc1234 (v1) to an unnamed environment"
    assert events["github:pr:acme/api#15"].summary == "Merged PR #15: (untitled)"


def test_registered_source(tmp_path: Path) -> None:
    assert get_source("github") is SOURCE
    assert SOURCE.collect is not None
    assert list(SOURCE.parse(write_bundle(tmp_path, {"slack/x.json": [[]]}))) == []


def test_merged_by_is_the_actor_and_the_author_is_named(tmp_path: Path) -> None:
    # GET /repos/o/r/pulls/{n}: ``user`` opened it, ``merged_by`` merged it (a simple-user
    # object, only in this body; the search item has neither merged_by nor merge_commit_sha).
    item = {
        **search_item(2296, 'Revert "Lower pool size"', "2026-03-14T10:57:12Z", []),
        "user": _user("rahul-menon"),
    }
    pull = {
        **item,
        "url": f"{API}/pulls/2296",
        "merged": True,
        "merged_at": "2026-03-14T10:57:12Z",
        "merge_commit_sha": SHA_NEW,
        "merged_by": _user("gobi"),
        "body": "Reverts acme/checkout#2291",
    }
    del pull["pull_request"]
    own = {**pull, "number": 2297, "title": "Pin pool size", "body": ""}
    own["merged_by"] = _user("rahul-menon")
    files = {
        "github/acme/checkout/merged_prs.json": [
            {"total_count": 2, "incomplete_results": False, "items": [item]}
        ],
        "github/acme/checkout/pulls/2296.json": [pull],
        "github/acme/checkout/pulls/2297.json": [own],
    }
    events = by_key(list(parse(write_bundle(tmp_path, files))))
    merged = events["github:pr:acme/checkout#2296"]
    assert merged.actor == "gobi"
    assert merged.summary == (
        'Merged PR #2296: Revert "Lower pool size" (opened by rahul-menon) (reverts PR #2291)'
    )
    assert merged.tags == {"revert", "target:rahul-menon"}
    mine = events["github:pr:acme/checkout#2297"]
    assert (mine.actor, mine.summary, mine.tags) == (
        "rahul-menon",
        "Merged PR #2297: Pin pool size",
        frozenset(),
    )


def test_a_lead_up_prs_merge_sha_comes_from_the_commits_listing(tmp_path: Path) -> None:
    # The search item has no merge_commit_sha; GET /repos/o/r/commits does: GitHub's merge commit
    # ("Merge pull request #1187 from owner/branch") and squash commit ("Title (#1190)") titles.
    merge, squash, other = "9c1e7a4" + "0" * 33, "e140662" + "1" * 33, "ad1fc8f" + "2" * 33

    def commit(sha: str, message: str) -> dict[str, Any]:
        author = {"name": "Ana", "email": "ana@acme.example", "date": "2026-03-10T08:00:00Z"}
        return {
            "sha": sha,
            "commit": {"message": message, "author": author, "committer": author},
            "author": _user("dev-ana"),
        }

    files = {
        "github/acme/checkout/merged_prs.json": [
            {
                "items": [
                    search_item(1187, "Reduce TTL", "2026-03-10T08:00:00Z", []),
                    search_item(1190, "Add illustration", "2026-03-10T09:00:00Z", []),
                ]
            }
        ],
        "github/acme/checkout/commits.json": [
            [
                commit(merge, "Merge pull request #1187 from acme/ana/ttl\n\nReduce TTL"),
                commit(squash, "Add illustration (#1190)\n\n* wip"),
                commit(other, "Merge pull request #77 from acme/old"),  # not a PR collected
            ]
        ],
        "github/acme/checkout/deployments.json": [
            [deployment(50, merge, "main", "2026-03-10T08:20:00Z")]
        ],
        "github/acme/checkout/statuses/50.json": [[status(1, "success", "2026-03-10T08:25:00Z")]],
    }
    events = by_key(list(parse(write_bundle(tmp_path, files))))
    assert events["github:pr:acme/checkout#1187"].refs == {"pr:acme/checkout#1187", "sha:9c1e7a4"}
    assert events["github:pr:acme/checkout#1190"].refs == {"pr:acme/checkout#1190", "sha:e140662"}
    deploy = events["github:deployment:acme/checkout:50:success"]
    assert "pr:acme/checkout#1187" in deploy.refs
