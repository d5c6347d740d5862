"""People's plain messages counted from the raw records (``collectors._chatter``), before any
event is built, give exactly the draft that building every event and setting chatter aside in
the normalizer gives (issue #13: the offline hot path)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

import reconstruct.pipeline as pipeline
from reconstruct.collectors._chatter import ChatterTally
from reconstruct.config import Config
from reconstruct.model import Window
from reconstruct.render import RenderOptions
from tests.fakes.offline_world import offline_bundle

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
