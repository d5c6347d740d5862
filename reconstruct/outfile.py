"""Write a file people share (a draft from ``--output``, ``--into`` or the ``dir`` sink).

Atomic: the bytes go to a temporary file beside the target, which is then renamed over it, so a
reader (or an interrupted run) never sees half a draft. Permissions:

- a new file gets ``0666`` less the user's umask, like any file an editor or ``cp`` creates
  (``0644``, readable by the team, under the usual umask ``022``; ``0600`` under ``077``);
- a file that already exists keeps its mode (``--into`` a draft the team shares stays shared, one
  a person made private stays private).

What the target is decides how it is written:

- a symlink (or a chain of them) to a regular file: the file it names is written, atomically
  beside it, keeping its mode; the link stays a link (a draft shared through a link is updated);
- something that is not a regular file (a FIFO, a character device such as ``/dev/stdout`` or a
  terminal, a socket): opened and written in place, never replaced by a regular file.

Evidence bundles and the watch state are NOT written through here: they hold raw evidence and stay
owner-only (``bundle.py``, ``watch/state.py``).
"""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

NEW_FILE_MODE = 0o666
"""Asked of the kernel for a new file; the umask takes its bits away."""


def write_shared(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` atomically, with the permissions described above.

    Raises ``OSError`` (``IsADirectoryError`` when ``path`` is a directory, ``PermissionError``
    ...); the caller turns it into one line naming the file."""
    try:
        st: os.stat_result | None = path.stat()  # follows symlinks: the target's kind and mode
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", str(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_in_place(path, data)
        return
    if path.is_symlink():
        path = Path(os.path.realpath(path))  # a dangling link creates the file it names
    keep = stat.S_IMODE(st.st_mode) if st is not None else None
    try:
        tmp, fd = _create_beside(path)
    except OSError as exc:  # e.g. /proc/version: the file is there, its folder takes no new file
        raise OSError(
            exc.errno, f"no new file can be made in {path.parent} ({exc.strerror})"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            if keep is not None:
                os.fchmod(fh.fileno(), keep)
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_in_place(path: Path, data: bytes) -> None:
    """Write into a FIFO or device as it is (opening a FIFO waits for its reader)."""
    with open(os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)), "wb") as fh:
        fh.write(data)


def _create_beside(path: Path) -> tuple[Path, int]:
    """A new, empty temporary file in ``path``'s folder, created ``0666`` less the umask (unlike
    ``tempfile.mkstemp``, which always makes ``0600``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            return tmp, os.open(tmp, flags, NEW_FILE_MODE)
        except FileExistsError:
            continue
    raise FileExistsError(17, "no free temporary name", str(path.parent))  # pragma: no cover
