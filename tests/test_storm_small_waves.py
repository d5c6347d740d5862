"""A rule firing on a few instances at once, and the last clearing's words, as an author writes
them (#11).

Grafana ``GET /api/annotations`` items of unified alerting's state history, as Grafana writes
them (``tests.test_storm_times.state``: ``newState`` / ``prevState``, ``text`` "<rule> {<labels>}
- B=..., C=..."). Two Postgres replicas' lag alerts fire a minute apart: too few for a series
(``[collapse] min_series``, 3), one row naming both, "PostgresReplicaLagHigh fired on
orders-pg-replica-1 and orders-pg-replica-2, 09:50–09:51", within ``[collapse] wave_gap``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from reconstruct.config import CollapseConfig, Config
from reconstruct.model import Event, Timeline
from reconstruct.render.metrics import milestones
from tests.test_rows import T0, one, texts, timeline, trigger
from tests.test_storm_times import state

LAG = "PostgresReplicaLagHigh"
DISK = "PostgresDiskUsageHigh"
REPLICAS = ["orders-pg-replica-1", "orders-pg-replica-2"]


def lag(minutes: float, replica: str, prev: str, new: str, rule: str = LAG) -> dict[str, Any]:
    return state(minutes, replica, prev, new, rule, 401 if rule == LAG else 402)


def disk() -> list[dict[str, Any]]:
    """Another rule holds the incident's first firing (09:40) and last clearing (11:00)."""
    return [
        lag(-2, "orders-pg-0", "Normal", "Alerting", DISK),
        lag(78, "orders-pg-0", "Alerting", "Normal", DISK),
    ]


def replicas(fired: tuple[float, float] = (8, 9), cleared: tuple[float, float] = (64, 65)) -> list:
    return [
        *(lag(m, r, "Normal", "Alerting") for m, r in zip(fired, REPLICAS, strict=True)),
        *(lag(m, r, "Alerting", "Normal") for m, r in zip(cleared, REPLICAS, strict=True)),
    ]


def rows_of(tl: Timeline, needle: str = LAG) -> list[tuple[str, str]]:
    return [(f"{e.time:%H:%M}", e.summary) for e in tl.events if needle in e.summary]


def config(**collapse: Any) -> Config:
    return Config(collapse=CollapseConfig(**collapse))


# -- a few instances of one rule, one row ---------------------------------------------------------
def test_two_replicas_firing_a_minute_apart_are_one_row_and_their_clearings_another(
    tmp_path: Path,
) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], [*disk(), *replicas()])
    assert rows_of(tl) == [
        ("09:50", f"{LAG} fired on {REPLICAS[0]} and {REPLICAS[1]}, 09:50–09:51"),
        ("10:46", f"{LAG} cleared on {REPLICAS[0]} and {REPLICAS[1]}, 10:46–10:47"),
    ], texts(tl)
    fired, cleared = [e for e in tl.events if LAG in e.summary]
    assert [m.time for m in fired.members] == [T0 + timedelta(minutes=m) for m in (8, 9)]
    assert all("firing" in m.summary for m in fired.members), "a clearing never joins a firing"
    assert all("resolved" in m.summary for m in cleared.members)
    assert [ln.label for ln in fired.links] == ["first: Grafana panel", "last: Grafana panel"]
    expanded = timeline(tmp_path / "x", [trigger()], [], [], [*disk(), *replicas()],
                        config=config(expand=True))  # fmt: skip
    assert len(rows_of(expanded)) == 4, "--expand: every record its row"


def test_two_rules_or_firings_further_apart_than_wave_gap_stay_rows(tmp_path: Path) -> None:
    slot = "PostgresReplicationSlotInactive"
    a, b = REPLICAS
    other = [lag(8, a, "Normal", "Alerting"), lag(9, b, "Normal", "Alerting", slot)]
    tl = timeline(tmp_path, [trigger()], [], [], [*disk(), *other])
    assert [t for t in texts(tl) if "Postgres" in t and DISK not in t] == [
        f"Grafana alert {LAG} (instance={REPLICAS[0]}) firing",
        f"Grafana alert PostgresReplicationSlotInactive (instance={REPLICAS[1]}) firing",
    ], "two rules never join"
    apart = timeline(tmp_path / "apart", [trigger()], [], [], [*disk(), *replicas((8, 14))])
    assert [t for _, t in rows_of(apart)][:2] == [
        f"Grafana alert {LAG} (instance={REPLICAS[0]}) firing",
        f"Grafana alert {LAG} (instance={REPLICAS[1]}) firing",
    ], "six minutes apart: two waves (wave_gap 5m)"
    short = timeline(tmp_path / "short", [trigger()], [], [], [*disk(), *replicas()],
                     config=config(wave_gap=timedelta(seconds=30)))  # fmt: skip
    assert len(rows_of(short)) == 4, "[collapse] wave_gap = 30s: a minute apart is two waves"


