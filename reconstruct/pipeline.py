"""collect -> evidence bundle -> parse -> normalize -> render.

A live run collects into a bundle first and then takes exactly the path of ``--bundle DIR``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import reconstruct.collectors.pagerduty.parse as pd
from reconstruct.bundle import Bundle
from reconstruct.collectors import Role, get_source, names, traits
from reconstruct.collectors._chatter import counting_chatter, plain_chatter
from reconstruct.collectors.people import identities
from reconstruct.collectors.skips import UNREADABLE_TIME, omitted_key, recording
from reconstruct.config import Config
from reconstruct.errors import BundleError, ReconstructError, UsageError
from reconstruct.model import Account, Event, Timeline
from reconstruct.normalize import Normalized, normalize
from reconstruct.normalize.classify import Classifier, compile_classifier
from reconstruct.normalize.copies import is_written
from reconstruct.normalize.during import mentions
from reconstruct.normalize.gcpause import paused_gc
from reconstruct.normalize.leadup import names_anything, names_change
from reconstruct.normalize.reasons import plain_reason
from reconstruct.normalize.saiddone import result_of
from reconstruct.normalize.untied import either, names_rule
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


@dataclass(frozen=True)
class Parsed:
    """Every source's events and what the parsers did with each record they read."""

    events: list[Event]
    counts: dict[str, int]
    """Records read per source: events + records folded into them + records left out."""
    warnings: list[str]
    left_out: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per source: records the parser left out, per reason (``skips.left_out``)."""
    weights: dict[str, int] = field(default_factory=dict)
    """Per event key: records folded into that event at parse time (``skips.absorbed``)."""
    scoped: dict[str, int] = field(default_factory=dict)
    """The parsers' counts as ``"<scope> (<reason>)"`` -> records (``Timeline.omitted``)."""


def parse_bundle(bundle: Bundle) -> Parsed:
    """Every source's events, the records read per source, what each parser left out and why,
    and a warning per source that had records whose time could not be read as UTC (left out,
    never guessed). Chat sources are parsed last (the events stay in registry order): a
    person's message near a record they wrote in a tool is built, not counted as chatter
    (``ChatterTally.hold_near``)."""
    per_source: dict[str, list[Event]] = {}
    counts: dict[str, int] = {}
    left: dict[str, dict[str, int]] = {}
    weights: dict[str, int] = {}
    scoped: dict[str, int] = {}
    chatter = plain_chatter()
    roles = traits()
    chat = {name for name in names() if name in roles and roles[name].role is Role.CHAT}
    said: dict[str, list[str]] = {}
    for name in sorted(names(), key=chat.__contains__):  # tools first, then chat
        if chatter is not None and name in chat and not chatter.written.times:
            chatter.hold_near(e for got in per_source.values() for e in got if is_written(e))
        if chatter is not None and name in chat and chatter.mentions is None:
            tools = [e for got in per_source.values() for e in got]
            chatter.mentions = either(mentions(tools), names_rule(tools))  # read, if no row
        status = bundle.source(name)
        if status is None or status.status == "skipped":
            continue
        try:
            before = Counter(chatter.counted) if chatter is not None else Counter()
            with recording() as ledger, paused_gc():  # acyclic records: GC passes free nothing
                parsed = list(get_source(name).parse(bundle))
        except ReconstructError:
            raise
        except Exception as exc:  # a record of the wrong shape: one line, not a traceback
            raise BundleError(
                f"{bundle.root}/{name}: cannot parse ({type(exc).__name__}: {exc}); "
                "the bundle may be from another tool version"
            ) from exc
        plain = (chatter.counted - before) if chatter is not None else Counter()
        """People's plain messages this parser handed to the chatter tally (no events)."""
        counts[name] = (
            len(parsed)
            + sum(ledger.absorbed.values())
            + sum(ledger.left_out.values())
            + sum(plain.values())
        )
        per_source[name] = parsed
        weights.update(ledger.absorbed)
        if ledger.left_out or plain:
            reasons = ledger.reasons(name)
            for scope, n in plain.items():
                reasons[plain_reason(scope)] = reasons.get(plain_reason(scope), 0) + n
                scoped[scope] = scoped.get(scope, 0) + n
            left[name] = dict(sorted(reasons.items()))
            for (scope, reason), n in ledger.left_out.items():
                key = f"{scope or name} ({reason})"
                scoped[key] = scoped.get(key, 0) + n
        unreadable = ledger.count(UNREADABLE_TIME)
        if unreadable:
            first = f" (first: {ledger.unreadable[0]})" if ledger.unreadable else ""
            said[name] = [
                f"{name}: {unreadable} record(s) left out because their time has no UTC offset "
                f"or is not a timestamp{first}; nothing was guessed"
            ]
    order = list(names())  # the registry's order, whatever the parse order
    events = [e for name in order for e in per_source.get(name, ())]
    counts = {name: counts[name] for name in order if name in counts}
    left = {name: left[name] for name in order if name in left}
    warnings = [line for name in order for line in said.get(name, ())]
    return Parsed(events, counts, warnings, left, weights, dict(sorted(scoped.items())))


