"""Option handling: ``--version``, ``--timeout`` durations, ``--bundle`` without ``--incident``,
``--output`` naming a directory or an unwritable place."""

from __future__ import annotations

import json
import shutil
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reconstruct import __version__
from reconstruct.cli import cli, timeout_seconds
from reconstruct.pipeline import demo_bundle_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "bundle"
    shutil.copytree(demo_bundle_path(), dest)
    return dest


def test_version_is_the_distribution_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out == f"reconstruct, version {__version__}\n"
    assert version("incident-reconstruct") == __version__


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("600", 600.0), ("2.5", 2.5), ("90s", 90.0), ("10m", 600.0), ("1h30m", 5400.0)],
)
def test_timeout_takes_seconds_or_a_duration(text: str, seconds: float) -> None:
    param = next(p for p in cli.params if p.name == "timeout")
    assert timeout_seconds(click.Context(cli), param, text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "invalid duration 'soon'"),
        ("30m1h", "largest first"),
        ("0", "use 1s to 3650d"),
        ("0s", "use 1s to 3650d"),
        ("nan", "use 1s to 3650d"),
        ("3651d", "is too long (use 1s to 3650d)"),
    ],
)
def test_bad_timeout_is_a_usage_error_naming_the_option(text: str, message: str) -> None:
    code, out, err = run("--incident", "demo", "--timeout", text)
    assert code == 2
    assert out == ""
    assert "Invalid value for '--timeout'" in err
    assert message in err


def test_compound_timeout_runs() -> None:
    code, out, err = run("--incident", "demo", "--timeout", "1h30m", "--timeline-only")
    assert code == 0, err
    assert "| Time (UTC) | Event |" in out


def test_bundle_without_incident_renders_that_bundles_incident(demo_copy: Path) -> None:
    code, out, err = run("--bundle", str(demo_copy))
    assert code == 0, err
    assert out == run("--incident", "demo")[1]


def test_bundle_without_incident_names_a_folder_that_is_not_a_bundle(tmp_path: Path) -> None:
    code, out, err = run("--bundle", str(tmp_path))
    assert code == 1
    assert out == ""
    assert err.strip() == (
        f"reconstruct: error: {tmp_path / 'manifest.json'}: missing; "
        "this folder is not an evidence bundle"
    )


def test_bundle_without_incident_and_a_corrupt_manifest(demo_copy: Path) -> None:
    (demo_copy / "manifest.json").write_text("{not json")
    code, _, err = run("--bundle", str(demo_copy))
    assert code == 1
    assert "corrupt manifest" in err
    assert len(err.strip().splitlines()) == 1


def test_bundle_of_a_numbered_incident_without_incident(demo_copy: Path) -> None:
    manifest = json.loads((demo_copy / "manifest.json").read_text())
    assert manifest["incident"] == "Q3CKSTMPD1"
    code, out, _ = run("--bundle", str(demo_copy), "--format", "json")
    assert code == 0
    assert json.loads(out)["incident"]["id"] == "Q3CKSTMPD1"


def test_neither_incident_nor_bundle_is_a_usage_error() -> None:
    code, _, err = run("--format", "json")
    assert code == 2
    assert "missing --incident ID" in err


def test_output_naming_a_directory_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "drafts"
    folder.mkdir()
    code, out, err = run("--incident", "demo", "--output", str(folder))
    assert code == 2
    assert out == ""
    assert err.strip() == (
        f"reconstruct: error: --output {folder}: is a directory; give a file name, "
        f"e.g. {folder / 'postmortem.md'}"
    )
    assert list(folder.iterdir()) == [], "nothing written"


def test_output_in_an_unwritable_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run("--incident", "demo", "--output", str(blocker / "pm.md"))
    assert code == 1
    assert err.startswith(f"reconstruct: error: {blocker / 'pm.md'}: cannot write the draft (")
    assert len(err.strip().splitlines()) == 1