def test_one_instance_firing_twice_or_a_repeat_is_no_row_of_several(tmp_path: Path) -> None:
    """The same replica firing, clearing and firing again within the wave is one instance's
    story, not two instances: its rows stay."""
    one = REPLICAS[0]
    notes = [lag(8, one, "Normal", "Alerting"), lag(8.5, one, "Alerting", "Normal"),
             lag(9, one, "Normal", "Alerting"), lag(64, one, "Alerting", "Normal")]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], [*disk(), *notes])
    assert not [t for _, t in rows_of(tl) if " fired on " in t or " cleared on " in t], rows_of(tl)


def test_below_a_larger_min_series_three_instances_are_one_row_naming_them(
    tmp_path: Path,
) -> None:
    notes = [lag(8 + 0.5 * k, f"orders-pg-replica-{k + 1}", "Normal", "Alerting") for k in range(3)]
    tl = timeline(tmp_path, [trigger()], [], [], [*disk(), *notes], config=config(min_series=4))
    assert rows_of(tl) == [
        ("09:50", f"{LAG} fired on 3 instances (orders-pg-replica-1 … orders-pg-replica-3),"
                  " 09:50–09:51"),
    ]  # fmt: skip


def test_two_earlier_blips_stay_their_own_lead_up_rows(tmp_path: Path) -> None:
    """Two replicas that fired and cleared before the incident began: each is one lead-up row
    with its clearing (``blips``), never "fired on a and b" without the clearings."""
    a, b = REPLICAS
    notes = [lag(-30, a, "Normal", "Alerting"), lag(-29.5, b, "Normal", "Alerting"),
             lag(-25, a, "Alerting", "Normal"), lag(-24.8, b, "Alerting", "Normal")]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], [*disk(), *notes])
    rows = [t for _, t in rows_of(tl)]
    assert len(rows) == 2 and all(t.endswith("before the incident began") for t in rows), rows


# -- a milestone among them keeps its row and time ----------------------------------------------
def test_the_detecting_alerts_first_firing_takes_the_other_in_at_its_own_time(
    tmp_path: Path,
) -> None:
    """replica-1's firing is the incident's first: its row stays at 09:40, names replica-2's
    firing a minute later, and detection cites it at its own time."""
    notes = [*replicas((-2, -1), (64, 65)), lag(78, "orders-pg-0", "Normal", "Alerting", DISK)]
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    first = one(tl, f"(instance={REPLICAS[0]}) firing")
    assert first.summary == (
        f"Grafana alert {LAG} (instance={REPLICAS[0]}) firing; also on {REPLICAS[1]} at 09:41"
    )
    assert first.time == T0 - timedelta(minutes=2)
    assert first.reason.endswith("alert storm (one rule): 1 row joined"), first.reason
    assert [ln.label for ln in first.links] == ["Grafana panel", "last: Grafana panel"]
    detected = milestones(tl).detected
    assert detected is not None and detected.time == first.time
    assert detected.event.key == first.key, "the milestone cites the joined row"
    assert not [t for t in texts(tl) if t.endswith(f"(instance={REPLICAS[1]}) firing")]


def test_the_last_clearing_takes_the_other_in_and_stays_the_resolution_row(
    tmp_path: Path,
) -> None:
    """replica-2's clearing is the incident's last: its row stays at 10:47 and names both."""
    notes = [lag(-2, "orders-pg-0", "Normal", "Alerting", DISK),
             lag(30, "orders-pg-0", "Alerting", "Normal", DISK), *replicas()]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    last = one(tl, f"(instance={REPLICAS[1]}) resolved")
    assert last.summary == (
        f"Grafana alert {LAG} (instance={REPLICAS[1]}) resolved; both instances"
        f" ({REPLICAS[0]}, {REPLICAS[1]}) cleared, this one last, 10:46–10:47"
    )
    assert last.time == T0 + timedelta(minutes=65)
    assert not [t for t in texts(tl) if t.endswith(f"(instance={REPLICAS[0]}) resolved")]


