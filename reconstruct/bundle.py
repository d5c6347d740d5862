"""The evidence bundle: the raw records a run collected, exactly as each API returned them.

Layout (every data file is a JSON array of response bodies, one per request, in request order)::

    manifest.json                               what, when, which sources, sha256 of every file
    pagerduty/incident.json                     [{"incident": {...}}]
    pagerduty/log_entries.json                  [{"log_entries": [...], "more": true, ...}, ...]
    pagerduty/alerts.json, pagerduty/notes.json
    pagerduty/users.json                        [{"user": {...}}, ...] (GET /users/{id}, emails)
    slack/auth.test.json                        [{"ok": true, "url": "https://acme.slack.com/"}]
    slack/users.list.json                       pages of users.list
    slack/users.info.json                       users.info answers (users resolved one by one)
    slack/<CHANNEL_ID>/conversations.info.json
    slack/<CHANNEL_ID>/conversations.history.json
    slack/<CHANNEL_ID>/replies/<thread_ts>.json pages of conversations.replies for one thread
    github/<owner>/<repo>/repo.json             [GET /repos/{owner}/{repo}]
    github/<owner>/<repo>/deployments.json      pages of GET .../deployments
    github/<owner>/<repo>/statuses/<id>.json    pages of GET .../deployments/{id}/statuses
    github/<owner>/<repo>/merged_prs.json       pages of GET /search/issues (is:pr is:merged)
    github/<owner>/<repo>/pulls/<n>.json        [GET .../pulls/{n}] where a PR was fetched whole
    github/<owner>/<repo>/commits.json          pages of GET .../commits (login <-> email pairs)
    grafana/annotations.json                    pages of GET /api/annotations

Everything after collection reads a bundle, so a live run and ``--bundle DIR`` share one path.
A bundle is written to a temporary folder beside its destination and renamed into place when
complete, so an interrupted run never leaves a half-written bundle; files are owner-only (0600)
because raw evidence may hold secrets that rendering redacts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec

from reconstruct import __version__
from reconstruct.errors import BundleError
from reconstruct.model import Window
from reconstruct.timeutil import TimeFormatError, iso_z, parse_iso

FORMAT = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class SourceStatus:
    status: str
    """``ok``, ``failed`` or ``skipped`` (not configured / no token)."""
    error: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Manifest:
    incident: str
    window: Window
    collected_at: datetime
    sources: Mapping[str, SourceStatus]
    complete: bool
    tool_version: str
    files: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "tool": "reconstruct",
            "tool_version": self.tool_version,
            "incident": self.incident,
            "window": {
                "start": iso_z(self.window.start),
                "end": iso_z(self.window.end),
                "leadup_start": iso_z(self.window.leadup_start),
                "ongoing": self.window.ongoing,
            },
            "collected_at": iso_z(self.collected_at),
            "complete": self.complete,
            "sources": {
                name: _status_json(status) for name, status in sorted(self.sources.items())
            },
            "files": dict(sorted(self.files.items())),
        }


def _status_json(status: SourceStatus) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status.status}
    if status.error:
        out["error"] = status.error
    if status.meta:
        out["meta"] = dict(status.meta)
    return out


def _check_relpath(relpath: str) -> str:
    pure = PurePosixPath(relpath)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or relpath == MANIFEST:
        raise BundleError(f"invalid bundle path {relpath!r}")
    return pure.as_posix()


def dumps(value: Any) -> bytes:
    """The one JSON encoding used in bundles: stable bytes for the same records. A malformed
    character (``encode``) becomes U+FFFD."""
    return encode(value)[0]


REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def encode(value: Any) -> tuple[bytes, int, int]:
    """``(bytes, characters replaced, records touched)``: ``value`` as bundle JSON. A lone
    surrogate (JSON's ``"\\ud83d"`` without its pair, as Slack sends for a message cut inside an
    emoji) or a byte that was not UTF-8 (``loads_lenient`` keeps it as a surrogate) cannot be
    written as UTF-8: each becomes U+FFFD and is counted, with the objects (records) it was in,
    instead of failing the file and with it the source."""
    text = json.dumps(value, ensure_ascii=False, indent=1) + "\n"
    try:
        return text.encode("utf-8"), 0, 0
    except UnicodeEncodeError:
        pass
    counts = [0, 0]
    clean = _replace_surrogates(value, counts)
    data = (json.dumps(clean, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return data, counts[0], max(counts[1], 1)


def _replace_surrogates(
    value: Any, counts: list[int], top: bool = True, in_record: bool = False
) -> Any:
    """``value`` with every lone surrogate in its strings (keys too) replaced; ``counts`` gets
    [characters, records that held one]. A record is an object in a list inside a page (a Slack
    message, a log entry, an annotation); objects inside a record are part of it."""
    if isinstance(value, str):
        found = len(_SURROGATE.findall(value))
        counts[0] += found
        return _SURROGATE.sub(REPLACEMENT, value) if found else value
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            is_record = not top and not in_record and isinstance(item, dict)
            before = counts[0]
            out.append(_replace_surrogates(item, counts, False, in_record or is_record))
            if is_record and counts[0] > before:
                counts[1] += 1
        return out
    if isinstance(value, dict):
        return {
            (_replace_surrogates(k, counts) if isinstance(k, str) else k): _replace_surrogates(
                v, counts, False, in_record
            )
            for k, v in value.items()
        }
    return value


def loads_lenient(data: bytes) -> Any:
    """JSON from an API answer whose bytes may not all be UTF-8: each bad byte is kept as a lone
    surrogate (``surrogateescape``), which ``encode`` replaces and counts when the page is saved,
    so one bad byte costs one character, not the page. Raises ValueError for text that is not
    JSON."""
    return json.loads(data.decode("utf-8", errors="surrogateescape"))


class Bundle:
    """A verified, read-only evidence bundle. ``Bundle.open`` checks every file's sha256."""

    def __init__(self, root: Path, manifest: Manifest, blobs: dict[str, bytes]) -> None:
        self.root = root
        self.manifest = manifest
        self._blobs = blobs
        self._parsed: dict[str, list[Any]] = {}
        self._released: set[str] = set()
        self.replaced: dict[str, int] = {}
        """Files read with bytes that were not UTF-8: how many were replaced."""

    @classmethod
    def open(cls, root: Path) -> Bundle:
        manifest_path = root / MANIFEST
        if not root.is_dir():
            raise BundleError(f"{root}: bundle directory not found (check the --bundle path)")
        if not manifest_path.is_file():
            raise BundleError(f"{manifest_path}: missing; this folder is not an evidence bundle")
        try:
            raw = json.loads(manifest_path.read_bytes())
        except (ValueError, OSError) as exc:
            raise BundleError(f"{manifest_path}: corrupt manifest ({exc}); re-collect") from exc
        manifest = _read_manifest(raw, manifest_path)
        blobs: dict[str, bytes] = {}
        for relpath, digest in manifest.files.items():
            path = root / _check_relpath(relpath)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise BundleError(f"{path}: missing from the bundle; re-collect it") from exc
            if hashlib.sha256(data).hexdigest() != digest:
                raise BundleError(
                    f"{path}: sha256 does not match the manifest; the file was altered or corrupted"
                )
            blobs[relpath] = data
        return cls(root, manifest, blobs)

    def has(self, relpath: str) -> bool:
        return relpath in self._blobs

    def files(self, prefix: str = "") -> list[str]:
        """Relative paths under ``prefix`` (a folder like ``slack/``), sorted."""
        return sorted(p for p in self._blobs if p.startswith(prefix))

    def holds(self, relpath: str, text: bytes) -> bool:
        """Whether the file's raw bytes contain ``text`` (a look before decoding it; True once
        the file is decoded and kept)."""
        if relpath in self._parsed:
            return True
        data = self._data(relpath)
        return data is not None and text in data

    def pages(self, relpath: str) -> list[Any]:
        """The response bodies stored in ``relpath``; an absent file is an empty list. Kept once
        decoded (small files, read by several parsers)."""
        if relpath in self._parsed:
            return self._parsed[relpath]
        value = list(self.stream(relpath))
        self._parsed[relpath] = value
        return value

    def stream(self, relpath: str) -> Iterator[Any]:
        """The response bodies of ``relpath`` one at a time, each decoded when it is reached and
        not kept (a large channel's history: holding every page at once would double the run's
        memory). The file's raw bytes are released when the last body has been read; reading
        the file again reads it from disk and checks its sha256 again.

        Decoded with msgspec (``msgspec.json``: the file split into its bodies without decoding
        them, then each body), the same values as ``json.loads``; a file msgspec refuses (a lone
        surrogate escape, ``NaN``, a number out of range, bytes that are not UTF-8) is read with
        the standard library instead, exactly as before. Raises ``BundleError`` for a file that
        is not a JSON array."""
        if relpath in self._parsed:
            yield from self._parsed[relpath]
            return
        data = self._data(relpath)
        if data is None:
            return
        try:
            bodies: list[Any] = _SPLIT.decode(data)
        except msgspec.DecodeError:
            bodies = self._stdlib(relpath, data, whole=True)
        for body in bodies:
            if type(body) is msgspec.Raw:
                try:
                    body = _ANY.decode(body)
                except msgspec.DecodeError:
                    body = self._stdlib(relpath, bytes(body))
            yield body
        del bodies
        self._blobs[relpath] = b""  # verified and decoded: the raw bytes are not needed again
        self._released.add(relpath)

    def _data(self, relpath: str) -> bytes | None:
        """The file's verified bytes (read again, and checked again, once released)."""
        if relpath not in self._released:
            return self._blobs.get(relpath)
        path = self.root / relpath
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BundleError(f"{path}: missing from the bundle; re-collect it") from exc
        if hashlib.sha256(data).hexdigest() != self.manifest.files[relpath]:
            raise BundleError(
                f"{path}: sha256 does not match the manifest; the file was altered or corrupted"
            )
        return data

    def _stdlib(self, relpath: str, data: bytes, whole: bool = False) -> Any:
        """``data`` (the ``whole`` file, which must be an array, or one body of it) read by
        ``json.loads``, lenient about bytes that are not UTF-8."""
        try:
            value = json.loads(data)
        except UnicodeDecodeError:
            value = self._lenient(relpath, data)
        except ValueError as exc:
            raise BundleError(f"{self.root / relpath}: not valid JSON ({exc})") from exc
        if whole and not isinstance(value, list):
            raise BundleError(f"{self.root / relpath}: expected a JSON array of responses")
        return value

    def _lenient(self, relpath: str, data: bytes) -> Any:
        """A file with bytes that are not UTF-8 (not written by this tool): each becomes U+FFFD
        and is counted in ``replaced``."""
        text = data.decode("utf-8", errors="replace")
        replaced = text.count(REPLACEMENT) - data.count(REPLACEMENT.encode())
        self.replaced[relpath] = self.replaced.get(relpath, 0) + replaced
        try:
            return json.loads(text)
        except ValueError as exc:
            raise BundleError(f"{self.root / relpath}: not valid JSON ({exc})") from exc

    def decode_warnings(self) -> list[str]:
        """One line per file read so far whose malformed bytes were replaced."""
        return [
            f"{rel.split('/', 1)[0]}: {n} byte sequence(s) in {rel} were not UTF-8 and were "
            "replaced with U+FFFD"
            for rel, n in sorted(self.replaced.items())
        ]

    def source(self, name: str) -> SourceStatus | None:
        return self.manifest.sources.get(name)


