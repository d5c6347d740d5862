"""Slack export zips in the layouts and name encodings Slack (and tools writing its format) use.

Each zip is written here the way the exporter writes it: member names are UTF-8 bytes WITHOUT the
zip "UTF-8" flag (bit 11), so Python's zipfile reads them as code page 437 (zulip/zulip#22533);
"all channels" exports add groups.json, mpims.json, dms.json (DM folders by ID); Enterprise Grid
has org_users.json; a re-zip on macOS stores decomposed (NFD) names.
"""

from __future__ import annotations

import json
import unicodedata
import zipfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle
from reconstruct.collectors.slack.export import member_name
from reconstruct.collectors.slack.parse import parse
from reconstruct.errors import SourceError
from reconstruct.pipeline import partial_sources
from tests.builtin import err_lines
from tests.fakes.demo_world import ALERTS_CHANNEL, INCIDENT_CHANNEL
from tests.test_live_end_to_end import Live, MakeServer, row
from tests.test_slack_export import INC, by_ts, collect, msg, ts


class SlackExporterInfo(zipfile.ZipInfo):
    """A member written like Slack's exporter: UTF-8 name bytes, the UTF-8 flag NOT set."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("utf-8"), self.flag_bits & ~0x800


def write_export(path: Path, files: dict[str, Any], *, flagless: bool = True) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, value in files.items():
            info = SlackExporterInfo(name) if flagless else zipfile.ZipInfo(name)
            zf.writestr(info, json.dumps(value, ensure_ascii=False))
    return path


USERS = [
    {"id": "U1", "name": "ana", "profile": {"display_name": "Ana"}},
    {"id": "U2", "name": "bo", "real_name": "Bo Chen", "profile": {"display_name": ""}},
]


def test_utf8_names_without_the_flag_are_found(tmp_path: Path) -> None:
    path = write_export(
        tmp_path / "export.zip",
        {
            "channels.json": [{"id": INC, "name": "障害-1234"}],
            "users.json": USERS,
            "障害-1234/2024-03-14.json": [msg(5, "U1", "切り戻しました rolled back")],
        },
    )
    with zipfile.ZipFile(path) as zf:  # the fault as Python sees it
        assert "障害-1234/2024-03-14.json" not in zf.namelist()
        assert member_name(zf.infolist()[-1]) == "障害-1234/2024-03-14.json"

    meta, bundle, _ = collect(
        tmp_path, path, slack={"incident_channel": "障害-{number}", "channels": []}
    )
    assert meta["incident_channel"] == INC and "incomplete" not in meta
    (event,) = parse(bundle)
    assert event.summary == "切り戻しました rolled back"
    assert event.scope == "slack:#障害-1234"


def test_flagged_cp437_and_decomposed_names(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "デプロイ")
    assert nfd != "デプロイ"
    path = tmp_path / "rezipped.zip"
    with zipfile.ZipFile(path, "w") as zf:
        # macOS Archive Utility: the flag set, names decomposed, all under one folder
        zf.writestr("export/channels.json", json.dumps([{"id": INC, "name": "デプロイ"}]))
        zf.writestr(f"export/{nfd}/2024-03-14.json", json.dumps([msg(5, "U1", "deployed")]))
        # a name in cp437 proper (no flag, not UTF-8): kept as read, not a crash
        info = zipfile.ZipInfo("export/caf\x82/2024-03-14.json")
        zf.writestr(info, "[]")
    meta, bundle, _ = collect(
        tmp_path, path, slack={"incident_channel": "デプロイ", "channels": []}
    )
    assert meta["incident_channel"] == INC
    assert [e.summary for e in parse(bundle)] == ["deployed"]


def test_all_channels_export_and_enterprise_grid_users(tmp_path: Path) -> None:
    private, dm, mpim = "G0PRIV001", "D0DM00001", "C0MPIM001"
    path = write_export(
        tmp_path / "grid.zip",
        {
            "channels.json": [{"id": INC, "name": "inc-1234"}],
            "groups.json": [{"id": private, "name": "sec-incident", "is_private": True}],
            "mpims.json": [{"id": mpim, "name": "mpdm-ana--bo-1", "members": ["U1", "U2"]}],
            "dms.json": [{"id": dm, "members": ["U1", "U2"]}],
            "org_users.json": USERS,  # Enterprise Grid: no users.json
            "canvases.json": [],
            "integration_logs.json": [],
            "inc-1234/2024-03-14.json": [msg(1, "U1", "in the incident channel")],
            "sec-incident/2024-03-14.json": [msg(2, "U2", "<@U1> keys rotated")],
            "mpdm-ana--bo-1/2024-03-14.json": [msg(3, "U1", "group DM")],
            f"{dm}/2024-03-14.json": [msg(4, "U2", "direct message")],
        },
    )
    meta, bundle, _ = collect(
        tmp_path, path, slack={"channels": ["#sec-incident", "mpdm-ana--bo-1", dm]}
    )
    assert meta["channels"] == {
        INC: "inc-1234",
        private: "sec-incident",
        mpim: "mpdm-ana--bo-1",
        dm: dm,
    }
    assert meta["warnings"] == [
        "set [slack] workspace_url (https://WORKSPACE.slack.com/) to "
        "link each message; links open the channel instead"
    ]
    got = by_ts(list(parse(bundle)))
    assert got[ts(2)].summary == "@Ana keys rotated" and got[ts(2)].actor == "Bo Chen"
    assert got[ts(3)].scope == "slack:#mpdm-ana--bo-1"
    assert got[ts(4)].summary == "direct message"


def test_without_users_json_names_come_from_the_messages(tmp_path: Path) -> None:
    path = write_export(
        tmp_path / "export.zip",
        {
            "channels.json": [{"id": INC, "name": "inc-1234"}],
            "inc-1234/2024-03-14.json": [
                msg(
                    1,
                    "U7",
                    "on it",
                    user_profile={"real_name": "Kim Nguyen", "display_name": "kim"},
                ),
                msg(2, "U8", "thanks <@U7>"),
            ],
        },
    )
    meta, bundle, _ = collect(tmp_path, path, slack={"channels": []})
    assert any("no users.json" in w for w in meta["warnings"])
    got = by_ts(list(parse(bundle)))
    assert got[ts(1)].actor == "kim"
    assert got[ts(2)].summary == "thanks @kim" and got[ts(2)].actor == "U8"


@pytest.mark.parametrize("users", [[], {}])
def test_an_empty_users_json_is_said_to_list_no_users(tmp_path: Path, users: Any) -> None:
    path = write_export(
        tmp_path / "export.zip",
        {
            "channels.json": [{"id": INC, "name": "inc-1234"}],
            "users.json": users,  # present, but no user in it
            "inc-1234/2024-03-14.json": [msg(1, "U7", "on it")],
        },
    )
    meta, _, _ = collect(tmp_path, path, slack={"channels": []})
    (line,) = [w for w in meta["warnings"] if "users" in w]
    assert line.startswith("users.json in export.zip lists no users: people are shown")
    assert "has no users.json" not in line


def test_configured_or_templated_channel_missing_makes_the_run_partial(tmp_path: Path) -> None:
    path = write_export(
        tmp_path / "export.zip",
        {
            "channels.json": [{"id": "C0ALERTS1", "name": "alerts"}],
            "users.json": USERS,
            "alerts/2024-03-14.json": [msg(1, "U1", "alert")],
        },
    )
    meta, bundle, _ = collect(tmp_path, path, slack={"channels": ["#alerts", "#deploys"]})
    assert meta["incomplete"] == [
        "no channel #inc-1234 ([slack] incident_channel) in the export export.zip (a private "
        "channel needs an 'all channels' export); the incident channel's messages are missing "
        '(pass --slack-channel, or set [slack] incident_channel = "" to read [slack] channels '
        "only)",
        "no channel #deploys ([slack] channels) in the export export.zip; its messages are missing",
    ]
    assert set(meta["incomplete"]) <= set(meta["warnings"])
    assert partial_sources(bundle) == ("slack",)
    assert [e.summary for e in parse(bundle)] == ["alert"]  # what is there is kept


def test_single_user_txt_export_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "txt.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("channels/inc-1234.txt", "[9:05 AM] Ana: hi")
        zf.writestr("dms/bo.txt", "")
    with pytest.raises(SourceError, match=r"TXT export.*export that user's conversations as JSON"):
        collect(tmp_path, path)


# -- end to end: the CLI with --slack-export, the other sources live ------------------------
def demo_export(live: Live, path: Path, names: dict[str, str]) -> Path:
    """The demo world's Slack evidence as the exporter writes it, channels renamed by ``names``
    (channel ID -> folder name) and only those channels included."""
    fake = live.world.slack
    files: dict[str, Any] = {
        "channels.json": [
            dict(fake.channels[cid], name=name, name_normalized=name) for cid, name in names.items()
        ],
        "users.json": list(fake.users.values()),
    }
    for cid, name in names.items():
        days: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in fake.messages[cid]:
            day = datetime.fromtimestamp(float(message["ts"]), UTC).date().isoformat()
            days[day].append(message)
        for day, messages in days.items():
            files[f"{name}/{day}.json"] = sorted(messages, key=lambda m: float(m["ts"]))
    return write_export(path, files)


@pytest.fixture
def live(
    make_server: MakeServer, ca_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Live:
    return Live(make_server, ca_bundle, tmp_path, monkeypatch)


def test_cli_export_with_a_non_latin_channel_and_a_missing_one(live: Live, tmp_path: Path) -> None:
    live.monkeypatch.setenv("RECONSTRUCT_SLACK__INCIDENT_CHANNEL", "障害-{number}")
    live.monkeypatch.setenv("RECONSTRUCT_SLACK__WORKSPACE_URL", "https://acme.slack.com/")
    export = demo_export(
        live,
        tmp_path / "slack-export.zip",
        {INCIDENT_CHANNEL: "障害-4821", ALERTS_CHANNEL: "alerts-checkout"},  # no #deploys
    )
    code, out, err, dest = live.collect("--slack-export", str(export))
    assert code == 3, err
    assert row(out, "Declaring a SEV-1")  # the incident channel, found by its Japanese name
    assert f"archives/{INCIDENT_CHANNEL}/" in row(out, "Declaring a SEV-1")
    warnings = [line for line in err_lines(err) if "warning" in line]
    assert warnings == [
        "reconstruct: warning: slack: no channel #deploys ([slack] channels) in the export "
        "slack-export.zip; its messages are missing"
    ]
    assert "#deploys" in out  # the coverage note names it too
    bundle = Bundle.open(dest)
    assert partial_sources(bundle) == ("slack",)


def test_export_of_private_conversations_only(tmp_path: Path) -> None:
    """A tool's export of the conversations one user can see: no channels.json at all."""
    path = write_export(
        tmp_path / "private.zip",
        {
            "groups.json": [{"id": "G0INC0001", "name": "inc-1234", "is_private": True}],
            "users.json": USERS,
            "inc-1234/2024-03-14.json": [msg(5, "U2", "private incident channel")],
            "__uploads/F0001/graph.png": "not json, not read",
        },
    )
    meta, bundle, _ = collect(tmp_path, path, slack={"channels": []})
    assert meta["incident_channel"] == "G0INC0001"
    assert [(e.summary, e.actor) for e in parse(bundle)] == [
        ("private incident channel", "Bo Chen")
    ]
