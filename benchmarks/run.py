"""Issue #6's benchmark: a large incident served by the four loopback fakes, the real CLI against
it, and the figures the issue asks for, as one table (a script to run by hand, not a test).

    /work/venv/bin/python benchmarks/run.py                 # the full run (a few minutes)
    /work/venv/bin/python benchmarks/run.py --skip-1m       # without the 1M-event throughput size

1. Requests per source (each fake's request log) against the fewest requests the APIs allow for
   the same data (``lower_bounds`` explains each formula); target ratio <= 1.1.
2. Wall time of the whole live run against the slowest source run alone (the CLI with only that
   source configured; PagerDuty always runs, it defines the incident); target ratio <= 1.3.
3. normalize (UTC, dedup, refs, classify, merge, select, order) and the Markdown render on
   10k / 100k / 1M synthetic events (``benchmarks/normalize_bench.synthetic``), each size in its
   own subprocess so its peak RSS is its own; targets 100k < 2 s, 1M < 25 s, 100k < 300 MB.
4. ``reconstruct --help`` wall time, best of 5; target < 0.3 s.

Every request to a fake is delayed by ``--latency-ms``. Servers are stopped at the end, every
subprocess has a timeout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import trustme  # noqa: E402

from reconstruct.collectors.github.parse import reverted_pr  # noqa: E402
from tests.fakes import github as gh  # noqa: E402
from tests.fakes import grafana as gf  # noqa: E402
from tests.fakes import pagerduty as pd  # noqa: E402
from tests.fakes.github import FakeGitHub  # noqa: E402
from tests.fakes.grafana import FakeGrafana  # noqa: E402
from tests.fakes.pagerduty import FakePagerDuty, IncidentData  # noqa: E402
from tests.fakes.server import FakeServer  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402

SOURCES = ("pagerduty", "slack", "github", "grafana")
TOKENS = {
    "pagerduty": "pd-bench-token-0123456789",
    "slack": "xoxb-bench-0123456789",
    "github": "ghp_bench0123456789abcdefGHIJ",
    "grafana": "glsa_bench_0123456789",
}
ENV_NAMES = {
    "pagerduty": "PAGERDUTY_TOKEN",
    "slack": "SLACK_TOKEN",
    "github": "GITHUB_TOKEN",
    "grafana": "GRAFANA_TOKEN",
}
NUMBER = pd.NUMBER  # the fake's sample incident number (4321); channel #inc-4321
INCIDENT_ID = pd.INCIDENT_ID
REPO = "acme/checkout"
INCIDENT_CHANNEL = "C0INC4321A"
DEPLOYS_CHANNEL = "C0DEPLOYS1"
SLACK_PAGE = 999  # [slack] page_size in the benchmark config (the tool's maximum)
# The tool's config defaults, which the benchmark config keeps.
BEFORE, AFTER, LEADUP = timedelta(hours=1), timedelta(minutes=30), timedelta(days=14)
DURATION = timedelta(hours=3)
WORDS = "checkout latency cache pool error rate looking at graphs restart pods db ttl".split()
RUN_TIMEOUT = 600.0


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def between(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    return lo + timedelta(seconds=rng.uniform(0, (hi - lo).total_seconds()))


# -- the generated incident ------------------------------------------------------------------------
@dataclass
class World:
    """What the fakes serve, plus the facts the lower bounds are computed from."""

    started: datetime
    resolved: datetime
    incident: IncidentData
    users: list[str]
    channels: dict[str, tuple[str, list[dict[str, Any]]]]
    deployments: list[dict[str, Any]]
    statuses: dict[int, list[dict[str, Any]]]
    pulls: list[dict[str, Any]]
    annotations: list[dict[str, Any]]
    commits: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, int] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return self.started - BEFORE

    @property
    def end(self) -> datetime:
        return self.resolved + AFTER

    @property
    def leadup_start(self) -> datetime:
        return self.start - LEADUP


def generate(args: argparse.Namespace, seed: int = 6) -> World:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    started = now - timedelta(days=2)
    resolved = started + DURATION
    # Everything is generated a minute or more away from the window's edges, so no record sits on
    # a boundary and the lower bounds below are unambiguous.
    w_start, w_end = started - BEFORE, resolved + AFTER
    inner = (w_start + timedelta(minutes=1), w_end - timedelta(minutes=1))
    leadup_start = w_start - LEADUP

    # PagerDuty: the incident, its log entries (trigger ... resolve), alerts and notes.
    sample = pd.sample_incident()
    incident = dict(sample.incident)
    incident.update(
        created_at=iso(started),
        updated_at=iso(resolved),
        resolved_at=iso(resolved),
        status="resolved",
    )
    agents = [pd.PRIYA, pd.SAM, pd.DANA, pd.ALEX]
    kinds = ["notify", "notify", "annotate", "acknowledge", "escalate", "assign"]
    entries = []
    n_entries = max(args.log_entries, 2)
    for i in range(n_entries):
        if i == 0:
            kind, when = "trigger", started
        elif i == n_entries - 1:
            kind, when = "resolve", resolved
        else:
            kind = rng.choice(kinds)
            when = between(rng, started + timedelta(seconds=1), resolved - timedelta(seconds=1))
        record = pd.entry(f"QB{i:05d}", kind, 0, rng.choice(agents), user=rng.choice(agents))
        record["created_at"] = iso(when)
        entries.append(record)
    alerts = [
        pd._alert(
            f"PALB{i:04d}", f"key-{i}", f"alert {i}", iso(started), "QB00000" if i == 0 else None
        )
        for i in range(args.alerts)
    ]
    notes = [
        pd._note(
            f"PNB{i:03d}", rng.choice(agents), f"note {i}", iso(between(rng, started, resolved))
        )
        for i in range(10)
    ]
    data = IncidentData(incident, entries, alerts, notes)

    # Slack: 90% of the messages in the incident channel (with every thread), 10% in #deploys.
    users = [f"U{i:06d}" for i in range(max(args.users, 1))]
    total = max(args.slack_messages, 1)
    deploy_msgs = total // 10
    inc_msgs = total - deploy_msgs
    threads = min(args.threads, max(inc_msgs // 2, 0))
    replies = min(max(inc_msgs // 4, threads), inc_msgs - threads)
    top = inc_msgs - replies
    base = int(inner[0].timestamp())
    span = int((resolved - inner[0]).total_seconds()) - 1
    seconds = (
        sorted(rng.sample(range(span), top))
        if top <= span
        else sorted(rng.randrange(span) for _ in range(top))
    )
    inc_messages: list[dict[str, Any]] = []
    for i, sec in enumerate(seconds):
        text = " ".join(rng.choices(WORDS, k=rng.randint(3, 14)))
        if rng.random() < 0.02:
            text += " root cause is the cache ttl"
        inc_messages.append(
            {
                "type": "message",
                "user": rng.choice(users),
                "text": text,
                "ts": f"{base + sec}.{i:06d}",
            }
        )
    parents = rng.sample(range(top), threads) if threads else []
    per_thread = Counter(parents)  # one reply each, the rest spread at random
    for _ in range(replies - threads):
        per_thread[rng.choice(parents)] += 1
    reply_records: list[dict[str, Any]] = []
    last = int(inner[1].timestamp())
    for idx, count in per_thread.items():
        parent = inc_messages[idx]
        p_sec = int(parent["ts"].split(".")[0])
        parent.update(thread_ts=parent["ts"], reply_count=count, reply_users_count=1)
        for _ in range(count):
            sec = rng.randint(p_sec + 1, last)
            reply_records.append(
                {
                    "type": "message",
                    "user": rng.choice(users),
                    "text": " ".join(rng.choices(WORDS, k=rng.randint(3, 10))),
                    "ts": f"{sec}.{900000 + len(reply_records) % 100000:06d}",
                    "thread_ts": parent["ts"],
                    "parent_user_id": parent["user"],
                }
            )
    deploy_messages = [
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0DEPLOY",
            "username": "deploy-bot",
            "text": f"Deployed {rng.randrange(16**7):07x} to production",
            "ts": f"{base + rng.randrange(span)}.{i:06d}",
        }
        for i in range(deploy_msgs)
    ]
    channels = {
        INCIDENT_CHANNEL: (f"inc-{NUMBER}", inc_messages + reply_records),
        DEPLOYS_CHANNEL: ("deploys", deploy_messages),
    }

    # GitHub: ~80% of the deployments since the leadup start, the rest older; 2 statuses each.
    # PRs: ~85% merged since the leadup start (a few of them inside the incident window).
    deployments, statuses = [], {}
    for i in range(args.deployments):
        ident = 9_000_000 + i
        if rng.random() < 0.8:
            when = between(rng, leadup_start + timedelta(hours=1), inner[1])
        else:
            when = leadup_start - timedelta(hours=rng.uniform(1, 240))
        sha = f"{rng.randrange(16**40):040x}"
        deployments.append(gh.deployment(REPO, ident, sha, "main", iso(when)))
        statuses[ident] = [
            gh.status(REPO, ident, ident * 10 + 1, "in_progress", iso(when)),
            gh.status(REPO, ident, ident * 10 + 2, "success", iso(when + timedelta(minutes=3))),
        ]
    pulls = []
    for n in range(1, args.prs + 1):
        if rng.random() < 0.85:
            when = between(rng, leadup_start + timedelta(hours=1), inner[1])
        else:
            when = leadup_start - timedelta(hours=rng.uniform(1, 240))
        labels = ("config",) if rng.random() < 0.1 else ()
        sha = f"{rng.randrange(16**40):040x}"
        author = f"dev-{n % DEVELOPERS:02d}"
        pulls.append(
            gh.pull(REPO, n, f"Change {n}: tune cache", iso(when), labels, sha, author=author)
        )
    # The default branch: each PR's squash commit, by its author, at its merge, and the commit
    # each deployment ships, pushed a few minutes before it. Developers whose number is in
    # PRIVATE keep their address private (noreply only): no page of commits gives theirs.
    commits = [
        gh.commit(REPO, p["merge_commit_sha"], login, _dev_email(login), p["merged_at"])
        for p in pulls
        for login in [p["user"]["login"]]
    ]
    for i, d in enumerate(deployments):
        login = f"dev-{i % DEVELOPERS:02d}"
        pushed = iso(gh_time(d["created_at"]) - timedelta(minutes=5))
        commits.append(gh.commit(REPO, d["sha"], login, _dev_email(login), pushed))

    # Grafana: alert state changes and plain annotations, all inside the window.
    annotations = []
    for i in range(args.annotations):
        at = ms(between(rng, inner[0], inner[1]))
        if rng.random() < 0.6:
            rule = f"Rule{rng.randrange(40)}"
            new, prev = rng.choice([("Alerting", "Normal"), ("Normal", "Alerting")])
            annotations.append(gf.alert(i + 1, at, rule, new, prev, alert_id=rng.randrange(1, 40)))
        else:
            annotations.append(gf.annotation(i + 1, at, f"marker {i}", tags=["deploy"]))

    world = World(
        started, resolved, data, users, channels, deployments, statuses, pulls, annotations, commits
    )
    world.facts = {
        "log entries": len(entries),
        "alerts": len(alerts),
        "slack top-level (incident channel)": top,
        "slack replies": len(reply_records),
        "slack threads": len(per_thread),
        "slack #deploys": len(deploy_messages),
        "users": len(users),
        "deployments": len(deployments),
        "PRs": len(pulls),
        "commits": len(commits),
        "annotations": len(annotations),
    }
    return world


# -- the lower bounds ------------------------------------------------------------------------------
LEADUP_DEPLOYS = 3
"""``[github] leadup_deploys`` (the default, which the benchmark config keeps)."""


def _statuses_bound(world: World, since: list[dict[str, Any]]) -> int:
    """Statuses calls the timeline needs: the window's deployments, then the lead-up walk."""
    created = sorted(((gh_time(d["created_at"]), d["id"]) for d in since), reverse=True)
    inside = sum(world.start <= when <= world.end for when, _ in created)
    found = asked = 0
    for when, ident in created:
        if when >= world.start or found >= LEADUP_DEPLOYS:
            continue
        asked += 1
        live = [gh_time(s["created_at"]) for s in world.statuses[ident] if s["state"] == "success"]
        found += bool(live and min(live) < world.start)
    return inside + asked


