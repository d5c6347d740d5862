"""One malformed character in one API record costs that record a character, never the source.

Slack sends a message cut inside an emoji as JSON with a lone surrogate escape (``"\\ud83d"``),
which Python decodes to a str that cannot be written as UTF-8; an API answer may also hold bytes
that are not UTF-8 at all. Through the real CLI against the loopback fakes: the source stays
complete, the character becomes U+FFFD, and a warning counts it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconstruct.bundle import Bundle, BundleWriter, encode, loads_lenient
from reconstruct.cli import cli
from tests.fakes.demo_world import INCIDENT_CHANNEL, DemoWorld
from tests.fakes.server import FakeServer, Response

MARK = "surrogateProbe"


def _invoke(config: Path, tmp_path: Path) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(
        cli,
        [
            "--incident",
            "4821",
            "--config",
            str(config),
            "--save-bundle",
            str(tmp_path / "bundle"),
            "--format",
            "json",
            "--quiet",
        ],
        catch_exceptions=False,
    )
    doc = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, doc, result.stderr


@pytest.fixture
def world(make_server: Callable[..., FakeServer], monkeypatch: pytest.MonkeyPatch) -> DemoWorld:
    world = DemoWorld.start(make_server)
    world.set_tokens(monkeypatch)
    return world


def _events(doc: dict[str, object]) -> list[dict[str, object]]:
    events = doc["events"]
    assert isinstance(events, list)
    return events


def test_a_lone_surrogate_in_one_slack_message_costs_one_character(
    world: DemoWorld, tmp_path: Path, ca_bundle: Path
) -> None:
    config = world.write_config(tmp_path / "reconstruct.toml", ca_bundle)
    code, clean, _ = _invoke(config, tmp_path / "clean")
    assert code == 0
    slack_rows = sum("slack" in e["sources"] for e in _events(clean))  # type: ignore[operator]

    message = dict(world.slack.messages[INCIDENT_CHANNEL][0])
    message.pop("blocks", None)
    message.update(
        ts="1773482000.000100",
        text=f"{MARK} cut inside an emoji \ud83d",
        pinned_to=[INCIDENT_CHANNEL],
        client_msg_id="surrogate-0001",
    )
    world.slack.messages[INCIDENT_CHANNEL].append(message)
    code, doc, err = _invoke(config, tmp_path / "bad")

    assert code == 0, err
    events = _events(doc)
    assert sum("slack" in e["sources"] for e in events) == slack_rows + 1  # type: ignore[operator]
    [probe] = [e for e in events if MARK in str(e["summary"])]
    assert str(probe["summary"]).endswith("emoji \ufffd")
    warnings = [str(w) for w in doc["warnings"]]  # type: ignore[attr-defined]
    assert any(
        w.startswith("slack: 1 malformed character(s)") and "in 1 record(s) of slack/" in w
        for w in warnings
    ), warnings
    assert "slack" not in str(doc.get("failed_sources", ""))


def test_bytes_that_are_not_utf8_in_an_api_answer_cost_one_character(
    world: DemoWorld, tmp_path: Path, ca_bundle: Path
) -> None:
    """Grafana answers one page with a byte that is not UTF-8 (0xff) inside an annotation's
    text: the annotation stays, the byte becomes U+FFFD, the source is complete."""
    records = [dict(r) for r in world.grafana.records]
    records[0]["text"] = "grafanaProbe caf\x00"
    body = json.dumps(records).encode().replace(b"\\u0000", b"\xff")
    world.grafana.server.fail_next(
        "GET", world.grafana.path, Response(200, body, {"Content-Type": "application/json"})
    )
    config = world.write_config(tmp_path / "reconstruct.toml", ca_bundle)
    code, doc, err = _invoke(config, tmp_path)

    assert code == 0, err
    # an alert state record's text after its rule is its evaluation's values: JSON's ``values``
    records = [r for e in _events(doc) for r in [e, *e.get("members", [])]]  # type: ignore[attr-defined]
    [probe] = [r for r in records if "grafanaProbe" in str([r["summary"], r.get("values")])]
    assert "caf\ufffd" in str([probe["summary"], probe.get("values")])
    assert any("grafana: 1 malformed character(s)" in str(w) for w in doc["warnings"])  # type: ignore[attr-defined]


def test_the_bundle_layer_replaces_and_counts(tmp_path: Path) -> None:
    pages = [{"messages": [{"text": "ok"}, {"text": "a\ud83d", "blocks": [{"text": "b\udc80"}]}]}]
    data, chars, records = encode(pages)
    assert (chars, records) == (2, 1)
    assert json.loads(data)[0]["messages"][1]["text"] == "a\ufffd"
    assert loads_lenient(b'{"t": "caf\xff"}') == {"t": "caf\udcff"}

    # a file that is not UTF-8 in a bundle (not one this tool wrote): read, replaced, counted
    from datetime import UTC, datetime

    from reconstruct.model import Window

    when = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    writer = BundleWriter(tmp_path / "b", "Q1")
    writer.add("grafana/annotations.json", [[{"text": "x"}]])
    writer.set_source("grafana", "ok")
    path = writer.finish(Window(when, when, when), when)
    raw = (path / "grafana/annotations.json").read_bytes().replace(b'"x"', b'"x\xfe"')
    (path / "grafana/annotations.json").write_bytes(raw)
    manifest = json.loads((path / "manifest.json").read_text())
    import hashlib

    manifest["files"]["grafana/annotations.json"] = hashlib.sha256(raw).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))
    bundle = Bundle.open(path)
    assert bundle.pages("grafana/annotations.json") == [[{"text": "x\ufffd"}]]
    assert bundle.decode_warnings() == [
        "grafana: 1 byte sequence(s) in grafana/annotations.json were not UTF-8 and were "
        "replaced with U+FFFD"
    ]


def test_a_byte_that_is_not_utf8_in_a_slack_export_costs_one_character(tmp_path: Path) -> None:
    import zipfile

    from reconstruct.collectors.slack.parse import parse
    from tests.test_slack_export import INC, collect, make_zip, ts

    good = make_zip(tmp_path / "good.zip")
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "inc-1234/2024-03-14.json":
                data = data.replace(b"Declaring SEV1", b"Declaring SEV\xff1")
            dst.writestr(info, data)
    _, bundle, _ = collect(tmp_path, bad, slack={"workspace_url": "https://acme.slack.com/"})
    events = {e.key.rsplit(":", 1)[1]: e for e in parse(bundle)}
    assert events[ts(5)].summary.startswith("Declaring SEV\ufffd1")
    # every other message too (one after the window: the day file's, the normalizer counts it)
    assert len(events) == 6
    assert bundle.source("slack") is not None
    warnings = bundle.source("slack").meta["warnings"]  # type: ignore[union-attr]
    assert any(
        w.startswith("1 malformed character(s)") and f"slack/{INC}/" in w for w in warnings
    ), warnings
