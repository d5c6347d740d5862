"""Source-agnostic: one deduplicated, classified, selected, UTC-ordered event stream.

The steps, one module each: ``utc`` (UTC, window) -> ``dedup`` (same key) -> ``chatter`` (a
person's plain messages, which nothing keeps, counted up front) -> ``instances`` (an alert's
instance labels) and ``refs`` (refs from text) -> ``classify`` (kinds from text) -> ``merge``
(one row per occurrence across tools) -> ``deploystart`` (a deploy bot's start post joins the
deployment that went live) ->
``select`` (what is kept, why; counts of the rest; ``during``: the window's changes tied to the
incident) -> ``people`` (one name and id per person) ->
``deployer`` (a deploy an app started: the person its bot's post credits) ->
``steps`` (one step, one row; ``saiddone``: a bare "done" after a person's step under way,
read before the chatter is counted, joins that step's row; ``startdone``: a person's step under
way joins their row saying it done) -> ``echoes`` (a chat app's post of a
record) ->
``collapse`` (a series as one row) -> ``order``.
``docs/design.md`` has the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC

from reconstruct.config import Config, LeadupSettings
from reconstruct.model import Event, Identity, Incident, Window
from reconstruct.normalize.chatter import set_aside
from reconstruct.normalize.classify import classify, compile_classifier
from reconstruct.normalize.collapse import collapse
from reconstruct.normalize.copies import Written, unjoined
from reconstruct.normalize.dedup import dedup_exact
from reconstruct.normalize.deployer import credit_starters
from reconstruct.normalize.deploystart import join_deploy_starts
from reconstruct.normalize.during import mentions
from reconstruct.normalize.echoes import merge_echoes
from reconstruct.normalize.gcpause import paused_gc
from reconstruct.normalize.instances import named_instances, with_instance
from reconstruct.normalize.ledger import OUTSIDE_REASON, Ledger
from reconstruct.normalize.merge import merge_tools
from reconstruct.normalize.order import ordered
from reconstruct.normalize.people import directory, resolve, unjoined_people, written_names
from reconstruct.normalize.people import warnings as people_warnings
from reconstruct.normalize.refs import TextRefs, refs_in_text, with_text_refs
from reconstruct.normalize.repeats import worded_first
from reconstruct.normalize.ruled import noted
from reconstruct.normalize.saiddone import join_said_done, said_done
from reconstruct.normalize.select import select
from reconstruct.normalize.startdone import join_starts
from reconstruct.normalize.steps import merge_steps
from reconstruct.normalize.untied import Heard, either, names_rule
from reconstruct.normalize.utc import OUTSIDE, as_utc, in_window, outside_of
from reconstruct.timeutil import ensure_utc

__all__ = ["OUTSIDE", "Normalized", "normalize", "refs_in_text"]


@dataclass(frozen=True, slots=True)
class Normalized:
    events: tuple[Event, ...]
    omitted: dict[str, int] = field(default_factory=dict)
    """Events left out: per scope (``slack:#inc-1234``), and ``outside window``."""
    duplicates: int = 0
    """Records dropped as exact duplicates (same key)."""
    merged: int = 0
    """Records folded into another tool's row of the same occurrence."""
    steps: int = 0
    """Rows joined into another row of the same step (``steps``)."""
    collapsed: int = 0
    """Rows folded into another row: a series row, a milestone's row a storm's part joined, a
    firing's row its Pending joined (``collapse``)."""
    shown: dict[str, int] = field(default_factory=dict)
    """Records in a row (alone or merged), per source (``ledger``)."""
    left_out: dict[str, dict[str, int]] = field(default_factory=dict)
    """Records not in any row, per source and reason (``ledger``)."""
    warnings: tuple[str, ...] = ()
    """``[people] aliases`` problems, one line each (``people.warnings``)."""
    set_aside: tuple[Event, ...] = ()
    """The window's changes with no tie to the incident (``during``), counted in ``omitted``,
    each with the reason it is counted under and its links."""
    hints: tuple[str, ...] = ()
    """Lines for the author, no fault of the evidence (``people.unjoined_people``)."""


def normalize(
    events: Iterable[Event],
    incident: Incident,
    window: Window,
    config: Config,
    identities: Iterable[Identity] = (),
    weights: Mapping[str, int] | None = None,
    leadup: LeadupSettings | None = None,
) -> Normalized:
    """Events from every source -> the timeline's events, in order, each with a reason.

    ``weights``: per event key, the records beyond the first the event stands for (records a
    parser folded into it); the accounting (``shown``, ``left_out``) counts them with it.
    ``leadup``: the lead-up settings, source-agnostic (the pipeline passes
    ``config.leadup(incident.services)``, also the default).
    Raises ``TimeFormatError`` for an event with a naive time (a parser bug).
    """
    classifier = compile_classifier(config.classify)
    ledger = Ledger(weights or {})
    with paused_gc():
        utc = [event if event.time.tzinfo is UTC else as_utc(event) for event in events]
        unique = dedup_exact(utc)
        ledger.duplicates(utc, unique)
        inside, outside = in_window(unique, window)
        if outside:
            ledger.omit(outside_of(unique, window), OUTSIDE_REASON)
        start = ensure_utc(window.start)
        inside = said_done(inside, classifier, config.collapse.step_merge_window)
        written = Written.of(inside, config.collapse.step_window, config.collapse.same_words)
        candidates, chatter, chatter_why = set_aside(
            inside, start, classifier, written, either(mentions(inside), names_rule(inside))
        )
        ledger.omit_counts(chatter_why, chatter)
        memo = TextRefs()
        instanced = [with_instance(event) for event in candidates]
        rule_talk = Heard.of(instanced)  # read before ``named_instances`` (``untied``)
        labelled = named_instances(instanced)
        with_refs = [with_text_refs(event, memo) for event in labelled]
        classified, keywords = classify(with_refs, classifier, ensure_utc(incident.started_at))
        rows = merge_tools(
            classified, config.normalize.merge_window, config.normalize.instance_window
        )
        ledger.fold(classified, rows)
        merged_rows = rows
        rows, started = join_deploy_starts(rows, config.normalize.merge_window)
        ledger.fold(merged_rows, rows, started)
        selection = select(rows, incident, window, config, keywords, leadup, written, rule_talk)
        kept, held = selection.kept, selection.held
        ledger.settle(kept, selection.dropped, selection.echoes)  # a kept row's are shown
        known = list(identities)
        people = directory(known, config.people)
        rows_and_held = [*kept, *(e for e, _ in held)] if held else kept
        rulers = _rulers(selection.ruled, rows_and_held)  # their names too (``ruled.noted``)
        named, names = resolve([*rows_and_held, *rulers], people)
        if rulers:
            named, rulers = named[: len(named) - len(rulers)], named[len(named) - len(rulers) :]
        named = credit_starters(named, people, known, names)
        alias_warnings = tuple(people_warnings(people))
        aside = resolve(selection.set_aside, people)[0] if selection.set_aside else []
        as_written = written_names(people, known, names)  # how tools' posts write each person
        stepped, steps = merge_steps(named, config.collapse, as_written)
        stepped, closed = join_said_done(stepped, config.collapse.step_merge_window)
        steps += closed
        stepped, begun = join_starts(stepped, config.collapse.step_merge_window)
        steps += begun
        if held:  # a held-back message that joined no record is left out as selection says
            stepped, joined, left = unjoined(stepped, held)
            ledger.settle(joined, left)
        stepped, echoed = merge_echoes(stepped, config.normalize.merge_window, named)
        collapsed = 0
        if not config.collapse.expand:
            stepped, collapsed = collapse(
                stepped, config.collapse, names, ensure_utc(incident.started_at)
            )
        else:  # every row its own, the trigger's assignment still worded as its page
            stepped = worded_first(stepped, names)
        if selection.ruled:  # a change a responder ruled out says so in its row
            said = {e.key: e for e in (*named, *rulers) if e.key in _keys(selection.ruled)}
            ruled = {k: said.get(r.key, r) for k, r in selection.ruled.items()}
            stepped = noted(stepped, ruled, ensure_utc(incident.started_at).date())
        timeline = tuple(ordered(stepped))
        hint = unjoined_people(timeline, people, names)
    return Normalized(
        events=timeline,
        omitted=ledger.scoped_dict(),  # the records of ``left_out``, per scope: one ledger
        duplicates=len(utc) - len(unique),
        merged=len(classified) - len(rows) + echoed,
        steps=steps,
        collapsed=collapsed,
        shown=dict(sorted(ledger.shown.items())),
        left_out=ledger.omitted_dict(),
        warnings=alias_warnings,
        set_aside=tuple(aside),
        hints=(hint,) if hint else (),
    )


def _keys(ruled: Mapping[str, Event]) -> set[str]:
    return {e.key for e in ruled.values()}


def _rulers(ruled: Mapping[str, Event], rows: Iterable[Event]) -> list[Event]:
    """The records that ruled a change out (``select``'s ``ruled``) that are no row: resolved
    with the rows, so their authors read as everywhere else in the draft."""
    shown = {e.key for e in rows}
    return sorted({e.key: e for e in ruled.values() if e.key not in shown}.values(), key=_order)


def _order(event: Event) -> tuple[object, str]:
    return (event.time, event.key)