DEVELOPERS = 12
"""PR authors of the generated repository (``dev-00`` ...)."""
PRIVATE = {5, 11}
"""Developers who commit with their noreply address only."""


def _dev_email(login: str) -> str:
    number = int(login.rsplit("-", 1)[1])
    if number in PRIVATE:
        return f"{70000 + number}+{login}@users.noreply.github.com"
    return f"{login}@acme.example"


def _commits_bound(world: World) -> int:
    """The commits of [leadup start, window end], newest first, 100 a page, for the logins of the
    people (not bots) who opened the PRs or created the deployments of that range: none when
    there are none; page 1; then, for the logins page 1 leaves without a usable (not noreply)
    address, the cheaper of the remaining pages (read until every login has one) and one
    ``author=<login>`` request each."""
    missing = {
        p["user"]["login"]
        for p in world.pulls
        if world.leadup_start <= gh_time(p["merged_at"]) <= world.end
        and not p["user"]["login"].endswith("[bot]")
    }
    missing |= {
        d["creator"]["login"]
        for d in world.deployments
        if world.leadup_start <= gh_time(d["created_at"]) <= world.end
        and not d["creator"]["login"].endswith("[bot]")
    }
    if not missing:
        return 0
    listed = sorted(
        (c for c in world.commits if world.leadup_start <= _committed(c) <= world.end),
        key=_committed,
        reverse=True,
    )

    def known(item: dict[str, Any]) -> None:
        if "users.noreply." not in item["commit"]["author"]["email"]:
            missing.discard(item["author"]["login"])

    for item in listed[:100]:
        known(item)
    pages = max(1, math.ceil(len(listed) / 100))
    if not missing or pages == 1:
        return 1
    if pages - 1 > len(missing):
        return 1 + len(missing)
    for index in range(100, len(listed)):
        known(listed[index])
        if not missing:
            return math.ceil((index + 1) / 100)
    return pages


