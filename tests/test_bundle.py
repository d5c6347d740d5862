"""The evidence bundle: written atomically, verified on read, one clear line per problem."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconstruct.bundle import Bundle, BundleWriter, iter_records
from reconstruct.errors import BundleError
from reconstruct.model import Window

T0 = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=1), T0 - timedelta(days=15))


def write(dest: Path, failed: bool = False) -> Path:
    with BundleWriter(dest, "PABC123") as w:
        w.add("pagerduty/incident.json", [{"incident": {"id": "PABC123"}}])
        w.add("slack/C1/conversations.history.json", [{"ok": True, "messages": [{"ts": "1"}]}])
        w.set_source("pagerduty", "ok")
        w.set_source("slack", "failed" if failed else "ok", error="boom" if failed else None)
        return w.finish(WINDOW, T0)


def test_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path / "b")
    bundle = Bundle.open(path)
    assert bundle.manifest.incident == "PABC123"
    assert bundle.manifest.window == WINDOW
    assert bundle.manifest.complete is True
    assert bundle.files("slack/") == ["slack/C1/conversations.history.json"]
    pages = bundle.pages("slack/C1/conversations.history.json")
    assert list(iter_records(pages, "messages")) == [{"ts": "1"}]
    assert bundle.pages("grafana/annotations.json") == []


def test_failed_source_marks_incomplete(tmp_path: Path) -> None:
    bundle = Bundle.open(write(tmp_path / "b", failed=True))
    assert bundle.manifest.complete is False
    assert bundle.source("slack") is not None
    assert bundle.source("slack").error == "boom"  # type: ignore[union-attr]


def test_same_records_same_bytes(tmp_path: Path) -> None:
    a, b = write(tmp_path / "a"), write(tmp_path / "b")
    for name in ["manifest.json", "pagerduty/incident.json"]:
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_owner_only_permissions(tmp_path: Path) -> None:
    path = write(tmp_path / "b")
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE((path / "manifest.json").stat().st_mode) == 0o600


def test_altered_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "b")
    target = path / "slack/C1/conversations.history.json"
    target.write_text(target.read_text().replace('"1"', '"2"'))
    with pytest.raises(BundleError, match=r"conversations\.history\.json: sha256 does not match"):
        Bundle.open(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "b")
    (path / "pagerduty/incident.json").unlink()
    with pytest.raises(BundleError, match=r"incident\.json: missing from the bundle"):
        Bundle.open(path)


@pytest.mark.parametrize("content", ["{not json", "[]", '{"format": 1}'])
def test_corrupt_manifest(tmp_path: Path, content: str) -> None:
    path = write(tmp_path / "b")
    (path / "manifest.json").write_text(content)
    with pytest.raises(BundleError, match=r"manifest\.json: corrupt manifest"):
        Bundle.open(path)


def test_newer_format_says_upgrade(tmp_path: Path) -> None:
    path = write(tmp_path / "b")
    manifest = json.loads((path / "manifest.json").read_text())
    manifest.update(format=99, tool_version="9.0.0")
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="upgrade reconstruct"):
        Bundle.open(path)


def test_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="bundle directory not found"):
        Bundle.open(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundleError, match="not an evidence bundle"):
        Bundle.open(tmp_path / "empty")


def test_interrupted_write_leaves_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "out" / "b"
    with pytest.raises(KeyboardInterrupt), BundleWriter(dest, "P1") as w:
        w.add("pagerduty/incident.json", [{}])
        raise KeyboardInterrupt
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_rewrite_replaces_old_bundle_whole(tmp_path: Path) -> None:
    dest = write(tmp_path / "out" / "b")
    with BundleWriter(dest, "PABC123") as w:
        w.add("pagerduty/incident.json", [{"incident": {"id": "PABC123", "v": 2}}])
        w.set_source("pagerduty", "ok")
        w.finish(WINDOW, T0)
    bundle = Bundle.open(dest)
    assert bundle.files() == ["pagerduty/incident.json"]
    assert sorted(p.name for p in dest.parent.iterdir()) == ["b"]


@pytest.mark.parametrize("bad", ["../x.json", "/etc/passwd", "manifest.json"])
def test_paths_stay_inside(tmp_path: Path, bad: str) -> None:
    with BundleWriter(tmp_path / "b", "P1") as w, pytest.raises(BundleError):
        w.add(bad, [])


# -- reading a large file page by page (issue #13) ---------------------------------------------
HISTORY = "slack/C1/conversations.history.json"


def _with_file(path: Path, rel: str, data: bytes) -> Path:
    """The bundle with ``rel`` holding ``data`` (not written by this tool), its sha256 in the
    manifest."""
    (path / rel).write_bytes(data)
    manifest = json.loads((path / "manifest.json").read_bytes())
    manifest["files"][rel] = hashlib.sha256(data).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


def test_a_file_streamed_page_by_page_is_read_again_from_disk_and_checked(tmp_path: Path) -> None:
    pages = [{"ok": True, "messages": [{"ts": f"{n}.000100", "text": "ü"}]} for n in range(3)]
    path = _with_file(write(tmp_path / "b"), HISTORY, json.dumps(pages).encode())
    bundle = Bundle.open(path)
    assert bundle.holds(HISTORY, b'"ts"') and not bundle.holds(HISTORY, b'"user_profile"')
    assert list(bundle.stream(HISTORY)) == pages
    assert list(bundle.stream(HISTORY)) == pages, "released, then read again"
    (path / HISTORY).write_bytes(json.dumps(pages[:1]).encode())
    with pytest.raises(BundleError, match=r"conversations\.history\.json: sha256 does not match"):
        list(bundle.stream(HISTORY))


@pytest.mark.parametrize(
    "page",
    [
        b'{"messages": [{"text": "cut inside an emoji \\ud83d", "ts": "1.000100"}]}',
        b'{"n": NaN, "big": 1e400, "int": 123456789012345678901234567890}',
        b'{"text": "caf\xe9 is not UTF-8"}',
    ],
)
def test_pages_msgspec_refuses_read_as_the_standard_library_reads_them(
    tmp_path: Path, page: bytes
) -> None:
    data = b'[\n {"ok": true},\n ' + page + b"\n]\n"
    bundle = Bundle.open(_with_file(write(tmp_path / "b"), HISTORY, data))
    try:
        expected = json.loads(data)
    except UnicodeDecodeError:
        expected = json.loads(data.decode("utf-8", errors="replace"))
    assert json.dumps(list(bundle.stream(HISTORY))) == json.dumps(expected)  # NaN != NaN
    assert bundle.replaced == ({HISTORY: 1} if b"\xe9" in page else {})


@pytest.mark.parametrize(("data", "message"), [(b"[{]", "not valid JSON"), (b"{}", "expected a")])
def test_a_file_that_is_not_an_array_of_pages_is_named(
    tmp_path: Path, data: bytes, message: str
) -> None:
    bundle = Bundle.open(_with_file(write(tmp_path / "b"), HISTORY, data))
    with pytest.raises(BundleError, match=rf"conversations\.history\.json: {message}"):
        list(bundle.stream(HISTORY))
