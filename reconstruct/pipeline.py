"""collect -> evidence bundle -> parse -> normalize -> render.

A live run collects into a bundle first and then takes exactly the path of ``--bundle DIR``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import reconstruct.collectors.pagerduty.parse as pd
from reconstruct.bundle import Bundle
from reconstruct.collectors import get_source, names
from reconstruct.collectors._chatter import counting_chatter
from reconstruct.collectors.people import identities
from reconstruct.collectors.skips import counting, omitted_key, recording
from reconstruct.config import Config
from reconstruct.errors import BundleError, ReconstructError, UsageError
from reconstruct.model import Event, Timeline
from reconstruct.normalize import normalize
from reconstruct.normalize.classify import compile_classifier
from reconstruct.normalize.gcpause import paused_gc
from reconstruct.render import RenderOptions, render

DEMO_INCIDENT = "demo"


@dataclass(frozen=True)
class RunRequest:
    incident: str
    bundle: Path | None = None
    save_bundle: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunResult:
    timeline: Timeline
    bundle_path: Path
    collected_now: bool


def demo_bundle_path() -> Path:
    return Path(str(resources.files("reconstruct.demo") / "bundle"))


def open_bundle(incident: str, path: Path) -> Bundle:
    bundle = Bundle.open(path)
    if incident != DEMO_INCIDENT:
        inc = pd.parse_incident(bundle)
        if incident not in {bundle.manifest.incident, inc.id, str(inc.number)}:
            raise UsageError(
                f"{path}: this bundle holds incident {inc.id} (#{inc.number}), not {incident}; "
                "pass the matching --incident or another --bundle"
            )
    return bundle


def parse_bundle(bundle: Bundle) -> tuple[list[Event], dict[str, int], list[str]]:
    """Every source's events, the count per source, and a warning per source that had records
    whose time could not be read as UTC (left out, never guessed)."""
    events: list[Event] = []
    counts: dict[str, int] = {}
    warnings: list[str] = []
    for name in names():
        status = bundle.source(name)
        if status is None or status.status == "skipped":
            continue
        try:
            with recording() as skipped, paused_gc():  # acyclic records: GC passes free nothing
                parsed = list(get_source(name).parse(bundle))
        except ReconstructError:
            raise
        except Exception as exc:  # a record of the wrong shape: one line, not a traceback
            raise BundleError(
                f"{bundle.root}/{name}: cannot parse ({type(exc).__name__}: {exc}); "
                "the bundle may be from another tool version"
            ) from exc
        counts[name] = len(parsed)
        events.extend(parsed)
        if skipped:
            warnings.append(
                f"{name}: {len(skipped)} record(s) left out because their time has no UTC offset "
                f"or is not a timestamp (first: {skipped[0]}); nothing was guessed"
            )
    return events, counts, warnings


def build_timeline(bundle: Bundle, config: Config) -> Timeline:
    incident = pd.parse_incident(bundle)
    classifier = compile_classifier(config.classify)
    with (
        counting() as left_out,  # records a parser names a reason for, not events
        counting_chatter(  # people's plain messages, counted before any event is built
            bundle.manifest.window, lambda text: classifier.human_text(text) is not None
        ) as chatter,
    ):
        events, counts, unreadable = parse_bundle(bundle)
    result = normalize(events, incident, bundle.manifest.window, config, identities(bundle))
    omitted = dict(result.omitted)
    for scope, count in chatter.counted.items():
        omitted[scope] = omitted.get(scope, 0) + count
        source = scope.partition(":")[0]
        counts[source] = counts.get(source, 0) + count
    for key, count in sorted(left_out.items()):
        shown_as = omitted_key(key)  # "<scope> (outside window)" -> "outside window"
        omitted[shown_as] = omitted.get(shown_as, 0) + count
        source = key.partition(":")[0]
        counts[source] = counts.get(source, 0) + count
    failed = tuple(sorted(n for n, s in bundle.manifest.sources.items() if s.status == "failed"))
    warnings = [
        f"{name}: {bundle.manifest.sources[name].error or 'collection failed'}" for name in failed
    ]
    for name, status in sorted(bundle.manifest.sources.items()):
        if status.status == "skipped" and status.error:
            warnings.append(f"{name}: not collected ({status.error})")
        extra = status.meta.get("warnings") if status.meta else None
        if isinstance(extra, list):
            warnings.extend(f"{name}: {w}" for w in extra if isinstance(w, str))
    warnings.extend(unreadable)
    warnings.extend(bundle.decode_warnings())
    if bundle.manifest.window.ongoing:
        warnings.append("the incident was still open when the evidence was collected")
    return Timeline(
        incident=incident,
        window=bundle.manifest.window,
        events=result.events,
        omitted=dict(sorted(omitted.items())),
        collected=counts,
        warnings=tuple(warnings),
        failed_sources=tuple(sorted({*failed, *partial_sources(bundle)})),
    )


def partial_sources(bundle: Bundle) -> tuple[str, ...]:
    """Sources collected with part of their evidence missing (``meta["incomplete"]``: lines
    also given as warnings, e.g. a configured Slack channel not in an export): exit 3."""
    return tuple(
        name
        for name, status in sorted(bundle.manifest.sources.items())
        if status.status == "ok" and status.meta and status.meta.get("incomplete")
    )


def resolve_bundle(request: RunRequest, config: Config, now: datetime) -> tuple[Path, bool]:
    """Where the evidence comes from: the demo, ``--bundle``, or a live collection."""
    if request.incident == DEMO_INCIDENT and request.bundle is None:
        return demo_bundle_path(), False
    if request.bundle is not None:
        return request.bundle, False
    from reconstruct.collect import collect_live

    path = collect_live(request.incident, config, request.save_bundle, request.options, now)
    return path, True


def run(request: RunRequest, config: Config, now: datetime) -> RunResult:
    path, collected = resolve_bundle(request, config, now)
    bundle = open_bundle(request.incident, path)
    return RunResult(build_timeline(bundle, config), path, collected)


def draft(
    request: RunRequest, config: Config, now: datetime, options: RenderOptions
) -> tuple[str, RunResult]:
    """The one "build a draft" path, for the CLI and ``watch`` alike: the evidence (demo,
    ``--bundle`` or a live collection), the timeline, and the draft rendered in ``options``."""
    result = run(request, config, now)
    return render(result.timeline, options, config), result


__all__ = [
    "RenderOptions",
    "RunRequest",
    "RunResult",
    "build_timeline",
    "draft",
    "render",
    "run",
]