_SPLIT = msgspec.json.Decoder(list[msgspec.Raw])
"""A bundle file -> its response bodies, each still undecoded (views of the file's bytes)."""
_ANY = msgspec.json.Decoder()


def _read_manifest(raw: Any, path: Path) -> Manifest:
    if not isinstance(raw, dict):
        raise BundleError(f"{path}: corrupt manifest (not an object); re-collect")
    fmt = raw.get("format")
    if isinstance(fmt, int) and fmt > FORMAT:
        raise BundleError(
            f"{path}: bundle format {fmt} was written by reconstruct "
            f"{raw.get('tool_version', '?')}; upgrade reconstruct (this is {__version__})"
        )
    try:
        window = raw["window"]
        files = raw["files"]
        if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()
        ):
            raise TypeError("files must map paths to sha256 strings")
        sources = {
            str(name): SourceStatus(
                status=str(s["status"]), error=s.get("error"), meta=s.get("meta") or {}
            )
            for name, s in raw["sources"].items()
        }
        return Manifest(
            incident=str(raw["incident"]),
            window=Window(
                start=parse_iso(window["start"]),
                end=parse_iso(window["end"]),
                leadup_start=parse_iso(window["leadup_start"]),
                ongoing=bool(window.get("ongoing", False)),
            ),
            collected_at=parse_iso(raw["collected_at"]),
            sources=sources,
            complete=bool(raw.get("complete", False)),
            tool_version=str(raw.get("tool_version", "?")),
            files=files,
        )
    except (KeyError, TypeError, AttributeError, TimeFormatError) as exc:
        raise BundleError(f"{path}: corrupt manifest ({exc!s}); re-collect") from exc


