"""PagerDuty users: GET /users/{id} for each person the incident names, so their email joins
them with the same person in Slack and Grafana (a ``user_reference`` carries no email)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconstruct.collectors.pagerduty import live as pd
from reconstruct.collectors.people import identities
from reconstruct.config import Config
from reconstruct.model import Identity
from tests.fakes.pagerduty import FakePagerDuty, error, sample_incident
from tests.fakes.server import FakeServer
from tests.test_pagerduty_live import KEY, TOKEN, config_for, run_collect


@pytest.fixture
def fake(make_server: Callable[..., FakeServer]) -> FakePagerDuty:
    return FakePagerDuty(make_server(), token=KEY)


@pytest.fixture
def config(fake: FakePagerDuty, ca_bundle: Path) -> Config:
    return config_for(fake.base_url, ca_bundle)


USERS = r"/users/[^/]+"


def test_each_named_person_is_read_once_and_kept(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    fake.add(sample_incident())
    body = pd.resolve_incident(config, TOKEN, "PABC123")
    fake.server.reset_log()
    meta, bundle = run_collect(config, body, tmp_path / "b")
    asked = sorted(r.path for r in fake.server.requests if r.path.startswith("/users/"))
    assert asked == ["/users/PUSR001", "/users/PUSR002", "/users/PUSR003", "/users/PUSR004"]
    assert meta["users"] == 4 and "warnings" not in meta
    people = {i.name: i.email for i in identities(bundle) if i.source == "pagerduty"}
    assert people == {
        "Alex Chen": "alex.chen@acme.example",
        "Dana Kim": "dana.kim@acme.example",
        "Priya Raman": "priya.raman@acme.example",
        "Sam Lee": "sam.lee@acme.example",
    }


def test_a_key_that_may_not_read_users_keeps_the_incident(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    fake.add(sample_incident())
    body = pd.resolve_incident(config, TOKEN, "PABC123")
    fake.server.fail_next("GET", USERS, error(403, "Access Denied", 2010))
    meta, bundle = run_collect(config, body, tmp_path / "b")
    assert meta["log_entries"] == 12 and meta["notes"] == 3
    assert "users" not in meta and not bundle.has("pagerduty/users.json")
    (warning,) = meta["warnings"]
    assert warning.startswith("users skipped: ") and "[people] aliases" in warning
    assert "incomplete" not in meta, "a key that may not read users: a warning, not partial"
    assert all(i.email == "" for i in identities(bundle) if i.source == "pagerduty")
    priya = Identity("pagerduty", "Priya Raman", real_name="Priya Raman", uid="PUSR001")
    assert priya in identities(bundle)


def test_a_users_lookup_that_cannot_finish_makes_the_run_partial(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    # GET /users/{id} answers 503 on every try: the emails are missing, so the run is partial
    # (exit 3) with the one warning naming the lookup, like Slack's users.list (issue #13).
    fake.add(sample_incident())
    body = pd.resolve_incident(config, TOKEN, "PABC123")
    fake.server.fail_next("GET", USERS, *[error(503, "Service Unavailable", 2001)] * 20)
    meta, bundle = run_collect(config, body, tmp_path / "b")
    assert meta["log_entries"] == 12 and meta["notes"] == 3
    (warning,) = meta["warnings"]
    assert warning.startswith("users skipped: ") and "503" in warning, warning
    assert meta["incomplete"] == [warning]
    assert not bundle.has("pagerduty/users.json")
