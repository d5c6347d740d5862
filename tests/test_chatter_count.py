"""People's plain messages counted from the raw records (``collectors._chatter``), before any
event is built, give exactly the draft that building every event and setting chatter aside in
the normalizer gives (issue #13: the offline hot path). The channel is ``offline_world``'s: the
shapes today's Web API returns (``rich_text`` blocks beside the text, mentions, links, edits,
reactions, threads)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reconstruct.pipeline as pipeline
import tests.test_selection_wire as selection_wire
from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors._chatter import ChatterTally, counting_chatter
from reconstruct.collectors.skips import recording
from reconstruct.collectors.slack.parse import parse as slack_parse
from reconstruct.config import Config
from reconstruct.model import Window
from reconstruct.render import RenderOptions
from tests.fakes.offline_world import CHANNEL, offline_bundle

NOW = datetime(2026, 11, 30, tzinfo=UTC)


@contextmanager
def _build_everything(
    window: Window, says: Callable[[str], bool], *_: object
) -> Iterator[ChatterTally]:
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
    def _kept(window: Window, says: Callable[[str], bool], *more: Any) -> Iterator[ChatterTally]:
        with counting(window, says, *more) as tally:
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
    assert not any("subtype" in m or "reply_count" in m for m in taken), "no broadcast, parent"
    assert any(m.get("thread_ts", m["ts"]) != m["ts"] for m in taken), "a thread reply"
    assert any("edited" in m for m in taken), "an edited message"
    assert any("reactions" in m for m in taken), "a reaction [select] emoji does not keep"
    kept = set(Config().select.emoji)
    assert not any(r["name"].split("::")[0] in kept for m in taken for r in m.get("reactions", []))
    monkeypatch.setattr(pipeline, "counting_chatter", _build_everything)
    late, again = pipeline.draft(request, config, NOW, RenderOptions(fmt="markdown"))
    assert early == late
    assert again.timeline.omitted == result.timeline.omitted
    assert again.timeline.accounts == result.timeline.accounts


def _elements(message: dict[str, Any]) -> list[dict[str, Any]]:
    section = message["blocks"][0]["elements"][0]
    elements: list[dict[str, Any]] = section["elements"]
    return elements


PIECES = [
    "checking the pool", "root cause", " ", "  ", "\n", "\t", "<@U0001ACME>", "<@U0009ZZZZ|old>",
    "<https://grafana.acme.example/d/x?orgId=1&amp;viewPanel=4|p99 panel>",
    "<https://runbooks.acme.example/cache>", "<#C0INC4321A|inc>", "<!here>", "*bold*",
    "_italic_", "~gone~", "snake_case_name", "&lt;tag&gt;", "&amp;", ":eyes:", "café", "PR #1187",
]  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.sampled_from(PIECES), min_size=1, max_size=7).map("".join),
        min_size=1,
        max_size=25,
    )
)
def test_the_chatter_count_reads_each_text_as_its_row_shows_it(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    """What the chatter path tests for keywords is the summary the message's row would have:
    mentions by display name, links by label, markup and escapes read, whitespace collapsed."""
    incident, bundle_path = offline_bundle(0, tmp_path_factory.mktemp("b") / "bundle")
    bundle = Bundle.open(bundle_path)
    start = int(bundle.manifest.window.start.timestamp()) + 60
    messages = [
        {"user": "U0002ACME", "type": "message", "ts": f"{start + i}.000100", "text": text,
         "team": "T0ACME4C2", "blocks": [{"type": "rich_text", "block_id": "a1", "elements": []}]}
        for i, text in enumerate(texts)
    ]  # fmt: skip
    history = f"slack/{CHANNEL}/conversations.history.json"
    with BundleWriter(bundle_path, incident) as out:  # the same bundle, these messages in it
        for rel in bundle.files():
            out.add(
                rel, bundle.pages(rel) if rel != history else [{"ok": True, "messages": messages}]
            )
        for name, status in bundle.manifest.sources.items():
            out.set_source(name, status.status, status.error, status.meta)
        out.finish(bundle.manifest.window, bundle.manifest.collected_at)
    read: list[str] = []

    def keeps(text: str) -> bool:  # "says something": every message is built into its row
        read.append(text)
        return True

    with recording(), counting_chatter(bundle.manifest.window, keeps):
        rows = list(slack_parse(Bundle.open(bundle_path)))
    summaries = [row.summary for row in rows if row.summary]
    assert read == summaries


def _tagged(when: datetime, text: str, n: int, **extra: Any) -> dict[str, Any]:
    """A person's message with a thread reply's, an edit's or reactions' keys (Web API shapes)."""
    return {**selection_wire.message(when, text, n=n), **extra}


def test_thread_replies_edits_and_reactions_are_counted_unless_they_name_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread reply, an edited message and one with a reaction ``[select] emoji`` does not
    keep end as chatter ("messages without a keyword, pin or reaction in <scope>"), so they are
    counted from the raw records; one whose text names a commit (read for the lead-up when not
    shown: ``leadup.choose``'s ``said``) or that a reaction keeps is built. The Markdown draft
    and the JSON accounts are byte-identical either way."""
    t0, inc = selection_wire.T0, selection_wire.INC
    parent = selection_wire.ts(t0 + timedelta(minutes=3))
    minute = [t0 + timedelta(minutes=m) for m in range(4, 60)]
    edit = {"user": "U0PRIYA", "ts": selection_wire.ts(t0 + timedelta(minutes=59))}
    messages = [
        _tagged(t0 + timedelta(minutes=3), "anyone on this?", 0, thread_ts=parent,
                reply_count=3, reply_users=["U0PRIYA"], latest_reply=parent),
        _tagged(minute[0], "looking", 0, thread_ts=parent, parent_user_id="U0PRIYA"),
        _tagged(minute[1], "same here", 0, edited=edit),
        _tagged(minute[2], "ok", 0, reactions=[{"name": "+1::skin-tone-3", "users": ["U1"]}]),
        _tagged(minute[3], "was it 9c1e7a4?", 0, thread_ts=parent, parent_user_id="U0PRIYA"),
        _tagged(minute[4], "deployed 9c1e7a4f0b2d", 0, edited=edit),
        _tagged(minute[5], "see <https://github.com/acme/checkout/commit/9c1e7a4f>", 0,
                thread_ts=parent, parent_user_id="U0PRIYA"),
        _tagged(minute[6], "on it", 0, reactions=[{"name": "pushpin", "users": ["U1"]}]),
        *(selection_wire.message(when, "still looking", n=1) for when in minute[7:]),
        *(_tagged(when, "mhm", 2, thread_ts=parent, parent_user_id="U0PRIYA")
          for when in minute[7:]),
    ]  # fmt: skip
    deployment = {
        "id": 77,
        "sha": selection_wire.SHA,
        "ref": "main",
        "environment": "production",
        "created_at": selection_wire.iso(t0 - timedelta(days=2)),
    }
    statuses = [
        {"id": 1, "state": "success", "created_at": selection_wire.iso(t0 - timedelta(days=2))}
    ]
    prs = [selection_wire.pr_item(1194, "Tune the payment widget", t0 - timedelta(days=3))]
    selection_wire.timeline(
        tmp_path, slack={inc: messages}, prs=prs, deployments=[(deployment, statuses)]
    )
    request = pipeline.RunRequest(incident="Q1INC47", bundle=tmp_path / "bundle")
    tallies: list[ChatterTally] = []
    counting = pipeline.counting_chatter

    @contextmanager
    def _kept(window: Window, says: Callable[[str], bool], *more: Any) -> Iterator[ChatterTally]:
        with counting(window, says, *more) as tally:
            tallies.append(tally)
            yield tally

    drafts: dict[str, list[str]] = {}
    for counting_early in (_kept, _build_everything):
        monkeypatch.setattr(pipeline, "counting_chatter", counting_early)
        for fmt in ("markdown", "json"):
            text, _ = pipeline.draft(request, Config(), NOW, RenderOptions(fmt=fmt))
            drafts.setdefault(fmt, []).append(text)
    assert drafts["markdown"][0] == drafts["markdown"][1]
    assert drafts["json"][0] == drafts["json"][1]
    accounts = json.loads(drafts["json"][0])["records"]["slack"]
    assert accounts["collected"] == len(messages)
    texts = {m["ts"]: m["text"] for m in messages}
    taken = {texts[key.rpartition(":")[2]] for key in tallies[0].keys}
    assert {"looking", "same here", "ok", "mhm", "still looking"} <= taken
    named = {"was it 9c1e7a4?", "deployed 9c1e7a4f0b2d", "anyone on this?", "on it"}
    assert not taken & named, "a commit named, a parent, a kept reaction: built as events"
    assert not any("github.com" in t for t in taken)
    assert "on it" in drafts["markdown"][0], "the :pushpin: reaction keeps it"
