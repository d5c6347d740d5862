"""One account (or one person) named under two ``[people] aliases`` keys warns, naming both
keys and the account: which forms are one account only the directory knows (Slack's
``users.list``: ``id`` the user ID, ``name`` the username), so config loading cannot.
"""

from __future__ import annotations

from pathlib import Path

from tests.test_people_same_name import (
    SAM1,
    SAM2,
    WORDS,
    aliased,
    people_warnings,
    said_by,
    slack_account,
)
from tests.test_rows import ack, said, timeline, trigger

BOB = slack_account("U0BOB0002", "bstone", "Bob Stone", "bob@corp.example")
MSG = [said("U0BOB0002", 5, WORDS)]


def test_one_slack_user_by_username_and_by_id_under_two_keys_warns(tmp_path: Path) -> None:
    config = aliased({"Y": ["slack:U0BOB0002"], "X": ["slack:@bstone"]})
    tl = timeline(tmp_path, [trigger()], MSG, [BOB], config=config)
    assert said_by(tl) == ["X"], "the first key, as the warning says"
    assert people_warnings(tl) == [
        '[people] aliases "X" and "Y" name slack account U0BOB0002 ("slack:@bstone" under "X",'
        ' "slack:U0BOB0002" under "Y"); rows say "X"; keep it under one name'
    ]


def test_one_person_by_email_and_by_account_under_two_keys_warns(tmp_path: Path) -> None:
    config = aliased({"Bob": ["bob@corp.example"], "Robert": ["slack:U0BOB0002"]})
    tl = timeline(tmp_path, [trigger()], MSG, [BOB], config=config)
    (line,) = people_warnings(tl)
    assert line.startswith('[people] aliases "Bob" and "Robert" name slack account U0BOB0002')


def test_two_accounts_under_two_keys_or_one_key_say_nothing(tmp_path: Path) -> None:
    two = aliased({"Sam": ["slack:U0SAMLEE1"], "Samuel": ["slack:samuel.lee"]})
    tl = timeline(tmp_path, [trigger()], [said("U0SAMLEE1", 5, WORDS)], [SAM1, SAM2], config=two)
    assert people_warnings(tl) == []
    one = aliased({"Bob": ["slack:@bstone", "slack:U0BOB0002", "bob@corp.example"]})
    tl = timeline(tmp_path / "one", [trigger()], MSG, [BOB], config=one)
    assert people_warnings(tl) == [] and said_by(tl) == ["Bob"]


def test_two_accounts_one_email_joins_under_two_keys_warns(tmp_path: Path) -> None:
    """PagerDuty's Bob (``GET /users/{id}`` email) and Slack's Bob: one person by email."""
    pd_bob = {"id": "PBOBSTO", "type": "user", "name": "Bob Stone", "email": "bob@corp.example"}
    config = aliased({"Bob": ["pagerduty:PBOBSTO"], "Robert": ["slack:U0BOB0002"]})
    tl = timeline(tmp_path, [trigger(), ack(3, "Bob Stone")], MSG, [BOB], [], [], [pd_bob],
                  config=config)  # fmt: skip
    assert people_warnings(tl) == [
        '[people] aliases "Bob" and "Robert" name one person, bob@corp.example'
        ' ("pagerduty:PBOBSTO" under "Bob", "slack:U0BOB0002" under "Robert"); rows say "Bob";'
        " keep it under one name"
    ]