# -- the last clearing's words, per class -------------------------------------------------------
GWS = [f"gw-{n}" for n in range(1, 9)]


def gw(minutes: float, name: str, prev: str, new: str) -> dict[str, Any]:
    return state(minutes, name, prev, new)


def last_row(tmp_path: Path, notes: list[dict[str, Any]]) -> Event:
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    (row,) = [e for e in tl.events if "resolved;" in e.summary]
    return row


def storm(refire: tuple[str, ...], last: str) -> list[dict[str, Any]]:
    """Eight gateways fire; gw-1..gw-5 clear at 10:15; ``refire`` fire again at 10:19; gw-6..gw-8
    and ``refire`` clear at 10:23, ``last`` at 10:24 (the incident's last clearing)."""
    late = GWS[5:]
    notes = [gw(-1 + 0.1 * k, g, "Normal", "Alerting") for k, g in enumerate(GWS)]
    notes += [gw(33 + 0.1 * k, g, "Alerting", "Normal") for k, g in enumerate(GWS[:5])]
    notes += [gw(37, g, "Normal", "Alerting") for g in refire]
    closing = [g for g in (*late, *refire) if g != last]
    notes += [gw(41 + 0.1 * k, g, "Alerting", "Normal") for k, g in enumerate(closing)]
    return [*notes, gw(42, last, "Alerting", "Normal")]


_CLUMSY = re.compile(r"again and last|this one again and|, [\w-]+ again, this one")


def said(row: Event) -> str:
    """The words the last clearing's wave added, after the head."""
    return row.summary.partition("resolved; ")[2]


def test_the_last_clearing_names_what_cleared_again_in_plain_words(tmp_path: Path) -> None:
    """Each class of the last wave: only new instances; others cleared again; the row's own
    instance cleared again; both. What cleared last stays named (the head, "this one"), the
    count stays the new instances' (5 + 3 = 8), the times stay last."""
    cases = {
        "new": storm((), "gw-8"),
        "others again": storm(("gw-2",), "gw-8"),
        "own again": storm(("gw-3",), "gw-3"),
        "both again": storm(("gw-2", "gw-3"), "gw-3"),
    }
    words = {name: said(last_row(tmp_path / name.replace(" ", "-"), notes))
             for name, notes in cases.items()}  # fmt: skip
    for name, text in words.items():
        assert text.startswith("the last 3 of 8 instances (gw-6 … gw-8) cleared, "), (name, text)
        assert not _CLUMSY.search(text), (name, text)
        assert re.search(r"cleared, (?:this one last|then this one again), 10:23–10:24", text)
        times = text.index("10:23–10:24")
        assert "gw-2" not in text[:times], ("the times before the names cleared again", text)
    assert words["new"].endswith("cleared, this one last, 10:23–10:24")
    assert words["others again"].endswith(", this one last, 10:23–10:24; gw-2 cleared again")
    assert words["own again"].endswith("cleared, then this one again, 10:23–10:24")
    assert words["both again"].endswith(", then this one again, 10:23–10:24; gw-2 cleared again")
    assert all("gw-3" not in words[n] for n in ("own again", "both again")), "the head names it"


def test_the_last_clearing_with_none_new_and_in_one_wave(tmp_path: Path) -> None:
    """Every instance of the last wave cleared before: "... cleared again, then this one
    again"; every instance in one wave: "all 8 instances cleared, this one last"."""
    notes = [gw(-1 + 0.1 * k, g, "Normal", "Alerting") for k, g in enumerate(GWS[:4])]
    notes += [gw(20 + 0.1 * k, g, "Alerting", "Normal") for k, g in enumerate(GWS[:4])]
    notes += [gw(30 + 0.1 * k, g, "Normal", "Alerting") for k, g in enumerate(GWS[:4])]
    notes += [gw(40 + 0.1 * k, g, "Alerting", "Normal") for k, g in enumerate(GWS[:4])]
    text = said(last_row(tmp_path, notes))
    assert text == "3 instances (gw-1 … gw-3) cleared again, then this one again, at 10:22", text
    notes = [gw(-1 + 0.1 * k, g, "Normal", "Alerting") for k, g in enumerate(GWS)]
    notes += [gw(33 + 0.1 * k, g, "Alerting", "Normal") for k, g in enumerate(GWS)]
    one_wave = said(last_row(tmp_path / "one", notes))
    assert one_wave == "all 8 instances cleared, this one last, at 10:15"