def _pd_users(world: World) -> set[str]:
    found: set[str] = set()
    for record in [*world.incident.log_entries, *world.incident.notes]:
        for field_name in ("agent", "user", "assignees"):
            value = record.get(field_name)
            for ref in value if isinstance(value, list) else [value]:
                if isinstance(ref, dict) and ref.get("type") in ("user_reference", "user"):
                    found.add(str(ref["id"]))
    return found


def _committed(item: dict[str, Any]) -> datetime:
    return gh_time(item["commit"]["committer"]["date"])


def lower_bounds(world: World) -> dict[str, int]:
    """The fewest requests each API allows for this data, at its largest page size.

    PagerDuty (limit <= 100): 1 GET /incidents/{number} (the incident itself), ceil(log entries /
    100) and ceil(alerts / 100) pages (at least 1 each: an empty list is still one answer), 1 GET
    notes (not paginated), and 1 GET /users/{id} per user the log entries and notes name
    (``agent``, ``user``, ``assignees``): the only source of their emails, and PagerDuty has no
    endpoint that reads several users by id.

    Slack: 1 auth.test (the workspace URL, which permalinks need), 1 conversations.list page (two
    channel names out of two channels; a page holds 1000), then per channel max(1, ceil(top-level
    messages in the window / page_size)) conversations.history pages (page_size = 999 in the
    benchmark config, the most the tool accepts), one conversations.replies call per thread with
    replies, ceil((parent + replies) / page_size) pages each, one history page per channel over
    the thread lookback before the window (the world has no messages there), and
    ceil(users / 1000) users.list pages. conversations.info is not counted: conversations.list
    already gave the names.

    GitHub (per_page <= 100): deployments come newest first and the tool must read until it has
    seen one older than the leadup start (or the last page): (deployments since the leadup start)
    // 100 + 1 pages when an older one exists, else max(1, ceil(all / 100)); one statuses call
    (2 statuses each: one page) per deployment the timeline can show: each one created inside the
    window, and the lead-up ones walked back newest first until ``LEADUP_DEPLOYS`` of them went
    live before the window (a deployment's only way to be known live is its statuses); max(1,
    ceil(PRs merged in [leadup start, window end] / 100)) search pages; one GET pulls/{n} per
    PR merged inside the incident window (search results carry no merge sha) and per lead-up PR
    one of those reverts ("Reverts o/r#N": who merged it); and the commits of
    the default branch over [leadup start, window end] (newest first, 100 a page), the one source
    of a login's email: page 1, then for the people's logins on those PRs and deployments still
    without an address that is not a noreply one, the cheaper of the remaining pages and one
    ``author=<login>`` request each (``_commits_bound``; none when only bots made them). GET
    /repos/o/r is not counted: every call above addresses the repository by name.

    Grafana (limit 1000): max(1, ceil(annotations in the window / 1000)) GET /api/annotations.
    """
    pd_bound = 1 + max(1, math.ceil(len(world.incident.log_entries) / 100))
    pd_bound += max(1, math.ceil(len(world.incident.alerts) / 100)) + 1
    pd_bound += len(_pd_users(world))

    slack = 1 + 1
    for _name, messages in world.channels.values():
        tops = [m for m in messages if m.get("thread_ts") in (None, m["ts"])]
        slack += max(1, math.ceil(len(tops) / SLACK_PAGE))
        slack += 1  # the listing over [slack] thread_lookback (threads begun before the window)
        for parent in tops:
            count = sum(1 for m in messages if m.get("thread_ts") == parent["ts"]) - 1
            if parent.get("reply_count"):
                slack += math.ceil((1 + count) / SLACK_PAGE)
    slack += max(1, math.ceil(len(world.users) / 1000))

    since = [d for d in world.deployments if gh_time(d["created_at"]) >= world.leadup_start]
    older = len(world.deployments) - len(since)
    github = len(since) // 100 + 1 if older else max(1, math.ceil(len(world.deployments) / 100))
    github += _statuses_bound(world, since)
    merged = [gh_time(p["merged_at"]) for p in world.pulls]
    github += max(1, math.ceil(sum(world.leadup_start <= t <= world.end for t in merged) / 100))
    github += sum(world.start <= t <= world.end for t in merged)
    github += len(_reverted_leadup(world))
    github += _commits_bound(world)

    inside = sum(ms(world.start) <= a["time"] <= ms(world.end) for a in world.annotations)
    grafana = max(1, math.ceil(inside / 1000))
    return {"pagerduty": pd_bound, "slack": slack, "github": github, "grafana": grafana}


