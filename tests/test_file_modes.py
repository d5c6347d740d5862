"""Who can read what the tool writes. Drafts (``--output``, ``--into``, the ``dir`` sink) are
files people share: a new one follows the umask, an existing one keeps its mode. Evidence bundles
and the watch state hold raw evidence: owner-only whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import reconstruct.collectors.pagerduty.parse as pd
from reconstruct.bundle import BundleWriter
from reconstruct.cli import cli
from reconstruct.deliver.base import Draft
from reconstruct.deliver.dir_sink import SIDECAR_DIR, DirSink
from reconstruct.model import Window
from reconstruct.outfile import write_shared
from reconstruct.pipeline import demo_bundle_path
from reconstruct.watch.state import State
from tests.fakes.demo_world import demo_bundle


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Call ``umask(0o077)`` to set the process umask for the test; restored afterwards."""
    previous = os.umask(0o022)
    os.umask(previous)
    try:
        yield os.umask
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(*args: str) -> int:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_output_follows_the_umask(
    tmp_path: Path, umask: Callable[[int], int], mask: int, expected: int
) -> None:
    umask(mask)
    target = tmp_path / "drafts" / "pm.md"
    assert run("--incident", "demo", "--output", str(target)) == 0
    assert mode(target) == expected
    assert [p.name for p in target.parent.iterdir()] == ["pm.md"], "no temp file left"


def test_output_over_an_existing_file_keeps_its_mode(
    tmp_path: Path, umask: Callable[[int], int]
) -> None:
    umask(0o022)
    target = tmp_path / "pm.md"
    target.write_text("old\n")
    target.chmod(0o640)
    assert run("--incident", "demo", "--output", str(target)) == 0
    assert mode(target) == 0o640
    assert target.read_text().startswith("# Post-mortem:")


@pytest.mark.parametrize("kept", [0o664, 0o600, 0o640])
def test_into_keeps_the_drafts_mode(tmp_path: Path, umask: Callable[[int], int], kept: int) -> None:
    umask(0o022)
    draft = tmp_path / "pm.md"
    draft.write_text("# PM\n\nWritten by a person.\n\n## Timeline\n\n## Root cause\n")
    draft.chmod(kept)
    assert run("--incident", "demo", "--into", str(draft)) == 0
    assert mode(draft) == kept
    text = draft.read_text()
    assert "Written by a person." in text and "| Time (UTC) | Event |" in text


def test_dir_sink_draft_is_team_readable_and_its_records_owner_only(
    tmp_path: Path, umask: Callable[[int], int]
) -> None:
    umask(0o022)
    root = tmp_path / "out"
    sink = DirSink(root)
    incident = pd.parse_incident(demo_bundle())
    target = Path(sink.deliver(Draft(incident, "# Draft one\n", demo_bundle_path())))
    assert mode(target) == 0o644
    assert sorted(p.name for p in root.iterdir()) == [SIDECAR_DIR, target.name], "no evidence"
    sidecars = list((root / SIDECAR_DIR).iterdir())
    assert sidecars and all(mode(p) == 0o600 for p in sidecars)
    assert mode(root / SIDECAR_DIR) == 0o700


def test_dir_sink_new_version_keeps_the_files_mode(
    tmp_path: Path, umask: Callable[[int], int]
) -> None:
    umask(0o022)
    sink = DirSink(tmp_path)
    incident = pd.parse_incident(demo_bundle())
    target = Path(sink.deliver(Draft(incident, "# Draft one\n", demo_bundle_path())))
    target.chmod(0o664)
    again = sink.deliver(Draft(incident, "# Draft two\n", demo_bundle_path()))
    assert again == str(target)
    assert target.read_text() == "# Draft two\n"
    assert mode(target) == 0o664


def test_bundles_stay_owner_only_under_a_permissive_umask(
    tmp_path: Path, umask: Callable[[int], int]
) -> None:
    umask(0o000)
    t = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    with BundleWriter(tmp_path / "b", "P1") as writer:
        writer.add("slack/C1/conversations.history.json", [{"ok": True, "messages": []}])
        writer.set_source("slack", "ok")
        dest = writer.finish(Window(start=t, end=t, leadup_start=t), t)
    assert mode(dest) == 0o700
    inside = list(dest.rglob("*"))
    assert all(mode(p) == (0o700 if p.is_dir() else 0o600) for p in inside)


def test_state_file_stays_owner_only_under_the_usual_umask(
    tmp_path: Path, umask: Callable[[int], int]
) -> None:
    umask(0o022)
    path = tmp_path / "state" / "watch.db"
    state = State(path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    holder = sqlite3.connect(path)  # keeps the -wal and -shm files while the state writes
    try:
        holder.execute("SELECT count(*) FROM incidents").fetchone()
        when = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
        state.enqueue("Q1", 1, "title", when, timedelta(minutes=10), when)
        files = sorted(p.name for p in path.parent.iterdir())
        assert files == ["watch.db", "watch.db-shm", "watch.db-wal"]
        assert all(mode(path.parent / name) == 0o600 for name in files)
    finally:
        holder.close()


def test_write_shared_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        write_shared(tmp_path, b"x")
