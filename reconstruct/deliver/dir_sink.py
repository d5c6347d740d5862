"""The ``dir`` sink (``[deliver] dir = "PATH"``): ``YYYY-MM-DD-<slug>.md`` per incident, and only
that. The evidence bundle holds raw evidence (every secret people pasted), and PATH is a folder the
team shares, so the bundle is never copied there: it stays where it was collected (``watch`` keeps
it owner-only beside its state file, ``<state>.bundles/<incident>``; ``Draft.bundle_path``).
The draft follows the umask (``0644`` under ``022``: the team reads it) and a new version keeps the
mode of the file it replaces; the ``.reconstruct/`` records stay owner-only.

A file a person has edited since we wrote it is never overwritten. ``PATH/.reconstruct/<name>.json``
remembers the incident and the sha256 of every version we wrote to ``<name>``; the sha is recorded
*before* the file is written, so a crash in between leaves a file we still recognise as ours.
Delivering the same draft again finds it already there and writes nothing (idempotent). When
``<name>`` was edited (or holds another incident), the draft goes beside it as ``<stem>-2.md``,
``-3.md``... and the returned location says why.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from reconstruct.config import Config
from reconstruct.deliver.base import Draft
from reconstruct.errors import DeliveryError
from reconstruct.outfile import write_shared

SIDECAR_DIR = ".reconstruct"
MAX_SIBLINGS = 100


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DirSink:
    name = "dir"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _sidecar(self, name: str) -> Path:
        return self.root / SIDECAR_DIR / f"{name}.json"

    def _record(self, name: str) -> dict[str, Any] | None:
        try:
            doc = json.loads(self._sidecar(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def _remember(self, name: str, incident: str, digest: str) -> None:
        record = self._record(name)
        shas: list[str] = []
        if record is not None and record.get("incident") == incident:
            shas = [s for s in record.get("sha256", []) if isinstance(s, str)]
        if digest not in shas:
            shas.append(digest)
        path = self._sidecar(name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        doc = {"incident": incident, "sha256": shas}
        _write_atomic(path, json.dumps(doc, indent=1).encode())

    def deliver(self, draft: Draft) -> str:
        try:
            return self._deliver(draft)
        except OSError as exc:
            raise DeliveryError(
                f"dir: cannot write into {self.root} ({exc.strerror or exc}); "
                "check [deliver] dir and its permissions"
            ) from exc

    def _deliver(self, draft: Draft) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        data = draft.markdown.encode("utf-8")
        digest = _sha(data)
        stem = Path(draft.filename).stem
        passed: list[str] = []
        for n in range(1, MAX_SIBLINGS + 1):
            name = draft.filename if n == 1 else f"{stem}-{n}.md"
            target = self.root / name
            record = self._record(name)
            ours = record is not None and record.get("incident") == draft.incident.id
            if target.exists():
                current = _sha(target.read_bytes())
                known = record.get("sha256", []) if ours and record is not None else []
                if current not in known:
                    why = "edited since it was written" if ours else "holds another file"
                    passed.append(f"{name} {why}")
                    continue
                if current == digest:
                    return self._where(target, passed, "already delivered")
            elif record is not None and not ours:
                passed.append(f"{name} belongs to incident {record.get('incident')}")
                continue
            self._remember(name, draft.incident.id, digest)
            write_shared(target, data, fsync=True)  # the umask's mode, like a file a person saves
            return self._where(target, passed, None)
        raise DeliveryError(
            f"dir: {MAX_SIBLINGS} files named {stem}*.md already exist in {self.root}; "
            "move some away"
        )

    @staticmethod
    def _where(target: Path, passed: list[str], note: str | None) -> str:
        notes = [f"{p}, left as is" for p in passed]
        if note:
            notes.append(note)
        return f"{target} ({'; '.join(notes)})" if notes else str(target)


def make(config: Config) -> DirSink | None:
    if config.deliver.dir is None:
        return None
    return DirSink(config.deliver.dir.expanduser())
