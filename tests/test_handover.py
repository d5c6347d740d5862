"""``collectors._partial.Handover``: exactly one of the source and the orchestrator writes the
pages read; the cut's line names the request in flight and what was kept (issue #13)."""

from __future__ import annotations

from reconstruct.collectors._partial import Handover


def test_the_cut_writes_what_was_offered_and_the_source_then_writes_nothing() -> None:
    handover = Handover()
    written: list[str] = []
    handover.offer(lambda: written.append("pages") or ["events (3)"])
    with handover.asking("events page 2"):
        line = handover.line("--timeout")
    assert written == ["pages"]
    assert line == (
        "events page 2: no complete answer by the --timeout deadline (the server did not answer, "
        "or kept sending); rerun later or with a larger --timeout (kept: events (3))"
    )
    assert handover.cut_off and not handover.claim()


def test_a_source_that_claimed_its_write_is_not_written_again() -> None:
    handover = Handover()
    written: list[str] = []
    handover.offer(lambda: written.append("pages") or ["events (3)"])
    assert handover.claim()
    assert handover.cut() == ("the next request", [])
    assert written == []


def test_a_write_racing_the_abandoned_thread_is_tried_again() -> None:
    handover = Handover()
    tries: list[int] = []

    def write() -> list[str]:
        tries.append(1)
        if len(tries) == 1:
            raise RuntimeError("dictionary changed size during iteration")
        return ["acme/api (2 deployments)"]

    handover.offer(write)
    assert handover.cut() == ("the next request", ["acme/api (2 deployments)"])
    assert len(tries) == 2
