"""PagerDuty parser: the official examples read in place, and our own wire-format fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import reconstruct.collectors.pagerduty.parse as pd
from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors import get_source
from reconstruct.collectors.skips import NOT_UNDERSTOOD, recording
from reconstruct.errors import BundleError
from reconstruct.model import Event, Kind, Window
from tests.fakes.pagerduty import IncidentData, sample_incident

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "api-examples" / "pagerduty"
WHEN = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def write_bundle(root: Path, files: dict[str, list[Any]]) -> Bundle:
    writer = BundleWriter(root / "bundle", "incident")
    for relpath, pages in files.items():
        writer.add(relpath, pages)
    writer.set_source("pagerduty", "ok")
    writer.finish(Window(WHEN, WHEN, WHEN), WHEN)
    return Bundle.open(root / "bundle")


def sample_files(data: IncidentData, page: int = 5) -> dict[str, list[Any]]:
    """The sample as the collector writes it: log entries and alerts in pages of ``page``."""

    def pages(key: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        chunks = [records[i : i + page] for i in range(0, len(records), page)] or [[]]
        return [
            {key: c, "limit": page, "offset": i * page, "more": i < len(chunks) - 1, "total": None}
            for i, c in enumerate(chunks)
        ]

    return {
        "pagerduty/incident.json": [{"incident": data.incident}],
        "pagerduty/log_entries.json": pages("log_entries", data.log_entries),
        "pagerduty/alerts.json": pages("alerts", data.alerts),
        "pagerduty/notes.json": [{"notes": data.notes}],
    }


def by_key(events: list[Event]) -> dict[str, Event]:
    keys = [e.key for e in events]
    assert len(keys) == len(set(keys)), "parse() must emit each record once"
    return {e.key: e for e in events}


# -- official examples -----------------------------------------------------------------------
def load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture
def examples() -> Path:
    if not Path("/work/shared/api-examples").exists() or not EXAMPLES.is_dir():
        pytest.skip("shared/api-examples is not beside the clone")
    return EXAMPLES


def test_official_examples_conform(examples: Path, tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path,
        {
            "pagerduty/incident.json": [load("incident.get.json")],
            "pagerduty/log_entries.json": [
                load("incident_log_entries.list.json"),
                load("log_entries.list.json"),  # the same trigger entry again: read once
            ],
            "pagerduty/alerts.json": [load("incident_alerts.list.json")],
            "pagerduty/notes.json": [load("incident_notes.list.json")],
        },
    )
    incident = pd.parse_incident(bundle)
    assert incident.id == "PT4KHLK"
    assert incident.number == 1234
    assert incident.title == "The server is on fire."
    assert incident.severity == "P2"
    assert incident.services == ("My Mail Service",)
    assert incident.started_at == at("2015-10-06T21:30:42Z")
    assert incident.resolved_at is None
    assert incident.status == "acknowledged"
    assert incident.url == "https://subdomain.pagerduty.com/incidents/PT4KHLK"

    events = by_key(list(pd.parse(bundle)))
    assert set(events) == {
        "pagerduty:log_entry:Q02JTSNZWHSEKV",
        "pagerduty:alert:PT4KHLK",
        "pagerduty:note:PWL7QXS",
        "pagerduty:note:PCQC25",
    }
    trigger = events["pagerduty:log_entry:Q02JTSNZWHSEKV"]
    assert trigger.kind is Kind.ALERT
    assert trigger.time == at("2015-11-07T00:14:20Z")
    assert trigger.actor is None  # a service triggered it
    assert {"pd:pt4khlk", "pd#1234", "alert_key:baf7cf21b1da41b4b0221008339ff357"} <= trigger.refs
    assert trigger.links[0].url.endswith("/incidents/PT4KHLK/log_entries/Q02JTSNZWHSEKV")
    assert trigger.links[0].label == "PD log entry"
    # the example alert names no first_trigger_log_entry: an alert event of its own
    alert = events["pagerduty:alert:PT4KHLK"]
    assert alert.kind is Kind.ALERT
    assert "The server is on fire." in alert.summary
    assert alert.links[0].url == "https://subdomain.pagerduty.com/alerts/PXPGF42"
    note = events["pagerduty:note:PWL7QXS"]
    assert note.time == at("2013-03-06T20:28:51Z")  # -05:00 converted
    assert note.kind is Kind.UPDATE and note.tags == {"note"}
    assert note.actor == "Earline Greenholt"
    assert "Firefighters are on the scene." in note.summary
    bot_note = events["pagerduty:note:PCQC25"]
    assert bot_note.actor is None  # an event rule, not a person
    assert bot_note.time == at("2013-03-06T20:28:42Z")
    for event in events.values():
        assert event.sources == ("pagerduty",)
        assert event.scope == "pagerduty"
        assert event.time.tzinfo is UTC
        assert {"pd:pt4khlk", "pd#1234"} <= event.refs
        assert event.links


# -- own fixtures ----------------------------------------------------------------------------
@pytest.fixture
def sample(tmp_path: Path) -> tuple[Bundle, dict[str, Event]]:
    bundle = write_bundle(tmp_path, sample_files(sample_incident()))
    return bundle, by_key(list(pd.parse(bundle)))


def test_incident_resolved_time_comes_from_the_resolve_entry(
    sample: tuple[Bundle, dict[str, Event]],
) -> None:
    incident = pd.parse_incident(sample[0])
    assert incident.id == "PABC123"
    assert incident.number == 4321
    assert incident.severity == "P1"
    assert incident.services == ("checkout-api",)
    assert incident.started_at == at("2026-03-14T09:30:00Z")
    assert incident.status == "resolved"
    # resolved_at is null in the record; the resolve entry says 05:12-05:00
    assert incident.resolved_at == at("2026-03-14T10:12:00Z")


def test_log_entry_kinds_summaries_and_utc_times(sample: tuple[Bundle, dict[str, Event]]) -> None:
    events = sample[1]
    le = {k.rsplit(":", 1)[1]: e for k, e in events.items() if ":log_entry:" in k}
    assert {k: e.kind for k, e in le.items()} == {
        "Q001": Kind.ALERT,
        "Q002": Kind.PAGE,
        "Q003": Kind.PAGE,
        "Q004": Kind.ACK,
        "Q005": Kind.ESCALATE,
        "Q006": Kind.ESCALATE,
        "Q009": Kind.UPDATE,
        "Q012": Kind.RESOLVE,
    }  # Q007/Q008 became the notes; Q010 (no time) and Q011 (no offset) were skipped
    assert le["Q001"].time == at("2026-03-14T09:30:00Z")
    assert le["Q004"].time == at("2026-03-14T09:34:00Z")  # 04:34-05:00
    assert le["Q012"].time == at("2026-03-14T10:12:00Z")
    assert le["Q001"].summary == "Incident #4321 triggered: Checkout API 5xx rate above 5%"
    assert le["Q002"].summary == "Paged Priya Raman by phone"
    assert le["Q003"].summary == "Paged Sam Lee by SMS"
    assert le["Q004"].summary == "Acknowledged by Priya Raman"
    assert le["Q004"].actor == "Priya Raman"
    assert le["Q005"].summary == "Escalated to Dana Kim"
    assert le["Q005"].actor is None  # the service escalated it
    assert le["Q006"].summary == "Reassigned to Alex Chen by Priya Raman"
    assert le["Q009"].summary == "Urgency changed to high"
    assert le["Q012"].summary == "Resolved by Priya Raman"
    assert le["Q001"].tags == {"state:triggered"}
    assert le["Q004"].tags == {"state:acknowledged"}
    assert le["Q012"].tags == {"state:resolved"}
    for event in events.values():
        assert {"pd:pabc123", "pd#4321"} <= event.refs
        assert event.sources == ("pagerduty",)
        assert event.scope == "pagerduty"
        assert event.links
        for link in event.links:
            expected = (
                "PD note"
                if event.key.startswith("pagerduty:note:") and "/log_entries/" in link.url
                else "PD log entry"
                if "/log_entries/" in link.url
                else "PD alert"
                if "/alerts/" in link.url
                else "PD note"
                if event.key.startswith("pagerduty:note:") and len(event.links) == 1
                else "PD incident"
            )
            assert link.label == expected, (event.key, link)
    assert (
        le["Q002"].links[0].url == "https://acme.pagerduty.com/incidents/PABC123/log_entries/Q002"
    )


def test_alerts_attach_to_the_trigger_or_stand_alone(
    sample: tuple[Bundle, dict[str, Event]],
) -> None:
    events = sample[1]
    trigger = events["pagerduty:log_entry:Q001"]
    assert "alert_key:checkout-5xx" in trigger.refs
    assert [link.url for link in trigger.links] == [
        "https://acme.pagerduty.com/incidents/PABC123/log_entries/Q001",
        "https://acme.pagerduty.com/alerts/PAL001",
    ]
    assert "pagerduty:alert:PAL001" not in events  # attached, not repeated
    other = events["pagerduty:alert:PAL002"]
    assert other.kind is Kind.ALERT
    assert other.time == at("2026-03-14T09:36:00Z")
    assert "alert_key:checkout-latency" in other.refs
    assert other.summary == "Alert (critical): p99 latency 2.4s on checkout-api"


def test_notes_and_annotate_entries_are_one_event(
    sample: tuple[Bundle, dict[str, Event]],
) -> None:
    events = sample[1]
    notes = {k: e for k, e in events.items() if "note" in e.tags}
    assert set(notes) == {"pagerduty:note:PN001", "pagerduty:note:PN002", "pagerduty:note:PN003"}
    first = notes["pagerduty:note:PN001"]  # matched by text (whitespace aside) and time
    assert first.summary == "Note by Priya Raman: Rolling back v2.3.1"
    assert first.time == at("2026-03-14T09:45:27Z")
    assert first.kind is Kind.UPDATE
    assert first.links[0].url.endswith("/log_entries/Q007")
    second = notes["pagerduty:note:PN002"]  # entry without text: the one note by Dana then
    assert second.links[0].url.endswith("/log_entries/Q008")
    third = notes["pagerduty:note:PN003"]  # no annotate entry: the incident page
    assert third.links[0].url == "https://acme.pagerduty.com/incidents/PABC123"


def test_unmatched_annotate_entry_is_its_own_note(tmp_path: Path) -> None:
    data = sample_incident()
    data.notes = []
    events = by_key(list(pd.parse(write_bundle(tmp_path, sample_files(data)))))
    note = events["pagerduty:log_entry:Q007"]
    assert note.kind is Kind.UPDATE
    assert note.tags == {"note"}
    assert note.summary == "Note by Priya Raman: Rolling back v2.3.1"
    assert events["pagerduty:log_entry:Q008"].summary.startswith("Annotate entry")


def test_an_annotate_entry_without_an_id_is_not_understood_even_beside_its_note(
    tmp_path: Path,
) -> None:
    data = sample_incident()
    with recording() as before:
        list(pd.parse(write_bundle(tmp_path / "before", sample_files(data))))
    entry = next(e for e in data.log_entries if e["id"] == "Q007")  # records note PN001
    del entry["id"]
    with recording() as ledger:
        events = by_key(list(pd.parse(write_bundle(tmp_path, sample_files(data)))))
    assert ledger.count(NOT_UNDERSTOOD) == before.count(NOT_UNDERSTOOD) + 1
    note = events["pagerduty:note:PN001"]  # still shown, without the unreadable entry's link
    assert not any(link.url.endswith("/log_entries/Q007") for link in note.links)


def test_ongoing_incident(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path, sample_files(sample_incident(resolved=False)))
    incident = pd.parse_incident(bundle)
    assert incident.resolved_at is None
    assert incident.status == "acknowledged"
    kinds = [e.kind for e in pd.parse(bundle)]
    assert Kind.RESOLVE not in kinds


def test_explicit_resolved_at_wins(tmp_path: Path) -> None:
    data = sample_incident()
    data.incident["resolved_at"] = "2026-03-14T05:13:00-05:00"
    incident = pd.parse_incident(write_bundle(tmp_path, sample_files(data)))
    assert incident.resolved_at == at("2026-03-14T10:13:00Z")


def test_missing_optional_fields_are_tolerated(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path,
        {
            "pagerduty/incident.json": [
                {"incident": {"id": "PX1", "created_at": "2026-03-14T09:30:00Z"}}
            ],
            "pagerduty/log_entries.json": [
                {"log_entries": [{"id": "L1", "type": "trigger_log_entry", "created_at": "x"}]},
                {
                    "log_entries": [
                        {
                            "id": "L2",
                            "type": "acknowledge_log_entry",
                            "created_at": "2026-03-14T09:31:00+00:00",
                        }
                    ]
                },
                {"log_entries": ["junk", {"type": "mystery_log_entry"}]},
                {"unexpected": True},
            ],
            "pagerduty/notes.json": [{"notes": [{"id": "N1", "created_at": None}]}],
        },
    )
    incident = pd.parse_incident(bundle)
    assert (incident.id, incident.number, incident.severity) == ("PX1", None, None)
    assert incident.services == ()
    assert incident.status == "triggered"
    events = list(pd.parse(bundle))
    assert [(e.key, e.kind, e.summary) for e in events] == [
        ("pagerduty:log_entry:L2", Kind.ACK, "Acknowledged")
    ]
    assert events[0].refs == {"pd:px1"}
    assert events[0].links == ()  # no page known at all


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "pagerduty/incident.json: missing"),
        ({"pagerduty/incident.json": [{"nope": 1}]}, "pagerduty/incident.json: corrupt"),
        ({"pagerduty/incident.json": [{"incident": {"id": "P1"}}]}, "no usable created_at"),
    ],
)
def test_missing_or_corrupt_incident_names_the_file(
    tmp_path: Path, files: dict[str, list[Any]], message: str
) -> None:
    bundle = write_bundle(tmp_path, files)
    with pytest.raises(BundleError, match=message) as info:
        pd.parse_incident(bundle)
    assert "incident.json" in str(info.value)


def test_registered_source() -> None:
    source = get_source("pagerduty")
    assert source.name == "pagerduty"
    assert source.parse is pd.parse
    assert source.collect is not None and source.token_env == "PAGERDUTY_TOKEN"