def accounts(parsed: Parsed, result: Normalized) -> dict[str, Account]:
    """Per source: records read, shown, and left out per reason (by the parser or the
    normalizer); ``shown + sum(omitted) == collected`` holds for each."""
    out: dict[str, Account] = {}
    for name in sorted(set(parsed.counts) | set(result.shown) | set(result.left_out)):
        omitted: dict[str, int] = dict(parsed.left_out.get(name, {}))
        for reason, n in result.left_out.get(name, {}).items():
            omitted[reason] = omitted.get(reason, 0) + n
        out[name] = Account(
            collected=parsed.counts.get(name, 0),
            shown=result.shown.get(name, 0),
            omitted=dict(sorted(omitted.items())),
        )
    return out


def _says_something(classifier: Classifier) -> Callable[[str], bool]:
    """Would a person's message with this text be kept for it: a ``[classify]`` pattern
    (``human_text``), a PR it names (``leadup.names_change``), or a bare "done" that may close
    its author's step (``saiddone.result_of``)? Most texts fail the
    classifier's prefilter: that answer first, in one call (the chatter hot path)."""
    prefilter = classifier.human_any

    def says(text: str) -> bool:
        if result_of(text) is not None:
            return True  # a bare "done": ``normalize.saiddone`` reads it, else it is counted
        if prefilter is not None and not prefilter.search(text):
            return names_change(text)  # ``human_text`` is None: the prefilter found no pattern
        return classifier.human_text(text) is not None or names_change(text)

    return says


def build_timeline(bundle: Bundle, config: Config) -> Timeline:
    incident = pd.parse_incident(bundle)
    classifier = compile_classifier(config.classify)
    with counting_chatter(  # people's plain messages, counted before any event is built
        bundle.manifest.window,
        _says_something(classifier),
        names_anything,  # a thread reply or edited message left out is read for the lead-up
        config.select.emoji,
        config.collapse.step_window,
        config.collapse.same_words,
    ):
        parsed = parse_bundle(bundle)
    counts, unreadable = parsed.counts, parsed.warnings
    window = bundle.manifest.window
    result = normalize(
        parsed.events,
        incident,
        window,
        config,
        identities(bundle),
        parsed.weights,
        leadup=config.leadup(incident.services),
    )
    omitted = dict(result.omitted)
    for key, count in parsed.scoped.items():  # records a parser counted, with a reason
        shown_as = omitted_key(key)  # "<scope> (outside window)" -> "outside window"
        omitted[shown_as] = omitted.get(shown_as, 0) + count
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
    warnings.extend(result.warnings)  # [people] aliases that name no one, or two people
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
        accounts=accounts(parsed, result),
        set_aside=result.set_aside,
        hints=result.hints,
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
