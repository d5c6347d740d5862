"""A flag or job the responders name in the incident channel, whose name holds an affected
service's name as a part (``checkout-pricing-v2``), makes a tool's post elsewhere naming it this
incident's: LaunchDarkly's Slack app posting the flag's rollout changes in ``#feature-flags``
(a tester's incident lost all three as "bot posts about other services"). A name holding the
service's name that nobody in the incident channel wrote (``checkout-worker``) is still another
service's. Slack messages as ``conversations.history`` returns them; the PagerDuty incident as
``GET /incidents/{id}`` does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle
from reconstruct.config import Config
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from tests.test_concern_hosts import shared_channel_bundle
from tests.test_figures_wire import at, pd_incident, slack_ts

FLAGS = "C0FLAGS001"


def flag_post(minute: int, text: str) -> dict[str, Any]:
    profile = {"id": "B0LDARKLY1", "name": "LaunchDarkly", "app_id": "A0LDARKLY1"}
    return {
        "type": "message",
        "user": "U0LDARKLY1",
        "bot_id": "B0LDARKLY1",
        "text": text,
        "ts": slack_ts(at(14, minute), 0),
        "bot_profile": profile,
    }


def said(minute: int, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "user": "U0SAM00001",
        "text": text,
        "ts": slack_ts(at(14, minute), 0),
    }


def bundle(tmp_path: Path, words: str) -> Bundle:
    incident = pd_incident(at(14, 0), at(15, 0))
    incident["title"] = "Checkout 5xx above 5%"
    incident["service"] = {"id": "PSVC1", "type": "service_reference", "summary": "checkout"}
    posts = [
        flag_post(5, "Raj updated the flag checkout-pricing-v2 in Production: rollout 25% to 100%"),
        flag_post(9, "Kim updated the flag checkout-worker-batching in Production: on"),
    ]
    return shared_channel_bundle(
        tmp_path, incident, [said(20, words)], (FLAGS, "feature-flags"), posts
    )


def _doc(tmp_path: Path, words: str) -> dict[str, Any]:
    tl = build_timeline(bundle(tmp_path, words), Config())
    return json.loads(render(tl, RenderOptions("json"), Config()))  # type: ignore[no-any-return]


def test_a_flag_the_responders_name_makes_its_posts_elsewhere_this_incidents(
    tmp_path: Path,
) -> None:
    doc = _doc(tmp_path, "rolled back: turned off checkout-pricing-v2, 5xx dropping")
    shown = [e["summary"] for e in doc["events"]]
    assert any("checkout-pricing-v2 in Production: rollout 25% to 100%" in s for s in shown), shown
    assert not any("checkout-worker-batching" in s for s in shown), "nobody named that one"
    reasons = doc["records"]["slack"]["omitted"]
    assert reasons == {"bot posts about other services in slack:#feature-flags": 1}, reasons


def test_without_the_responders_naming_it_the_flags_posts_are_another_services(
    tmp_path: Path,
) -> None:
    doc = _doc(tmp_path, "rolled back the pricing change, 5xx dropping")
    shown = [e["summary"] for e in doc["events"]]
    assert not any("checkout-pricing-v2" in s for s in shown), shown
    reasons = doc["records"]["slack"]["omitted"]
    assert reasons == {"bot posts about other services in slack:#feature-flags": 2}, reasons
