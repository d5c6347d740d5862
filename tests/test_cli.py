"""The command line end to end on the built-in demo, and every bad input a user can cause."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconstruct.cli import cli
from reconstruct.pipeline import demo_bundle_path
from tests.test_render_fixture import check_snapshot


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "bundle"
    shutil.copytree(demo_bundle_path(), dest)
    return dest


def test_demo_prints_the_draft() -> None:
    code, out, err = run("--incident", "demo")
    assert code == 0, err
    assert out.startswith("# Post-mortem: Checkout returning 5xx for most requests\n")
    assert "| Time (UTC) | Event |" in out
    for heading in ("## Summary", "## Impact", "## Timeline", "## Root cause", "## Action items"):
        assert heading in out
    rows = [
        line for line in out.splitlines() if re.match(r"^\| (\d{4}-\d\d-\d\d )?\d\d:\d\d \|", line)
    ]
    assert len(rows) >= 15
    assert all("](https://" in row for row in rows), "every row links to its evidence"
    assert any("Merged PR #1187" in row and row.startswith("| 2026-03-03") for row in rows)


def test_demo_is_byte_identical_run_to_run() -> None:
    first = run("--incident", "demo", "--format", "json")
    second = run("--incident", "demo", "--format", "json")
    assert first == second
    assert run("--incident", "demo")[1] == run("--incident", "demo")[1]


def test_demo_json_contract() -> None:
    code, out, _ = run("--incident", "demo", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) >= {"incident", "events", "omitted", "warnings", "metrics"}
    assert set(doc["incident"]) >= {
        "id",
        "number",
        "title",
        "severity",
        "services",
        "started_at",
        "resolved_at",
        "url",
    }
    assert doc["incident"]["number"] == 4821
    assert doc["incident"]["started_at"].endswith("Z")
    times = [e["time"] for e in doc["events"]]
    assert times == sorted(times)
    kinds = {
        "change",
        "deploy",
        "alert",
        "page",
        "ack",
        "escalate",
        "declare",
        "update",
        "identify",
        "mitigate",
        "resolve",
        "annotation",
        "message",
    }
    for event in doc["events"]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", event["time"])
        assert event["kind"] in kinds
        assert event["links"], event
        assert event["reason"], event
        assert set(event) >= {"time", "kind", "summary", "actor", "sources", "reason", "links"}
    assert isinstance(doc["metrics"]["time_to_ack_s"], int)
    assert any(len(e["sources"]) > 1 for e in doc["events"]), "cross-tool rows were merged"


@pytest.mark.parametrize("fmt", ["html", "csv"])
def test_other_formats(fmt: str) -> None:
    code, out, _ = run("--incident", "demo", "--format", fmt)
    assert code == 0
    assert ("<table" in out) if fmt == "html" else out.startswith("time,kind,summary")


def test_output_file_and_into(tmp_path: Path) -> None:
    draft = tmp_path / "pm.md"
    code, out, err = run("--incident", "demo", "--output", str(draft))
    assert code == 0
    assert out == ""
    assert f"wrote {draft}" in err
    edited = draft.read_text().replace("## Summary\n", "## Summary\n\nWritten by a person.\n")
    draft.write_text(edited)
    code, _, _ = run("--incident", "demo", "--into", str(draft), "--why")
    assert code == 0
    refreshed = draft.read_text()
    assert "Written by a person." in refreshed
    assert "| Time (UTC) | Event | Why |" in refreshed


def test_bundle_flag_renders_same_as_demo(demo_copy: Path) -> None:
    code, out, err = run("--incident", "Q3CKSTMPD1", "--bundle", str(demo_copy))
    assert code == 0, err
    assert out == run("--incident", "demo")[1]
    assert run("--incident", "4821", "--bundle", str(demo_copy))[1] == out


def test_bundle_of_another_incident(demo_copy: Path) -> None:
    code, _, err = run("--incident", "P0THER1", "--bundle", str(demo_copy))
    assert code == 2
    assert "holds incident Q3CKSTMPD1" in err
    assert len(err.strip().splitlines()) == 1


def test_altered_bundle_names_the_file(demo_copy: Path) -> None:
    target = demo_copy / "pagerduty" / "log_entries.json"
    target.write_text(target.read_text().replace("Priya", "Pryia"))
    code, out, err = run("--incident", "demo", "--bundle", str(demo_copy))
    assert code == 1
    assert out == ""
    assert err.strip() == (
        f"reconstruct: error: {target}: sha256 does not match the manifest; "
        "the file was altered or corrupted"
    )


def test_missing_bundle(tmp_path: Path) -> None:
    code, _, err = run("--incident", "demo", "--bundle", str(tmp_path / "nope"))
    assert code == 1
    assert "bundle directory not found" in err


def test_failed_source_still_renders_with_exit_3(demo_copy: Path) -> None:
    manifest = json.loads((demo_copy / "manifest.json").read_text())
    manifest["sources"]["github"] = {"status": "failed", "error": "GITHUB_TOKEN was rejected (401)"}
    (demo_copy / "manifest.json").write_text(json.dumps(manifest))
    code, out, err = run("--incident", "demo", "--bundle", str(demo_copy))
    assert code == 3
    assert "| Time (UTC) | Event |" in out
    assert "github: GITHUB_TOKEN was rejected (401)" in out
    assert "warning: github: GITHUB_TOKEN was rejected (401)" in err


def test_bad_config_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "r.toml"
    config.write_text('[window]\nbefore = "an hour"\n')
    code, out, err = run("--incident", "demo", "--config", str(config))
    assert code == 2
    assert out == ""
    assert err.strip() == (
        f"reconstruct: error: {config}: [window] before: invalid duration 'an hour' "
        "(use a number and a unit, or several from largest to smallest: 30s, 5m, 1h30m, 14d)"
    )


def test_local_config_file_is_read(tmp_path: Path) -> None:
    Path("reconstruct.toml").write_text("[nope]\n")
    code, _, err = run("--incident", "demo")
    assert code == 2
    assert "reconstruct.toml: [nope]: unknown table" in err


def test_missing_incident_is_usage_error() -> None:
    code, _, err = run()
    assert code == 2
    assert "--incident" in err


def test_live_run_without_token_says_what_to_set() -> None:
    code, out, err = run("--incident", "P1ABC23")
    assert code == 2
    assert out == ""
    assert "PAGERDUTY_TOKEN is missing" in err
    assert len(err.strip().splitlines()) == 1


def test_help_snapshot() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=100)
    assert result.exit_code == 0
    check_snapshot("help.txt", result.stdout)


def test_console_script_runs_the_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconstruct", "--incident", "demo", "--timeline-only"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("| Time (UTC) | Event |")