class BundleWriter:
    """Collects files in a private temp folder; ``finish`` writes the manifest and renames it
    into place, replacing any older bundle at ``dest`` only then."""

    def __init__(self, dest: Path, incident: str) -> None:
        self.dest = dest
        self.incident = incident
        dest.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
        self._files: dict[str, str] = {}
        self._sources: dict[str, SourceStatus] = {}
        self._replaced: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def add(self, relpath: str, pages: list[Any]) -> None:
        rel = _check_relpath(relpath)
        data, replaced, records = encode(pages)
        with self._lock:  # no file lands once the bundle is finished or aborted
            if self._closed:
                raise BundleError(f"bundle {self.dest} is already closed; {relpath} was not added")
            path = self._tmp / rel
            for folder in reversed(PurePosixPath(rel).parents[:-1]):  # each one 0700, whatever
                (self._tmp / folder).mkdir(exist_ok=True, mode=0o700)  # the umask: mkdir -p isn't
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            self._files[rel] = hashlib.sha256(data).hexdigest()
            if replaced:
                self._replaced[rel] = (replaced, records)

    @property
    def is_finished(self) -> bool:
        return self._closed

    def set_source(
        self,
        name: str,
        status: str,
        error: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        with self._lock:
            if self._closed:
                return
            self._sources[name] = SourceStatus(status=status, error=error, meta=dict(meta or {}))

    def _count_replaced(self) -> None:
        """Each source's files with replaced characters, as warnings in its meta (shown on stderr
        and in the draft)."""
        for rel, (chars, records) in sorted(self._replaced.items()):
            name = rel.split("/", 1)[0]
            status = self._sources.get(name)
            if status is None:
                continue
            meta = dict(status.meta)
            warnings = [w for w in meta.get("warnings") or [] if isinstance(w, str)]
            warnings.append(
                f"{chars} malformed character(s) (lone surrogate or invalid UTF-8) in {records} "
                f"record(s) of {rel} replaced with U+FFFD; the rest of those records is intact"
            )
            meta["warnings"] = warnings
            self._sources[name] = SourceStatus(status.status, status.error, meta)

    def finish(self, window: Window, collected_at: datetime) -> Path:
        with self._lock:
            self._closed = True
            self._count_replaced()
        complete = all(
            s.status != "failed" and not s.meta.get("incomplete") for s in self._sources.values()
        )
        manifest = Manifest(
            incident=self.incident,
            window=window,
            collected_at=collected_at,
            sources=self._sources,
            complete=complete,
            tool_version=__version__,
            files=self._files,
        )
        fd = os.open(self._tmp / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(dumps(manifest.to_json()))
        os.chmod(self._tmp, 0o700)
        old = None
        if self.dest.exists():
            old = self.dest.with_name(f".{self.dest.name}.old-{os.getpid()}")
            self.dest.rename(old)
        self._tmp.rename(self.dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.dest

    def abort(self) -> None:
        with self._lock:
            self._closed = True
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._tmp.exists():
            self.abort()


def iter_records(
    pages: list[Any], key: str | None, on_skip: Callable[[], None] | None = None
) -> Iterator[dict[str, Any]]:
    """The records inside a list of response bodies: ``body[key]`` per page, or the body itself
    when it is an array (Grafana, GitHub lists). Records that are not JSON objects are skipped;
    ``on_skip`` is called once for each (the collectors count them as not understood)."""
    for page in pages:
        items = page if key is None else (page.get(key) if isinstance(page, dict) else None)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, dict):
                yield item
            elif on_skip is not None:
                on_skip()
