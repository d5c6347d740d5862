"""Two people one name: two Slack accounts whose ``profile.display_name`` is "Sam Lee", two
PagerDuty users whose ``summary`` is "Sam Lee"; and ``[people] aliases`` acting on identities
(email, a tool's user ID, login or email), never on a name two people show.

Inputs in the tools' wire formats (Slack ``users.list`` members with ``name``, the username, and
``profile.display_name`` / ``profile.email``; ``conversations.history`` messages with ``user``;
PagerDuty ``notify_log_entry`` with a ``user`` reference and ``GET /users/{id}`` bodies), built
with the helpers of ``test_rows``, read through ``pipeline.build_timeline``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors.people import identities
from reconstruct.config import Config, PeopleConfig
from reconstruct.model import Timeline
from tests.test_rows import CHANNEL, T0, WINDOW, ack, entry, said, timeline, trigger, ts

WORDS = "customers are reporting failed card payments on checkout"


def slack_account(uid: str, username: str, shown: str, email: str) -> dict[str, Any]:
    """A ``users.list`` member: ``name`` is the username (unique), ``display_name`` what
    messages show."""
    profile = {"display_name": shown, "real_name": shown, "email": email}
    return {"id": uid, "name": username, "real_name": shown, "is_bot": False, "profile": profile}


SAM1 = slack_account("U0SAMLEE1", "samlee", "Sam Lee", "sam.lee@corp.example")
SAM2 = slack_account("U0SAMLEE2", "samuel.lee", "Sam Lee", "samuel.lee@corp.example")
BOTH = [said("U0SAMLEE1", 5, WORDS), said("U0SAMLEE2", 5.2, WORDS)]


def pd_user(uid: str, name: str) -> dict[str, Any]:
    return {"id": uid, "type": "user_reference", "summary": name}


def paged(minutes: float, uid: str, name: str) -> dict[str, Any]:
    return entry(
        "notify",
        minutes,
        summary=f"Notified {name} by email",
        agent={"id": "PESCPOL", "type": "escalation_policy_reference", "summary": "Payments"},
        user=pd_user(uid, name),
        channel={"type": "auto", "notification": {"type": "email", "status": "success"}},
    )


def said_by(tl: Timeline) -> list[str]:
    return sorted(e.actor or "" for e in tl.events if WORDS in e.summary)


def aliased(aliases: dict[str, list[str]]) -> Config:
    return Config(people=PeopleConfig(aliases={k: tuple(v) for k, v in aliases.items()}))


def people_warnings(tl: Timeline) -> list[str]:
    return [w for w in tl.warnings if w.startswith("[people]")]


# -- two people shown by one name -----------------------------------------------------------------
def test_two_slack_accounts_with_one_name_are_told_apart_by_username(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger()], BOTH, [SAM1, SAM2])
    rows = [e for e in tl.events if WORDS in e.summary]
    assert len(rows) == 2, "two people's words never merge"
    assert said_by(tl) == ["Sam Lee (@samlee)", "Sam Lee (@samuel.lee)"]
    assert people_warnings(tl) == []


def test_one_sam_lee_keeps_the_plain_name(tmp_path: Path) -> None:
    # the other account exists but says nothing: nobody in the draft to tell apart
    tl = timeline(tmp_path, [trigger()], BOTH[:1], [SAM1, SAM2])
    assert said_by(tl) == ["Sam Lee"]


def test_a_name_nothing_says_is_someone_else_is_not_qualified(tmp_path: Path) -> None:
    """PagerDuty's "Sam Lee" without an email may be Slack's Sam Lee: no handle is added."""
    tl = timeline(tmp_path, [trigger(), ack(3, "Sam Lee")], BOTH[:1], [SAM1])
    assert said_by(tl) == ["Sam Lee"]
    assert "Acknowledged by Sam Lee" in [e.summary for e in tl.events]


def test_one_persons_two_emails_in_two_tools_are_not_told_apart(tmp_path: Path) -> None:
    """PagerDuty's Sam Lee with sam@ and Slack's with sam.lee@: nothing says they are two (one
    person's addresses often differ between tools); one plain name."""
    pd_users = [{"id": "PSAM001", "type": "user", "name": "Sam Lee", "email": "sam@corp.example"}]
    entries = [trigger(), paged(1, "PSAM001", "Sam Lee")]
    tl = timeline(tmp_path, entries, BOTH[:1], [SAM1], [], [], pd_users)
    assert [e.summary for e in tl.events if e.kind == "page"] == ["Paged Sam Lee by email"]
    assert said_by(tl) == ["Sam Lee"]


def test_two_pagerduty_users_with_one_name_are_told_apart(tmp_path: Path) -> None:
    pages = [paged(1, "PSAM001", "Sam Lee"), paged(1.5, "PSAM002", "Sam Lee")]
    pd_users = [
        {"id": "PSAM001", "type": "user", "name": "Sam Lee", "email": "sam.lee@corp.example"},
        {"id": "PSAM002", "type": "user", "name": "Sam Lee", "email": "samuel.lee@corp.example"},
    ]
    tl = timeline(tmp_path, [trigger(), *pages], BOTH, [SAM1, SAM2], [], [], pd_users)
    assert sorted(e.summary for e in tl.events if e.kind == "page") == [
        "Paged Sam Lee (@samlee) by email",
        "Paged Sam Lee (@samuel.lee) by email",
    ]
    assert said_by(tl) == ["Sam Lee (@samlee)", "Sam Lee (@samuel.lee)"]
    without_slack = timeline(tmp_path / "pd", [trigger(), *pages], [], [], [], [], pd_users)
    assert sorted(e.summary for e in without_slack.events if e.kind == "page") == [
        "Paged Sam Lee (sam.lee@corp.example) by email",
        "Paged Sam Lee (samuel.lee@corp.example) by email",
    ]


# -- aliases act on identities --------------------------------------------------------------------
def test_an_alias_by_email_or_user_id_or_username_renames_that_account_only(
    tmp_path: Path,
) -> None:
    for n, entry_form in enumerate(
        [
            "samuel.lee@corp.example",
            "slack:U0SAMLEE2",
            "slack:samuel.lee",
            "slack:@samuel.lee",
            "SLACK:Samuel.Lee",
        ]
    ):
        config = aliased({"Samuel Lee": [entry_form]})
        tl = timeline(tmp_path / str(n), [trigger()], BOTH, [SAM1, SAM2], config=config)
        assert said_by(tl) == ["Sam Lee", "Samuel Lee"], entry_form
        assert people_warnings(tl) == [], entry_form
    config = aliased({"Sam Lee (SRE)": ["sam.lee@corp.example"]})
    tl = timeline(tmp_path / "sre", [trigger()], BOTH, [SAM1, SAM2], config=config)
    assert said_by(tl) == ["Sam Lee", "Sam Lee (SRE)"]


def test_an_alias_naming_a_name_two_people_show_is_refused_with_a_warning(
    tmp_path: Path,
) -> None:
    for n, form in enumerate(["Sam Lee", "slack:Sam Lee"]):
        config = aliased({"Samuel Lee": [form]})
        tl = timeline(tmp_path / str(n), [trigger()], BOTH, [SAM1, SAM2], config=config)
        assert said_by(tl) == ["Sam Lee (@samlee)", "Sam Lee (@samuel.lee)"], form
        (line,) = people_warnings(tl)
        assert line.startswith(f'[people] aliases "Samuel Lee": "{form}" is the name of 2 ')
        assert "slack:U0SAMLEE1, slack:U0SAMLEE2" in line


def test_a_bare_name_two_tools_show_with_their_own_emails_is_one_person(tmp_path: Path) -> None:
    """ "Sam Lee" in Slack (sam.lee@) and in PagerDuty (sam@): no tool says two people, so the
    bare name names both."""
    pd_users = [{"id": "PSAM001", "type": "user", "name": "Sam Lee", "email": "sam@corp.example"}]
    entries = [trigger(), paged(1, "PSAM001", "Sam Lee")]
    config = aliased({"Samuel Lee": ["Sam Lee"]})
    tl = timeline(tmp_path, entries, BOTH[:1], [SAM1], [], [], pd_users, config=config)
    assert [e.summary for e in tl.events if e.kind == "page"] == ["Paged Samuel Lee by email"]
    assert said_by(tl) == ["Samuel Lee"] and people_warnings(tl) == []


def test_an_alias_for_someone_not_in_this_incident_adds_no_line(tmp_path: Path) -> None:
    """A team's [people] table lists everyone; most are not in a given incident: no warning
    (a draft's lines are for this incident)."""
    config = aliased({"Marco Bianchi": ["slack:marco", "marco@acme.example"]})
    tl = timeline(tmp_path, [trigger()], BOTH[:1], [SAM1, SAM2], config=config)
    assert people_warnings(tl) == []
    no_login = aliased({"Kim Nguyen": ["github:knguyen"]})  # no GitHub record names knguyen
    tl = timeline(tmp_path / "b", [trigger(), ack(2, "Kim Nguyen")], [], [], config=no_login)
    assert people_warnings(tl) == []
    assert "Acknowledged by Kim Nguyen" in [e.summary for e in tl.events]


def test_pagerduty_aliases_by_user_id_and_by_email(tmp_path: Path) -> None:
    pd_users = [{"id": "PKIMNGU", "type": "user", "name": "Kim Nguyen", "email": "kim@acme.io"}]
    entries = [trigger(), ack(3, "Kim Nguyen")]  # agent id PKIMNGU (``test_rows.user``)
    for n, form in enumerate(["pagerduty:PKIMNGU", "pagerduty:kim@acme.io", "kim@acme.io"]):
        config = aliased({"K. Nguyen": [form]})
        tl = timeline(tmp_path / str(n), entries, [], [], [], [], pd_users, config=config)
        assert "Acknowledged by K. Nguyen" in [e.summary for e in tl.events], form
        assert people_warnings(tl) == [], form


def test_an_alias_joining_two_slack_accounts_with_different_emails_warns(tmp_path: Path) -> None:
    config = aliased({"Sam": ["slack:U0SAMLEE1", "slack:U0SAMLEE2"]})
    tl = timeline(tmp_path, [trigger()], BOTH, [SAM1, SAM2], config=config)
    assert said_by(tl) == ["Sam", "Sam"]  # the author said so; the draft follows, and warns
    (line,) = people_warnings(tl)
    assert line == (
        '[people] aliases "Sam": joins two slack accounts whose emails say they are two people '
        "(sam.lee@corp.example, samuel.lee@corp.example); check the alias"
    )


def test_an_alias_giving_someone_another_persons_name_warns(tmp_path: Path) -> None:
    alice = slack_account("U0ALICE01", "alice", "Alice Chen", "alice@corp.example")
    alicia = slack_account("U0ALICIA1", "alicia", "Alicia Chen", "alicia@corp.example")
    msgs = [said("U0ALICE01", 5, WORDS), said("U0ALICIA1", 5.5, WORDS)]
    config = aliased({"Alice Chen": ["slack:alicia"]})
    tl = timeline(tmp_path, [trigger()], msgs, [alice, alicia], config=config)
    assert said_by(tl) == ["Alice Chen (@alice)", "Alice Chen (@alicia)"]
    (line,) = people_warnings(tl)
    assert line.startswith(
        '[people] aliases "Alice Chen": alicia@corp.example gets the name of another person '
        "(alice@corp.example)"
    )
    plain = timeline(tmp_path / "plain", [trigger()], msgs, [alice, alicia])
    assert said_by(plain) == ["Alice Chen", "Alicia Chen"] and people_warnings(plain) == []


def test_records_say_whose_they_are_in_thread_replies_too(tmp_path: Path) -> None:
    """A reply file (``slack/<channel>/replies/<thread_ts>.json``) names its author by ``user``
    like history does."""
    writer = BundleWriter(tmp_path / "b", "Q1")
    writer.add("slack/users.list.json", [{"ok": True, "members": [SAM1, SAM2]}])
    parent = said("U0SAMLEE1", 1, "thread", thread_ts=ts(1))
    reply = said("U0SAMLEE2", 2, WORDS, thread_ts=ts(1))
    writer.add(f"slack/{CHANNEL}/conversations.history.json", [{"ok": True, "messages": []}])
    writer.add(f"slack/{CHANNEL}/replies/{ts(1)}.json", [{"ok": True, "messages": [parent, reply]}])
    writer.set_source("slack", "ok")
    found = identities(Bundle.open(writer.finish(WINDOW, T0 + timedelta(days=1))))
    records = {i.uid: i.records for i in found}
    assert records == {
        "U0SAMLEE1": frozenset({f"slack:{CHANNEL}:{ts(1)}"}),
        "U0SAMLEE2": frozenset({f"slack:{CHANNEL}:{ts(2)}"}),
    }
    assert {i.login for i in found} == {"samlee", "samuel.lee"}