def _reverted_leadup(world: World) -> set[int]:
    """The lead-up PRs (merged in [leadup start, window start)) a PR merged in the window
    reverts: each is read whole too (``github.live`` step 5)."""
    when = {p["number"]: gh_time(p["merged_at"]) for p in world.pulls}
    out = set()
    for p in world.pulls:
        target = reverted_pr(p.get("body"), REPO)
        if world.start <= when[p["number"]] <= world.end and target is not None:
            if target in when and world.leadup_start <= when[target] < world.start:
                out.add(target)
    return out


def gh_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- the fakes and the CLI -------------------------------------------------------------------------
@dataclass
class Fakes:
    pagerduty: FakePagerDuty
    slack: FakeSlack
    github: FakeGitHub
    grafana: FakeGrafana

    @property
    def servers(self) -> dict[str, FakeServer]:
        return {
            "pagerduty": self.pagerduty.server,
            "slack": self.slack.server,
            "github": self.github.server,
            "grafana": self.grafana.server,
        }

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


def start_fakes(world: World, ca: trustme.CA, latency: float) -> Fakes:
    started: list[FakeServer] = []

    def server() -> FakeServer:
        s = FakeServer(ca=ca, latency=latency).start()
        started.append(s)
        return s

    try:
        pagerduty = FakePagerDuty(server(), token=TOKENS["pagerduty"])
        pagerduty.add(world.incident)
        slack = FakeSlack(server(), token=TOKENS["slack"])
        for uid in world.users:
            slack.add_user(uid, uid.lower(), real_name=f"Person {uid}")
        for cid, (name, messages) in world.channels.items():
            slack.add_channel(cid, name, messages=messages)
        github = FakeGitHub(server(), token=TOKENS["github"])
        github.add_repo(
            REPO,
            deployments=world.deployments,
            statuses=world.statuses,
            pulls=world.pulls,
            commits=world.commits,
        )
        grafana = FakeGrafana(server(), token=TOKENS["grafana"])
        grafana.add(*world.annotations)
    except BaseException:
        for s in started:
            s.stop()
        raise
    return Fakes(pagerduty, slack, github, grafana)


