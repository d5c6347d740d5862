"""``refs_in_text``: the refs table of docs/design.md."""

from __future__ import annotations

import pytest

from reconstruct.normalize.refs import refs_in_text


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("see https://github.com/Acme/Checkout/pull/42.", {"pr:acme/checkout#42"}),
        ("https://github.com/acme/checkout/pull/42/files", {"pr:acme/checkout#42"}),
        ("paged: https://acme.pagerduty.com/incidents/PABC123", {"pd:pabc123"}),
        ("[#1234] checkout 5xx", {"pd#1234"}),
        ("this is Incident #77, folks", {"pd#77"}),
        ("we shipped #77", set()),
        ("Deployed abc1234def to prod", {"sha:abc1234"}),
        ("Deployed ABC1234 to prod", {"sha:abc1234"}),
        ("deadbeef and 12345678 are no SHAs", set()),
        ("abc123 is too short", set()),
        ("[FIRING:1] HighErrorRate (checkout production)", {"rule:higherrorrate:firing"}),
        (
            "[RESOLVED] High  Error Rate - checkout",
            {"rule:high error rate:resolved", "rule:high error:resolved", "rule:high:resolved"},
        ),
        (
            "[FIRING:1] CheckoutErrorRate checkout (Checkout critical) — **Firing**",
            {"rule:checkouterrorrate checkout:firing", "rule:checkouterrorrate:firing"},
        ),
        ("[Alerting] DiskFull", {"rule:diskfull:firing"}),
        ("release v2.3.1 is out", {"deploy:v2.3.1"}),
        ("release v2.3.1-rc.1, then", {"deploy:v2.3.1-rc.1"}),
        ("v2 is a word, v2.3.1x is not a tag", set()),
        (
            "graph https://grafana.acme.io/d/a1b2c3d4/checkout?orgId=1",
            {"url:grafana.acme.io/d/a1b2c3d4/checkout"},
        ),
        ("https://Status.Acme.io/", {"url:status.acme.io"}),
        ("https://github.com/acme/checkout/commit/0123abcdef0123", {"sha:0123abc"}),
        ("", set()),
    ],
)
def test_refs_in_text(text: str, refs: set[str]) -> None:
    assert refs_in_text(text) == refs


def test_without_tokens_only_links_and_incident_numbers_are_read() -> None:
    text = "[FIRING:1] X\nabc1234 v2.3.1 [#12] https://github.com/a/b/pull/3"
    assert refs_in_text(text, tokens=False) == {"pd#12", "pr:a/b#3"}
    assert refs_in_text(text) == {
        "rule:x:firing",
        "sha:abc1234",
        "deploy:v2.3.1",
        "pd#12",
        "pr:a/b#3",
    }
