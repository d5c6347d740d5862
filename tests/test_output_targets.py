"""Where ``--output`` and ``--into`` write when the name is not a plain file: a symlink is
written through (its target updated, the link kept), a FIFO is written into (not replaced by a
regular file), and ``-`` is stdout."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconstruct.cli import cli
from reconstruct.outfile import write_shared

DRAFT = "# Checkout outage\n\nOur notes.\n\n## Timeline\n\nold rows\n\n## Follow-ups\n\n- x\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def shared_draft(tmp_path: Path, mode: int = 0o664) -> tuple[Path, Path]:
    """``shared/pm.md`` and a relative symlink ``link.md`` to it."""
    (tmp_path / "shared").mkdir()
    real = tmp_path / "shared" / "pm.md"
    real.write_text(DRAFT, encoding="utf-8")
    real.chmod(mode)
    link = tmp_path / "link.md"
    link.symlink_to(Path("shared") / "pm.md")
    return real, link


def test_output_through_a_symlink_writes_its_target(tmp_path: Path) -> None:
    real, link = shared_draft(tmp_path, 0o640)
    code, _, err = run("--incident", "demo", "--timeline-only", "-o", str(link))
    assert code == 0, err
    assert link.is_symlink()
    assert os.readlink(link) == str(Path("shared") / "pm.md")
    assert "| Time (UTC) | Event |" in real.read_text(encoding="utf-8")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["pm.md"]  # no temp left


def test_into_through_a_symlink_updates_the_shared_draft(tmp_path: Path) -> None:
    real, link = shared_draft(tmp_path)
    code, _, err = run("--incident", "demo", "--into", str(link))
    assert code == 0, err
    assert link.is_symlink()
    text = real.read_text(encoding="utf-8")
    assert "Our notes." in text and "- x" in text
    assert "| Time (UTC) | Event |" in text
    assert stat.S_IMODE(real.stat().st_mode) == 0o664


def test_a_chain_of_symlinks_is_followed_to_the_file(tmp_path: Path) -> None:
    real, link = shared_draft(tmp_path)
    outer = tmp_path / "outer.md"
    outer.symlink_to(link)
    write_shared(outer, b"new\n")
    assert outer.is_symlink() and link.is_symlink()
    assert real.read_bytes() == b"new\n"


def test_a_dangling_symlink_creates_the_file_it_names(tmp_path: Path) -> None:
    link = tmp_path / "link.md"
    link.symlink_to("made.md")
    write_shared(link, b"new\n")
    assert link.is_symlink()
    assert (tmp_path / "made.md").read_bytes() == b"new\n"


def test_a_fifo_is_written_into_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = run("--incident", "demo", "--timeline-only", "-o", str(fifo))
    reader.join(timeout=10)  # a replaced FIFO leaves the reader waiting: the asserts fail
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert got, "nothing reached the FIFO's reader"
    assert b"| Time (UTC) | Event |" in got[0]


def test_dash_is_stdout() -> None:
    code, out, err = run("--incident", "demo", "--timeline-only", "-o", "-")
    assert code == 0, err
    assert "| Time (UTC) | Event |" in out
    assert "wrote" not in err
    assert not Path("-").exists()


def test_into_with_dash_output_prints_the_updated_draft(tmp_path: Path) -> None:
    draft = tmp_path / "pm.md"
    draft.write_text(DRAFT, encoding="utf-8")
    code, out, err = run("--incident", "demo", "--into", str(draft), "-o", "-")
    assert code == 0, err
    assert "Our notes." in out and "| Time (UTC) | Event |" in out
    assert draft.read_text(encoding="utf-8") == DRAFT


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout on this system")
@pytest.mark.skipif(
    os.geteuid() == 0, reason="as root a regression would replace the host's /dev/stdout"
)
def test_dev_stdout_on_a_pipe_is_written_not_replaced(tmp_path: Path) -> None:
    """A real process whose stdout is a pipe: ``-o /dev/stdout`` reaches the pipe (click used to
    refuse it as "not readable"; the FIFO test covers the write itself as any user)."""
    args = ["--incident", "demo", "--timeline-only", "-o", "/dev/stdout"]
    proc = subprocess.run(
        [sys.executable, "-m", "reconstruct", *args],
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"| Time (UTC) | Event |" in proc.stdout


def test_a_character_device_is_written_not_replaced(tmp_path: Path) -> None:
    """A copy of ``/dev/null`` made here (needs the right to make device files)."""
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError as exc:
        pytest.skip(f"cannot make a device file here ({exc.strerror})")
    code, _, err = run("--incident", "demo", "--timeline-only", "-o", str(device))
    assert code == 0, err
    assert stat.S_ISCHR(device.lstat().st_mode)