def config_text(fakes: Fakes, ca_pem: Path, sources: tuple[str, ...]) -> str:
    lines = [
        "[tls]",
        f'ca_bundle = "{ca_pem}"',
        "[pagerduty]",
        f'base_url = "{fakes.pagerduty.base_url}"',
        "[slack]",
        f'base_url = "{fakes.slack.base_url}"',
        'channels = ["#deploys"]',
        f"page_size = {SLACK_PAGE}",
    ]
    if "github" in sources:
        lines += ["[github]", f'base_url = "{fakes.github.base_url}"', f'repos = ["{REPO}"]']
    if "grafana" in sources:
        lines += ["[grafana]", f'url = "{fakes.grafana.url}"']
    return "\n".join(lines) + "\n"


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "reconstruct"
    return [str(script)] if script.exists() else [sys.executable, "-m", "reconstruct"]


def clean_env(home: Path, sources: tuple[str, ...]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RECONSTRUCT_")
        and k not in ENV_NAMES.values()
        and k.lower() not in {"http_proxy", "https_proxy", "all_proxy"}
    }
    env.update(
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
    )
    for name in ("pagerduty", *sources):
        env[ENV_NAMES[name]] = TOKENS[name]
    return env


@dataclass
class RunOutcome:
    seconds: float
    code: int
    stderr: str
    requests: dict[str, int]
    by_endpoint: dict[str, Counter[str]]
    events: int


