"""Config mistakes that used to pass silently or read badly: each is one line naming the file,
the ``[table] key`` and what to write (exit 2 from the CLI); and the wording of a flapping row
as an SRE reads it (Grafana's state names, the rows counted apart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.config import load_config
from reconstruct.errors import ConfigError
from tests.test_rows import alert_state, one, timeline, trigger


def refused(tmp_path: Path, text: str) -> str:
    path = tmp_path / "reconstruct.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[people]\ndisplay = "nickname"\n',
            "[people] display: expected 'name' or 'handle', got \"nickname\"",
        ),
        (
            '[people.aliases]\n"Bob Okoro" = ["github:bokoro"]\n'
            '"Robert Okoro" = ["github:bokoro"]\n',
            '[people] aliases: "github:bokoro" is under both "Bob Okoro" and "Robert Okoro"; '
            "one account is one person: keep it under one name",
        ),
        (
            '[people.aliases]\n"Bob Okoro" = ["bob@acme.example"]\n"Bob" = ["BOB@acme.example"]\n',
            '[people] aliases: "BOB@acme.example" is under both "Bob Okoro" and "Bob"; '
            "one account is one person: keep it under one name",
        ),
        (
            '[people.aliases]\n"Bob Okoro" = []\n',
            '[people] aliases: "Bob Okoro" = []: an empty list names no one; list the emails, '
            "tool:<id or handle> or names that are this person, or remove the key",
        ),
        (
            '[people.aliases]\n"" = ["github:bokoro"]\n',
            '[people] aliases: "" = ["github:bokoro"]: the key is the name rows show for this '
            'person; write it, e.g. "Bob Okoro" = [...]',
        ),
        (
            '[people.aliases]\n"Bob Okoro" = ["bob@"]\n',
            '[people] aliases: "Bob Okoro": "bob@" is not an email (name@domain, e.g. '
            "bob@acme.example)",
        ),
        (
            '[people.aliases]\n"Bob Okoro" = ["pagerduty:bob@acme"]\n',
            '[people] aliases: "Bob Okoro": "pagerduty:bob@acme" is not an email (name@domain, '
            "e.g. bob@acme.example)",
        ),
        (
            '[people.aliases]\n"Bob Okoro" = [" "]\n',
            '[people] aliases: "Bob Okoro": " " is empty; write an email, tool:<id or handle> '
            "(tools: github, grafana, pagerduty, slack) or a name",
        ),
        (
            '[collapse]\nflap_window = "0s"\n',
            "[collapse] flap_window: expected a duration above 0s, got 0s",
        ),
        (
            '[collapse]\nstep_window = "0m"\n',
            "[collapse] step_window: expected a duration above 0s, got 0s",
        ),
        (
            '[normalize]\nmerge_window = "0s"\n',
            "[normalize] merge_window: expected a duration above 0s, got 0s",
        ),
        ('[render]\ngap = "0h"\n', "[render] gap: expected a duration above 0s, got 0s"),
    ],
)
def test_each_mistake_is_one_line_naming_the_key(tmp_path: Path, text: str, expected: str) -> None:
    assert refused(tmp_path, text) == expected


def test_the_alias_forms_the_readme_documents_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "reconstruct.toml"
    path.write_text(
        "[people.aliases]\n"
        '"Sam Lee" = ["sam.lee@corp.example", "slack:U0SAMLEE1", "slack:@samlee",'
        ' "github:slee", "grafana:slee", "pagerduty:PSAM001", "pagerduty:sam@corp.example",'
        ' "Samuel Lee"]\n',
        encoding="utf-8",
    )
    assert len(load_config(path).people.aliases["Sam Lee"]) == 8


def test_a_flap_ending_in_nodata_names_the_state_as_grafana_does(tmp_path: Path) -> None:
    cycle = [("Normal", "Alerting"), ("Alerting", "NoData"), ("NoData", "Normal")]
    flaps = [alert_state(i, "PaymentsQueueDepth", *cycle[i % 3]) for i in range(11)]
    tl = timeline(tmp_path, [trigger()], [], [], flaps)
    row = one(tl, "flapped")
    assert row.summary == (
        "PaymentsQueueDepth flapped 11 times 09:42–09:52, last state NoData"
        " (4 firings, 3 clearings, 4 NoData); 09:42 firing and 09:50 clearing shown separately"
    )
    # never back to Normal: only the first firing is a row apart
    cycle = [("Alerting", "NoData"), ("NoData", "Alerting")]
    flaps = [alert_state(0, "PaymentsQueueDepth", "Normal", "Alerting")]
    flaps += [alert_state(1 + i, "PaymentsQueueDepth", *cycle[i % 2]) for i in range(9)]
    row = one(timeline(tmp_path / "b", [trigger()], [], [], flaps), "flapped")
    assert row.summary == (
        "PaymentsQueueDepth flapped 10 times 09:42–09:51, last state NoData"
        " (5 firings, 5 NoData); 09:42 firing shown separately"
    )
