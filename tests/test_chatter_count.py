"""People's plain messages counted from the raw records (``collectors._chatter``), before any
event is built, give exactly the draft that building every event and setting chatter aside in
the normalizer gives (issue #13: the offline hot path). The channel is ``offline_world``'s: the
shapes today's Web API returns (``rich_text`` blocks beside the text, mentions, links, edits,
reactions, threads)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import reconstruct.pipeline as pipeline
from reconstruct.collectors._chatter import ChatterTally
from reconstruct.config import Config
from reconstruct.model import Window
from reconstruct.render import RenderOptions
from tests.fakes.offline_world import CHANNEL, offline_bundle

NOW = datetime(2026, 11, 30, tzinfo=UTC)


@contextmanager
def _build_everything(window: Window, says: Callable[[str], bool]) -> Iterator[ChatterTally]:
    tally = ChatterTally(0, 0, says)
    tally.take = lambda *args: False  # type: ignore[method-assign]  # every record an event
    yield tally


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_counting_chatter_early_changes_nothing_in_the_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    incident, bundle = offline_bundle(3000, tmp_path / "bundle", seed=5)
    request = pipeline.RunRequest(incident=incident, bundle=bundle)
    config = Config.model_validate({"classify": {}})
    early, result = pipeline.draft(request, config, NOW, RenderOptions(fmt=fmt))
    chatter = result.timeline.omitted["slack:#inc-4321"]
    assert chatter > 2500, "most of the channel is plain chatter, counted"
    assert result.timeline.collected["slack"] == 3000, "every message is counted as collected"
    monkeypatch.setattr(pipeline, "counting_chatter", _build_everything)
    late, again = pipeline.draft(request, config, NOW, RenderOptions(fmt=fmt))
    assert early == late
    assert again.timeline.omitted == result.timeline.omitted
    assert again.timeline.collected == result.timeline.collected


def test_a_keyword_keeps_a_plain_message(tmp_path: Path) -> None:
    incident, bundle = offline_bundle(3000, tmp_path / "bundle", seed=5)
    request = pipeline.RunRequest(incident=incident, bundle=bundle)
    text, _ = pipeline.draft(request, Config(), NOW, RenderOptions(fmt="markdown"))
    assert "root cause is the cache ttl" in text.lower()


def _channel_messages(bundle: Path) -> dict[str, dict[str, Any]]:
    """Every message record of the incident channel (history and replies), by its key."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((bundle / "slack" / CHANNEL).rglob("*.json")):
        for page in json.loads(path.read_bytes()):
            for message in page.get("messages", []):
                out[f"slack:{CHANNEL}:{message['ts']}"] = message
    return out


def test_plain_messages_with_their_rich_text_blocks_are_counted_before_any_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Today's Web API gives a person's message its composer ``rich_text`` block beside the text
    (mentions as ``user`` elements, links as ``link`` elements): such a message is still plain
    chatter, counted from the raw record, and the draft is the same as when every message is
    built into an event and the normalizer sets it aside."""
    incident, bundle = offline_bundle(3000, tmp_path / "bundle", seed=7)
    tallies: list[ChatterTally] = []
    counting = pipeline.counting_chatter

    @contextmanager
    def _kept(window: Window, says: Callable[[str], bool]) -> Iterator[ChatterTally]:
        with counting(window, says) as tally:
            tallies.append(tally)
            yield tally

    monkeypatch.setattr(pipeline, "counting_chatter", _kept)
    request = pipeline.RunRequest(incident=incident, bundle=bundle)
    config = Config.model_validate({"classify": {}})
    early, result = pipeline.draft(request, config, NOW, RenderOptions(fmt="markdown"))
    records = _channel_messages(bundle)
    taken = [records[key] for key in tallies[0].keys]
    assert len(taken) > 1500, "most of the channel is counted from the raw records"
    assert all(m["blocks"][0]["type"] == "rich_text" for m in taken)
    assert any(el["type"] == "user" for m in taken for el in _elements(m)), "a mention"
    assert any(el["type"] == "link" for m in taken for el in _elements(m)), "a labelled link"
    assert any("&amp;" in m["text"] for m in taken), "an escaped & in a link's URL"
    assert not any({"thread_ts", "edited", "reactions", "subtype"} & m.keys() for m in taken)
    monkeypatch.setattr(pipeline, "counting_chatter", _build_everything)
    late, again = pipeline.draft(request, config, NOW, RenderOptions(fmt="markdown"))
    assert early == late
    assert again.timeline.omitted == result.timeline.omitted
    assert again.timeline.accounts == result.timeline.accounts


def _elements(message: dict[str, Any]) -> list[dict[str, Any]]:
    section = message["blocks"][0]["elements"][0]
    elements: list[dict[str, Any]] = section["elements"]
    return elements