def run_cli(
    fakes: Fakes, ca_pem: Path, tmp: Path, label: str, sources: tuple[str, ...]
) -> RunOutcome:
    for server in fakes.servers.values():
        server.reset_log()
    work = tmp / label
    work.mkdir()
    config = work / "reconstruct.toml"
    config.write_text(config_text(fakes, ca_pem, sources), encoding="utf-8")
    out = work / "timeline.json"
    cmd = [
        *cli_command(),
        "--incident",
        str(NUMBER),
        "--save-bundle",
        str(work / "bundle"),
        "--config",
        str(config),
        "--quiet",
        "--format",
        "json",
        "-o",
        str(out),
    ]
    began = time.perf_counter()
    done = subprocess.run(
        cmd,
        env=clean_env(work, sources),
        cwd=work,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    took = time.perf_counter() - began
    events = 0
    if out.exists():
        events = len(json.loads(out.read_text(encoding="utf-8")).get("events", []))
    requests = {name: len(s.requests) for name, s in fakes.servers.items()}
    by_endpoint = {name: endpoints(name, s) for name, s in fakes.servers.items()}
    return RunOutcome(took, done.returncode, done.stderr.strip(), requests, by_endpoint, events)


def endpoints(name: str, server: FakeServer) -> Counter[str]:
    counts: Counter[str] = Counter()
    for req in server.requests:
        path = req.path
        if name == "slack":
            path = path.rsplit("/", 1)[-1]
        elif name == "github":
            parts = ["{n}" if p.isdigit() else p for p in path.split("/")]
            path = "/".join(parts)
        elif name == "pagerduty":
            path = path.replace(INCIDENT_ID, "{id}").replace(str(NUMBER), "{n}")
        counts[path] += 1
    return counts


# -- throughput (each size in its own process) -----------------------------------------------------
def vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def throughput_child(n: int) -> None:
    """Runs in a subprocess: prints one JSON line with the figures of size ``n``."""
    from normalize_bench import START, synthetic

    from reconstruct.config import Config
    from reconstruct.model import Incident, Timeline, Window
    from reconstruct.normalize import normalize
    from reconstruct.render import RenderOptions, render

    incident = Incident("PABC123", 1234, "Checkout errors", "P1", ("checkout",), START, None, None)
    window = Window(START, START + timedelta(hours=4), START - timedelta(days=14))
    config = Config()

    def timeline_of(result: Any, count: int) -> Timeline:
        return Timeline(
            incident=incident,
            window=window,
            events=result.events,
            omitted=result.omitted,
            collected={"slack": count},
        )

    # Warm the pattern caches and the template, as normalize_bench does.
    warm = normalize(synthetic(1000), incident, window, config)
    render(timeline_of(warm, 1000), RenderOptions(), config)
    began = time.perf_counter()
    events = synthetic(n)
    generated = time.perf_counter() - began
    rss_input = vm_rss_mb()
    t0 = time.perf_counter()
    result = normalize(events, incident, window, config)
    t1 = time.perf_counter()
    text = render(timeline_of(result, n), RenderOptions(), config)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        json.dumps(
            {
                "n": n,
                "generate_s": generated,
                "normalize_s": t1 - t0,
                "render_s": t2 - t1,
                "together_s": t2 - t0,
                "kept": len(result.events),
                "chars": len(text),
                "rss_input_mb": rss_input,
                "peak_mb": peak,
            }
        )
    )


