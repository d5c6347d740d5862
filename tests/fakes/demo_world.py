"""The built-in demo incident (#4821) served live by the four fakes.

    world = DemoWorld.start(make_server)         # one HTTPS FakeServer per API, loaded from
    world.write_config(path, ca_bundle)          # reconstruct/demo/bundle's raw records
    world.set_tokens(monkeypatch)                # the tokens each fake accepts

The demo bundle holds every record as its API returned it; here they go back behind the APIs:
PagerDuty's incident, log entries, alerts and notes; Slack's channels (conversations.info), users
(users.list), top-level messages (conversations.history) and thread replies; GitHub's repository,
deployments, their statuses, the merged PRs (full ``pulls/<n>`` records, and the lead-up PRs'
search items, from which the fake builds its search results) and the default branch's commits;
Grafana's annotations. The PagerDuty and GitHub fakes rewrite their public API hosts to their
own base URL on the way out; web links (``acme.pagerduty.com``, ``github.com``,
``acme.slack.com``) stay as in the demo. Grafana links are built from ``[grafana] url``, so they
carry the fake's host instead of ``grafana.acme.example``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, iter_records
from reconstruct.pipeline import demo_bundle_path
from tests.fakes.github import FakeGitHub
from tests.fakes.grafana import FakeGrafana
from tests.fakes.pagerduty import FakePagerDuty, IncidentData
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack

INCIDENT_ID = "Q3CKSTMPD1"
NUMBER = 4821
REPO = "acme/checkout"
INCIDENT_CHANNEL = "C07KX4821QA"
DEPLOYS_CHANNEL = "C01DPLY8QK2"
ALERTS_CHANNEL = "C03ALRTCHK9"

TOKENS = {
    "PAGERDUTY_TOKEN": "pd-e2e-u+Kx93LqTz0aWc",
    "SLACK_TOKEN": "xoxb-e2e-4821-Rk2P9sVd7QmZ",
    "GITHUB_TOKEN": "ghp_e2eDemoWorld4821abcdEFGH",
    "GRAFANA_TOKEN": "glsa_e2e_demo_world_4821_zYx",
}


def demo_bundle() -> Bundle:
    return Bundle.open(demo_bundle_path())


def incident_data(bundle: Bundle, *, ongoing: bool = False) -> IncidentData:
    """The demo incident as the PagerDuty fake serves it. ``ongoing``: acknowledged, not yet
    resolved (no resolve log entry, no ``resolved_at``)."""
    incident = next(iter_records(bundle.pages("pagerduty/incident.json"), "incident"))
    entries = list(iter_records(bundle.pages("pagerduty/log_entries.json"), "log_entries"))
    alerts = list(iter_records(bundle.pages("pagerduty/alerts.json"), "alerts"))
    notes = list(iter_records(bundle.pages("pagerduty/notes.json"), "notes"))
    incident = copy.deepcopy(incident)
    if ongoing:
        incident.update(status="acknowledged", resolved_at=None, resolve_reason=None)
        entries = [e for e in entries if not str(e.get("type", "")).startswith("resolve")]
    return IncidentData(incident, copy.deepcopy(entries), copy.deepcopy(alerts), notes)


def load_slack(fake: FakeSlack, bundle: Bundle) -> None:
    auth: dict[str, Any] = next(iter(bundle.pages("slack/auth.test.json")), {})
    fake.team_url = str(auth.get("url") or fake.team_url)
    for member in iter_records(bundle.pages("slack/users.list.json"), "members"):
        fake.users[str(member["id"])] = copy.deepcopy(member)
    channel_ids = sorted(
        {path.split("/")[1] for path in bundle.files("slack/") if path.count("/") >= 2}
    )
    for cid in channel_ids:
        info = next(iter_records(bundle.pages(f"slack/{cid}/conversations.info.json"), "channel"))
        messages: dict[str, dict[str, Any]] = {}
        files = [f"slack/{cid}/conversations.history.json", *bundle.files(f"slack/{cid}/replies/")]
        for path in files:
            for message in iter_records(bundle.pages(path), "messages"):
                messages.setdefault(str(message["ts"]), copy.deepcopy(message))
        fake.add_channel(cid, str(info["name"]), messages=list(messages.values()))
        fake.channels[cid] = copy.deepcopy(info)


def load_github(fake: FakeGitHub, bundle: Bundle) -> None:
    base = f"github/{REPO}/"
    deployments = list(iter_records(bundle.pages(base + "deployments.json"), None))
    statuses = {
        int(path.rsplit("/", 1)[1].removesuffix(".json")): list(
            iter_records(bundle.pages(path), None)
        )
        for path in bundle.files(base + "statuses/")
    }
    pulls = [record for path in bundle.files(base + "pulls/") for record in bundle.pages(path)]
    # The bundle holds ``pulls/<n>`` for the PRs merged in the window only (a live run asks for
    # no other); the lead-up PRs behind the search are their search items, in a full PR's shape.
    full = {pr["number"] for pr in pulls}
    for item in iter_records(bundle.pages(base + "merged_prs.json"), "items"):
        if item["number"] not in full:
            pull = item["pull_request"]
            pulls.append({**item, "url": pull["url"], "merged_at": pull["merged_at"]})
    commits = list(iter_records(bundle.pages(base + "commits.json"), None))
    fake.add_repo(
        REPO,
        deployments=copy.deepcopy(deployments),
        statuses=copy.deepcopy(statuses),
        pulls=copy.deepcopy(pulls),
        commits=copy.deepcopy(commits),
    )
    # The demo's own repository record (its id is what the deployments' Link headers name).
    fake.repos[REPO]["repo"] = copy.deepcopy(bundle.pages(base + "repo.json")[0])


def load_grafana(fake: FakeGrafana, bundle: Bundle) -> None:
    fake.add(*copy.deepcopy(list(iter_records(bundle.pages("grafana/annotations.json"), None))))


@dataclass
class DemoWorld:
    pagerduty: FakePagerDuty
    slack: FakeSlack
    github: FakeGitHub
    grafana: FakeGrafana

    @classmethod
    def start(cls, make_server: Callable[..., FakeServer], *, ongoing: bool = False) -> DemoWorld:
        bundle = demo_bundle()
        pagerduty = FakePagerDuty(make_server(), token=TOKENS["PAGERDUTY_TOKEN"])
        pagerduty.add(incident_data(bundle, ongoing=ongoing))
        slack = FakeSlack(make_server(), token=TOKENS["SLACK_TOKEN"])
        load_slack(slack, bundle)
        github = FakeGitHub(make_server(), token=TOKENS["GITHUB_TOKEN"])
        load_github(github, bundle)
        grafana = FakeGrafana(make_server(), token=TOKENS["GRAFANA_TOKEN"])
        load_grafana(grafana, bundle)
        return cls(pagerduty, slack, github, grafana)

    @property
    def servers(self) -> dict[str, FakeServer]:
        return {
            "pagerduty": self.pagerduty.server,
            "slack": self.slack.server,
            "github": self.github.server,
            "grafana": self.grafana.server,
        }

    def config_text(self, ca_bundle: Path) -> str:
        return "\n".join(
            [
                "[tls]",
                f'ca_bundle = "{ca_bundle}"',
                "[pagerduty]",
                f'base_url = "{self.pagerduty.base_url}"',
                "[slack]",
                f'base_url = "{self.slack.base_url}"',
                'channels = ["#deploys", "#alerts-checkout"]',
                "[github]",
                f'base_url = "{self.github.base_url}"',
                f'repos = ["{REPO}"]',
                "[grafana]",
                f'url = "{self.grafana.url}"',
                "",
            ]
        )

    def write_config(self, path: Path, ca_bundle: Path) -> Path:
        path.write_text(self.config_text(ca_bundle), encoding="utf-8")
        return path

    @staticmethod
    def set_tokens(monkeypatch: pytest.MonkeyPatch, **overrides: str) -> None:
        for name, value in {**TOKENS, **overrides}.items():
            monkeypatch.setenv(name, value)

    def reset_logs(self) -> None:
        for server in self.servers.values():
            server.reset_log()