def throughput(n: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--_throughput", str(n)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        return {"n": n, "error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def help_time(runs: int = 5) -> float:
    best = math.inf
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(
            [*cli_command(), "--help"], capture_output=True, timeout=60, check=True, cwd=ROOT
        )
        best = min(best, time.perf_counter() - began)
    return best


# -- the table -------------------------------------------------------------------------------------
Row = tuple[str, str, str, str]


def met(ok: bool | None) -> str:
    return "-" if ok is None else "yes" if ok else "NO"


def print_table(rows: list[Row]) -> None:
    head: Row = ("figure", "measured", "target", "met")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    print(line)
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |")
    print(line)
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print(line)


def busy_repo_row(args: argparse.Namespace, notes: list[str]) -> Row:
    """GitHub alone on a busy repository: ``--busy-deploys-per-day`` over the 14-day lead-up."""
    days = LEADUP.total_seconds() / 86400
    busy = argparse.Namespace(
        **{
            **vars(args),
            "deployments": round(
                args.busy_deploys_per_day * days / 0.8  # generate() puts ~80% inside the lead-up
            ),
        }
    )
    world = generate(busy, seed=13)
    bound = lower_bounds(world)["github"]
    ca = trustme.CA()
    with tempfile.TemporaryDirectory(prefix="reconstruct-bench-busy-") as tmpdir:
        tmp = Path(tmpdir)
        ca_pem = tmp / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_pem))
        fakes = start_fakes(world, ca, args.latency_ms / 1000)
        try:
            outcome = run_cli(fakes, ca_pem, tmp, "busy-github", ("github",))
        finally:
            fakes.stop()
    if outcome.code != 0:
        notes.append(f"run 'busy repo' exited {outcome.code}: {outcome.stderr[-300:]}")
    got = outcome.requests["github"]
    since = sum(gh_time(d["created_at"]) >= world.leadup_start for d in world.deployments)
    return (
        f"requests github, busy repo ({since} deploys in the lead-up) / lower bound",
        f"{got} / {bound} = {got / bound:.2f}",
        "<= 1.10",
        met(got / bound <= 1.1),
    )


def size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--slack-messages", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=300)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--log-entries", type=int, default=400)
    parser.add_argument("--alerts", type=int, default=50)
    parser.add_argument("--deployments", type=int, default=60)
    parser.add_argument("--prs", type=int, default=300)
    parser.add_argument("--annotations", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--skip-1m", action="store_true", help="throughput at 10k and 100k only")
    parser.add_argument(
        "--busy-deploys-per-day",
        type=float,
        default=50.0,
        help='the "busy repo" case: GitHub alone, this many deployments a day over the lead-up',
    )
    parser.add_argument(
        "--requests-only", action="store_true", help="only the request and wall-time rows"
    )
    parser.add_argument("--_throughput", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._throughput:
        throughput_child(args._throughput)
        return 0

    rows: list[Row] = []
    notes: list[str] = []
    began = time.perf_counter()

    # 1-2: the live runs against the fakes.
    world = generate(args)
    bounds = lower_bounds(world)
    print("generated: " + ", ".join(f"{k} {v}" for k, v in world.facts.items()))
    print(
        f"window {iso(world.start)} .. {iso(world.end)}, leadup from {iso(world.leadup_start)}; "
        f"latency {args.latency_ms:g} ms per request"
    )
    ca = trustme.CA()
    alone: dict[str, RunOutcome] = {}
    with tempfile.TemporaryDirectory(prefix="reconstruct-bench-") as tmpdir:
        tmp = Path(tmpdir)
        ca_pem = tmp / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_pem))
        fakes = start_fakes(world, ca, args.latency_ms / 1000)
        try:
            full = run_cli(fakes, ca_pem, tmp, "all", SOURCES)
            for name in SOURCES:
                only = () if name == "pagerduty" else (name,)
                alone[name] = run_cli(fakes, ca_pem, tmp, f"only-{name}", only)
        finally:
            fakes.stop()

    for outcome, label in [(full, "all"), *((o, f"only {n}") for n, o in alone.items())]:
        if outcome.code != 0:
            notes.append(f"run '{label}' exited {outcome.code}: {outcome.stderr[-300:]}")
    total_req = total_bound = 0
    for name in SOURCES:
        got, bound = full.requests[name], bounds[name]
        total_req, total_bound = total_req + got, total_bound + bound
        ratio = got / bound
        rows.append(
            (
                f"requests {name} / lower bound",
                f"{got} / {bound} = {ratio:.2f}",
                "<= 1.10",
                met(ratio <= 1.1),
            )
        )
    ratio = total_req / total_bound
    rows.append(
        (
            "requests all sources / lower bound",
            f"{total_req} / {total_bound} = {ratio:.2f}",
            "<= 1.10",
            met(ratio <= 1.1),
        )
    )
    slowest = max(alone, key=lambda n: alone[n].seconds)
    ratio = full.seconds / alone[slowest].seconds
    rows.append(
        (
            f"wall time all sources / slowest alone ({slowest})",
            f"{full.seconds:.2f} s / {alone[slowest].seconds:.2f} s = {ratio:.2f}",
            "<= 1.30",
            met(ratio <= 1.3),
        )
    )
    for name in SOURCES:
        o = alone[name]
        rows.append((f"  wall time {name} alone (CLI run)", f"{o.seconds:.2f} s", "-", "-"))
    rows.append(busy_repo_row(args, notes))
    if args.requests_only:
        print()
        print_table(rows)
        for note in notes:
            print(f"note: {note}")
        return 1 if notes else 0

    # 3: throughput.
    sizes = [10_000, 100_000] + ([] if args.skip_1m else [1_000_000])
    limits = {100_000: 2.0, 1_000_000: 25.0}
    for n in sizes:
        fig = throughput(n)
        label = size_label(n)
        if "error" in fig:
            rows.append((f"normalize+render {label}", "failed", "-", "NO"))
            notes.append(f"throughput {label}: {fig['error']}")
            continue
        for key, what in (("normalize_s", "normalize"), ("render_s", "render markdown")):
            rows.append(
                (
                    f"{what} {label}",
                    f"{fig[key]:.2f} s ({n / fig[key]:,.0f} ev/s)",
                    "-",
                    "-",
                )
            )
        limit = limits.get(n)
        rows.append(
            (
                f"normalize+render {label} (kept {fig['kept']:,})",
                f"{fig['together_s']:.2f} s ({n / fig['together_s']:,.0f} ev/s)",
                f"< {limit:g} s" if limit else "-",
                met(fig["together_s"] < limit if limit else None),
            )
        )
        rows.append(
            (
                f"peak RSS {label} (input alone {fig['rss_input_mb']:.0f} MB)",
                f"{fig['peak_mb']:.0f} MB",
                "< 300 MB" if n == 100_000 else "-",
                met(fig["peak_mb"] < 300 if n == 100_000 else None),
            )
        )

    # 4: --help.
    best = help_time()
    rows.append(("reconstruct --help (best of 5)", f"{best:.3f} s", "< 0.3 s", met(best < 0.3)))

    print()
    print_table(rows)
    print()
    print(f"live run: {full.events} timeline events; requests by endpoint:")
    for name in SOURCES:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(full.by_endpoint[name].items()))
        print(f"  {name}: {parts}")
    for note in notes:
        print(f"note: {note}")
    print(f"benchmark took {time.perf_counter() - began:.0f} s")
    return 1 if notes else 0


if __name__ == "__main__":
    sys.exit(main())
