"""The normalizer: dedup, cross-tool merge, classification, selection, leadup, window, order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from reconstruct.config import ClassifyConfig, Config, GitHubConfig, NormalizeConfig, SelectConfig
from reconstruct.model import Event, Incident, Kind, Link, Window
from reconstruct.normalize import OUTSIDE, Normalized, normalize
from reconstruct.timeutil import TimeFormatError

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
"""The incident's start; the window runs T0 - 1h .. T0 + 3h, the leadup from T0 - 14d."""
WINDOW = Window(
    start=T0 - timedelta(hours=1), end=T0 + timedelta(hours=3), leadup_start=T0 - timedelta(days=14)
)
INCIDENT = Incident(
    id="PABC123",
    number=1234,
    title="Checkout errors",
    severity="P1",
    services=("checkout",),
    started_at=T0,
    resolved_at=T0 + timedelta(hours=2),
    url="https://acme.pagerduty.com/incidents/PABC123",
)
INC = "slack:#inc-1234"
CHECKOUT_TIE = '; tie to the incident: repository named like the affected service "checkout"'
"""The reason's tail of a change of the window in acme/checkout (``normalize.during``)."""
PD_URL = "https://acme.pagerduty.com/incidents/PABC123"


def ev(
    key: str,
    summary: str = "",
    *,
    at: float = 0,
    kind: Kind = Kind.MESSAGE,
    tags: tuple[str, ...] = (),
    refs: tuple[str, ...] = (),
    scope: str | None = None,
    url: str | None = None,
    when: datetime | None = None,
) -> Event:
    """An event from the source named by the key's prefix, ``at`` seconds after T0."""
    source = key.split(":", 1)[0]
    if scope is None:
        scope = INC if source == "slack" else source
    return Event(
        time=when if when is not None else T0 + timedelta(seconds=at),
        kind=kind,
        summary=summary,
        sources=(source,),
        links=(Link(source, url or f"https://{source}.example/{key}"),),
        key=key,
        refs=frozenset(refs),
        tags=frozenset(tags),
        scope=scope,
    )


def human(key: str, text: str, *, at: float = 0, tags: tuple[str, ...] = (), **kw: object) -> Event:
    return ev(f"slack:{key}", text, at=at, tags=("human", "incident-channel", *tags), **kw)  # type: ignore[arg-type]


def bot(
    key: str,
    text: str,
    *,
    at: float = 0,
    tags: tuple[str, ...] = ("incident-channel",),
    **kw: object,
) -> Event:
    return ev(f"slack:{key}", text, at=at, tags=("bot", *tags), **kw)  # type: ignore[arg-type]


def run(*events: Event, config: Config | None = None) -> Normalized:
    return normalize(list(events), INCIDENT, WINDOW, config or Config())


def by_key(result: Normalized) -> dict[str, Event]:
    return {e.key: e for e in result.events}


# --- cross-tool merge: positive cases ---------------------------------------------------------


def pd_trigger(at: float = 0) -> Event:
    return ev(
        "pagerduty:log_entry:Q1",
        "Triggered: checkout 5xx above 5%",
        at=at,
        kind=Kind.ALERT,
        tags=("state:triggered",),  # as the parser tags a trigger log entry
        refs=("pd:pabc123", "pd#1234"),
        url=PD_URL,
    )


def test_pagerduty_trigger_and_the_pagerduty_apps_slack_post_are_one_row() -> None:
    post = bot("C1:1.1", "Triggered [#1234] checkout 5xx above 5%", at=4)
    result = run(post, pd_trigger())
    assert len(result.events) == 1
    row = result.events[0]
    assert row.sources == ("pagerduty", "slack")
    assert row.kind is Kind.ALERT
    assert row.summary == "Triggered: checkout 5xx above 5%"  # pagerduty outranks slack
    assert row.time == T0  # the earliest record
    assert row.key == "pagerduty:log_entry:Q1"
    assert {link.source for link in row.links} == {"pagerduty", "slack"}
    assert list(row.links) == sorted(row.links)
    assert row.reason == "PagerDuty state change; also seen in slack"
    assert {"bot", "pd#1234", "pd:pabc123"} <= row.tags | row.refs
    assert result.merged == 1


def test_github_deploy_deploy_bot_post_and_grafana_annotation_are_one_row() -> None:
    deploy = ev(
        "github:deployment:acme/checkout:42:success",
        "Deploy v2.3.1 (abc1234) to production",
        at=60,
        kind=Kind.DEPLOY,
        tags=("production",),
        refs=("sha:abc1234", "deploy:v2.3.1"),
        scope="github:acme/checkout",
    )
    post = bot(
        "C2:2.2",
        "Deployed checkout abc1234def to production",
        at=75,
        tags=(),
        scope="slack:#deploys",
    )
    annotation = ev(
        "grafana:annotation:1124",
        "deploy checkout abc1234def0 (tags: deploy)",
        at=30,
        kind=Kind.DEPLOY,
    )
    result = run(post, annotation, deploy)
    assert len(result.events) == 1
    row = result.events[0]
    assert row.sources == ("github", "grafana", "slack")
    assert row.summary == "Deploy v2.3.1 (abc1234) to production"
    assert row.time == T0 + timedelta(seconds=30)
    assert len(row.links) == 3
    assert row.reason == (f"deploy to production; also seen in grafana, slack{CHECKOUT_TIE}")
    assert result.merged == 2
    assert result.omitted == {}


def test_grafana_alert_clearing_and_grafana_bot_resolved_post_are_one_row() -> None:
    clearing = ev(
        "grafana:annotation:77:normal",
        "Grafana alert HighErrorRate: Alerting → Normal",
        at=3600,
        kind=Kind.ALERT,
        refs=("rule:higherrorrate:resolved",),
        tags=("state:normal",),
    )
    post = bot("C1:3.3", "[RESOLVED] HighErrorRate (checkout production)", at=3640)
    result = run(clearing, post)
    assert [e.sources for e in result.events] == [("grafana", "slack")]
    assert result.events[0].kind is Kind.ALERT
    assert result.events[0].reason == "alert state change; also seen in slack"


# --- cross-tool merge: negative cases ---------------------------------------------------------


def test_records_close_in_time_without_a_shared_ref_stay_apart() -> None:
    ack = ev("pagerduty:log_entry:Q2", "Acknowledged by Ann", at=100, kind=Kind.ACK)
    post = bot("C1:4.4", "Ann acknowledged the page", at=101)
    result = run(ack, post)
    assert len(result.events) == 2
    assert all(len(e.sources) == 1 for e in result.events)


def test_a_person_linking_a_pr_never_merges_with_the_pr_merge() -> None:
    merge = ev(
        "github:pr:acme/checkout:42",
        "Merged PR #42: Reduce cache TTL",
        at=10,
        kind=Kind.CHANGE,
        refs=("pr:acme/checkout#42", "sha:abc1234"),
        scope="github:acme/checkout",
    )
    link = human(
        "C1:5.5", "merged https://github.com/acme/checkout/pull/42 abc1234", at=12, tags=("pinned",)
    )
    # Even a person's record of the very same kind stays apart.
    same_kind = ev(
        "slack:C1:5.6",
        "https://github.com/acme/checkout/pull/42",
        at=11,
        kind=Kind.CHANGE,
        tags=("human", "incident-channel", "pinned"),
    )
    result = run(merge, link, same_kind)
    rows = by_key(result)
    assert len(rows) == 3
    assert "pr:acme/checkout#42" in rows["slack:C1:5.5"].refs  # the ref was read...
    assert rows["github:pr:acme/checkout:42"].sources == ("github",)  # ...and not merged on
    assert rows["slack:C1:5.6"].sources == ("slack",)


def test_firing_and_resolved_of_the_same_rule_never_merge() -> None:
    dashboard = "https://grafana.acme.io/d/abc123/checkout"
    firing = ev(
        "grafana:annotation:80:alerting",
        "Grafana alert HighErrorRate: Normal → Alerting",
        at=0,
        kind=Kind.ALERT,
        refs=("rule:higherrorrate:firing",),
        url=dashboard,
    )
    resolved = bot("C1:6.6", f"[RESOLVED] HighErrorRate {dashboard}", at=30)
    firing_post = bot("C1:6.7", f"[FIRING:1] HighErrorRate {dashboard}", at=40)
    result = run(firing, resolved, firing_post)
    rows = by_key(result)
    assert len(rows) == 2
    assert rows["grafana:annotation:80:alerting"].sources == ("grafana", "slack")
    assert "rule:higherrorrate:firing" in rows["grafana:annotation:80:alerting"].refs
    assert rows["slack:C1:6.6"].sources == ("slack",)
    assert "rule:higherrorrate:resolved" in rows["slack:C1:6.6"].refs


def test_firing_and_resolved_stay_apart_even_when_they_share_another_ref() -> None:
    firing = ev(
        "grafana:annotation:81:alerting",
        "Grafana alert HighErrorRate: Normal → Alerting",
        at=0,
        kind=Kind.ALERT,
        refs=("rule:higherrorrate:firing", "pd#1234"),
    )
    resolved = bot("C1:6.8", "[RESOLVED] HighErrorRate [#1234]", at=30)
    result = run(firing, resolved)
    assert [e.sources for e in result.events] == [("grafana",), ("slack",)]
    assert "pd#1234" in result.events[1].refs


def test_the_deploy_bots_posts_in_two_channels_join_the_one_deployment() -> None:
    deploy = ev(
        "github:deployment:acme/checkout:42:success",
        "Deploy abc1234 to production",
        at=60,
        kind=Kind.DEPLOY,
        refs=("sha:abc1234",),
        scope="github:acme/checkout",
    )
    in_incident = bot("C1:2.1", "Deployed checkout abc1234 to production", at=62)
    in_deploys = bot(
        "C2:2.1", "Deployed checkout abc1234 to production", at=63, tags=(), scope="slack:#deploys"
    )
    (row,) = run(deploy, in_incident, in_deploys).events
    assert row.sources == ("github", "slack")
    assert {link.url for link in row.links} == {
        "https://github.example/github:deployment:acme/checkout:42:success",
        "https://slack.example/slack:C1:2.1",
        "https://slack.example/slack:C2:2.1",
    }


def test_staging_and_production_deploys_of_one_sha_stay_two_rows() -> None:
    staging = ev(
        "github:deployment:acme/checkout:41:success",
        "Deploy abc1234 to staging",
        at=0,
        kind=Kind.DEPLOY,
        refs=("sha:abc1234",),
        scope="github:acme/checkout",
    )
    prod = ev(
        "github:deployment:acme/checkout:42:success",
        "Deploy abc1234 to production",
        at=120,
        kind=Kind.DEPLOY,
        refs=("sha:abc1234",),
        tags=("production",),
        scope="github:acme/checkout",
    )
    post = bot("C2:7.7", "Deployed abc1234 to production", at=125, tags=(), scope="slack:#deploys")
    result = run(staging, prod, post)
    rows = by_key(result)
    assert len(rows) == 2
    assert rows["github:deployment:acme/checkout:41:success"].sources == ("github",)
    assert rows["github:deployment:acme/checkout:42:success"].sources == ("github", "slack")
    # and without the Slack post, the two GitHub records are never one
    assert len(run(staging, prod).events) == 2


def test_records_further_apart_than_the_merge_window_stay_apart() -> None:
    post = bot("C1:8.8", "Triggered [#1234] checkout 5xx above 5%", at=6 * 60)
    assert len(run(pd_trigger(), post).events) == 2
    wider = Config(normalize=NormalizeConfig(merge_window=timedelta(minutes=10)))
    assert len(run(pd_trigger(), post, config=wider).events) == 1


def test_a_row_holds_one_record_per_source_closest_pair_first() -> None:
    far = bot("C1:9.1", "Triggered [#1234] checkout", at=100)
    near = bot("C1:9.2", "Triggered [#1234] checkout again", at=5)
    rows = by_key(run(pd_trigger(), far, near))
    assert rows["pagerduty:log_entry:Q1"].sources == ("pagerduty", "slack")
    assert any(link.url.endswith("C1:9.2") for link in rows["pagerduty:log_entry:Q1"].links)
    assert rows["slack:C1:9.1"].sources == ("slack",)


# --- exact duplicates -------------------------------------------------------------------------


def test_a_broadcast_seen_in_history_and_replies_is_one_event() -> None:
    history = human("C1:10.0", "root cause: the cache TTL change", at=50, tags=("broadcast",))
    reply = human(
        "C1:10.0", "root cause: the cache TTL change", at=50, tags=("broadcast", "thread-reply")
    )
    result = run(history, reply, history)
    assert len(result.events) == 1
    assert {"broadcast", "thread-reply"} <= result.events[0].tags
    assert result.duplicates == 2


# --- classification ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        (
            "Declaring a SEV-1 incident for checkout",
            Kind.DECLARE,
            'keyword "declaring a sev-1 incident"',
        ),
        ("Found the root cause: cache TTL at 1s", Kind.IDENTIFY, 'keyword "root cause"'),
        ("Rolling back v2.3.1 now", Kind.MITIGATE, 'keyword "rolling back"'),
        ("error rate back to baseline, all clear", Kind.RESOLVE, 'keyword "all clear"'),
    ],
)
def test_default_patterns_classify_peoples_messages(text: str, kind: Kind, reason: str) -> None:
    (row,) = run(human("C1:11.1", text)).events
    assert row.kind is kind
    assert row.reason == reason


def test_unclassified_plain_messages_are_counted_not_shown() -> None:
    result = run(human("C1:12.1", "looking at graphs"), human("C1:12.2", "anyone on it?"))
    assert result.events == ()
    assert result.omitted == {INC: 2}


def test_custom_patterns_replace_the_defaults() -> None:
    config = Config(classify=ClassifyConfig(identify=(r"\bculprit\b",)))
    result = run(
        human("C1:13.1", "The culprit is the TTL"),
        human("C1:13.2", "root cause is the TTL"),
        config=config,
    )
    rows = by_key(result)
    assert rows["slack:C1:13.1"].kind is Kind.IDENTIFY
    assert rows["slack:C1:13.1"].reason == 'keyword "culprit"'
    assert "slack:C1:13.2" not in rows
    assert result.omitted == {INC: 1}


def test_bot_posts_take_the_first_matching_bot_kind() -> None:
    rows = by_key(
        run(
            bot(
                "C1:14.1", "[FIRING:2] DiskFull and the deploy rollback", tags=("incident-channel",)
            ),
            bot("C3:14.2", "PR #42 merged into checkout main", tags=(), scope="slack:#eng"),
            bot("C3:14.3", "weekly digest", tags=(), scope="slack:#eng"),
            bot("C3:14.5", "Deployed search-api 7d3e0b2 to prod", tags=(), scope="slack:#eng"),
            bot("C3:14.6", "Deployed checkout-admin 7d3e0b2", tags=(), scope="slack:#eng"),
        )
    )
    assert rows["slack:C1:14.1"].kind is Kind.ALERT  # alert comes before deploy
    assert rows["slack:C1:14.1"].reason == "bot post in incident channel"
    assert rows["slack:C3:14.2"].kind is Kind.CHANGE
    assert rows["slack:C3:14.2"].reason == "bot post (change) about checkout"
    assert "slack:C3:14.3" not in rows
    # another service's deploy in a shared channel is counted, not shown
    assert "slack:C3:14.5" not in rows
    assert "slack:C3:14.6" not in rows
    custom = Config(classify=ClassifyConfig(bot_kinds={"deploy": (r"\bshipped\b",)}))
    (row,) = run(bot("C1:14.4", "shipped checkout"), config=custom).events
    assert row.kind is Kind.DEPLOY


def test_an_unknown_bot_kind_or_bad_pattern_is_refused_when_the_config_is_read() -> None:
    # load_config turns these into one ConfigError line naming the key (tests/test_config.py)
    with pytest.raises(ValidationError, match="unknown kind 'deployed'"):
        ClassifyConfig(bot_kinds={"deployed": ("x",)})
    with pytest.raises(ValidationError, match="bad regular expression"):
        ClassifyConfig(bot_kinds={"alert": ("(",)})


def test_person_patterns_do_not_apply_to_bots_nor_bot_kinds_to_people() -> None:
    rows = by_key(
        run(
            human("C1:15.1", "deployed the fix", tags=("pinned",)),
            bot("C1:15.2", "root cause analysis template", tags=("x",)),
        )
    )
    assert rows["slack:C1:15.1"].kind is Kind.MESSAGE
    assert rows["slack:C1:15.1"].reason == "pinned"
    assert "slack:C1:15.2" not in rows


# --- selection --------------------------------------------------------------------------------


def test_selection_keeps_what_matters_and_counts_the_rest_per_channel() -> None:
    result = run(
        human("C1:16.1", "hmm"),
        human("C1:16.2", "the dashboard is red", tags=("pinned",)),
        human("C1:16.3", "paging db team", tags=("reaction:pushpin", "reaction:white_check_mark")),
        human("C1:16.4", "lol", tags=("reaction:joy",)),
        human("C1:16.9", "looking", tags=("reaction:eyes",)),  # "looking": no significance
        bot("C1:16.5", "Reminder: update the status page"),
        bot("C9:16.6", "lunch menu", tags=(), scope="slack:#random"),
        bot("C9:16.7", "Incident #1234 is now SEV-2", tags=(), scope="slack:#random"),
        human("C9:16.8", "brb", scope="slack:#random", tags=()),
        ev(
            "pagerduty:log_entry:Q9",
            "Note: customers affected",
            at=5,
            kind=Kind.UPDATE,
            tags=("note",),
        ),
        ev("pagerduty:log_entry:Q10", "Notified Ann by SMS", at=6, kind=Kind.PAGE),
        ev("grafana:annotation:5", "Scaled checkout to 12 pods", at=7, kind=Kind.ANNOTATION),
        ev(
            "github:pr:acme/checkout:9",
            "Merged PR #9: hotfix",
            at=8,
            kind=Kind.CHANGE,
            scope="github:acme/checkout",
        ),
    )
    reasons = {e.key: e.reason for e in result.events}
    assert reasons == {
        "slack:C1:16.2": "pinned",
        "slack:C1:16.3": "reaction :pushpin:; reaction :white_check_mark:",
        "slack:C1:16.5": "bot post in incident channel",
        "slack:C9:16.7": "bot post about the incident",
        "pagerduty:log_entry:Q9": "PagerDuty note",
        "pagerduty:log_entry:Q10": "responder paged",
        "grafana:annotation:5": "dashboard annotation",
        "github:pr:acme/checkout:9": f"merged PR{CHECKOUT_TIE}",
    }
    assert result.omitted == {INC: 3, "slack:#random": 2}


def test_reaction_emoji_are_configurable() -> None:
    config = Config(select=SelectConfig(emoji=("joy",)))
    rows = by_key(
        run(
            human("C1:17.1", "lol", tags=("reaction:joy",)),
            human("C1:17.2", "noted", tags=("reaction:pushpin",)),
            config=config,
        )
    )
    assert rows["slack:C1:17.1"].reason == "reaction :joy:"
    assert "slack:C1:17.2" not in rows
    eyes = Config(select=SelectConfig(emoji=("pushpin", "eyes")))  # an author who wants :eyes:
    rows = by_key(run(human("C1:17.3", "looking", tags=("reaction:eyes",)), config=eyes))
    assert rows["slack:C1:17.3"].reason == "reaction :eyes:"


def test_deploy_reasons() -> None:
    def deploy(key: str, *tags: str) -> Event:
        return ev(
            f"github:deployment:acme/checkout:{key}",
            f"Deploy {key}",
            at=10,
            kind=Kind.DEPLOY,
            tags=tags,
            scope="github:acme/checkout",
        )

    reasons = {
        e.key.rsplit(":", 1)[1]: e.reason
        for e in run(
            deploy("1", "production"),
            deploy("2", "production", "failure"),
            deploy("3", "rollback", "production"),
            deploy("4"),
        ).events
    }
    assert reasons == {
        "1": f"deploy to production{CHECKOUT_TIE}",
        "2": f"failed deploy{CHECKOUT_TIE}",
        "3": "rollback; tie to the incident: a rollback",
        "4": f"deploy{CHECKOUT_TIE}",
    }


# --- leadup -----------------------------------------------------------------------------------


def change(
    n: int, title: str, *, days: float, tags: tuple[str, ...] = (), repo: str = "acme/checkout"
) -> Event:
    return ev(
        f"github:pr:{repo}:{n}",
        f"Merged PR #{n}: {title}",
        kind=Kind.CHANGE,
        when=T0 - timedelta(days=days),
        tags=tags,
        scope=f"github:{repo}",
    )


def deploy_before(n: int, *, hours: float) -> Event:
    return ev(
        f"github:deployment:acme/checkout:{n}:success",
        f"Deploy #{n}",
        kind=Kind.DEPLOY,
        when=T0 - timedelta(hours=hours),
        tags=("production",),
        scope="github:acme/checkout",
    )


def test_leadup_keeps_matching_changes_and_the_last_deploys() -> None:
    # terms set in the config count alone (the default terms need a tie to the incident:
    # tests/test_leadup_default_terms.py)
    config = Config(
        github=GitHubConfig(
            repos=("acme/checkout",),
            leadup_deploys=2,
            leadup_match=("ttl", "timeout", "pool", "limit"),
        )
    )
    result = run(
        change(1, "Reduce cache TTL to 30s", days=3),
        change(2, "Update README", days=2),
        change(3, "Bump deps", days=1, tags=("label:connection-pool",)),
        change(4, "Lower request timeout", days=1, repo="acme/other"),
        change(5, "RateLimiter tuning", days=1),
        *(deploy_before(n, hours=n * 5) for n in range(1, 6)),
        human("C1:18.1", "root cause yesterday?", when=T0 - timedelta(days=1)),
        config=config,
    )
    reasons = {e.key: e.reason for e in result.events}
    assert reasons == {
        "github:pr:acme/checkout:1": 'leadup change matching "ttl"',
        "github:pr:acme/checkout:3": 'leadup change matching "pool"',
        "github:pr:acme/checkout:5": 'leadup change matching "limit"',
        "github:deployment:acme/checkout:1:success": f"leadup: deploy to production{CHECKOUT_TIE}",
        "github:deployment:acme/checkout:2:success": f"leadup: deploy to production{CHECKOUT_TIE}",
    }
    assert all("leadup" in e.tags for e in result.events)
    assert result.omitted == {"github:acme/checkout": 4, "github:acme/other": 1, INC: 1}


def test_leadup_match_is_configurable_and_zero_deploys_keeps_none() -> None:
    config = Config(github=GitHubConfig(leadup_match=("readme",), leadup_deploys=0))
    result = run(
        change(1, "Reduce cache TTL", days=3),
        change(2, "Update README", days=2),
        deploy_before(1, hours=5),
        config=config,
    )
    assert [e.key for e in result.events] == ["github:pr:acme/checkout:2"]
    assert result.events[0].reason == 'leadup change matching "readme"'


def test_the_leadup_settings_are_handed_in_named_for_no_source() -> None:
    # The pipeline builds the lead-up settings (``Config.leadup``); the normalizer reads them
    # and not the [github] table: handed in, they win over that table.
    from reconstruct.config import LeadupSettings

    events = [
        change(1, "Reduce cache TTL", days=3),
        change(2, "Update README", days=2),
        change(3, "Tune the README", days=2, repo="acme/other"),
        *(deploy_before(n, hours=n * 5) for n in range(1, 4)),
    ]
    settings = LeadupSettings(
        deploys=1, changes=5, match=("readme",), repos=frozenset({"acme/checkout"})
    )
    handed = normalize(events, INCIDENT, WINDOW, Config(), leadup=settings)
    assert [e.key for e in handed.events] == [
        "github:pr:acme/checkout:2",
        "github:deployment:acme/checkout:1:success",
    ]
    config = Config(
        github=GitHubConfig(repos=("acme/checkout",), leadup_match=("readme",), leadup_deploys=1)
    )
    assert config.leadup(INCIDENT.services) == settings
    assert normalize(events, INCIDENT, WINDOW, config) == handed, "the default: Config.leadup"


def test_changes_inside_the_window_are_kept_whatever_their_title() -> None:
    result = run(change(1, "Update README", days=0.01))
    assert [e.reason for e in result.events] == [f"merged PR{CHECKOUT_TIE}"]
    assert "leadup" not in result.events[0].tags


# --- window and UTC ---------------------------------------------------------------------------


def test_events_outside_the_window_are_dropped_and_counted() -> None:
    result = run(
        pd_trigger(at=0),
        ev(
            "pagerduty:log_entry:Q3",
            "Resolved",
            kind=Kind.RESOLVE,
            when=WINDOW.end + timedelta(seconds=1),
        ),
        change(1, "cache ttl", days=15),
        ev("pagerduty:log_entry:Q4", "Resolved", kind=Kind.RESOLVE, when=WINDOW.end),
    )
    assert [e.key for e in result.events] == ["pagerduty:log_entry:Q1", "pagerduty:log_entry:Q4"]
    assert result.omitted == {OUTSIDE: 2}


def test_times_are_converted_to_utc_and_naive_times_rejected() -> None:
    cet = timezone(timedelta(hours=1))
    result = run(
        ev(
            "pagerduty:log_entry:Q5",
            "Ack",
            kind=Kind.ACK,
            when=datetime(2026, 3, 14, 10, 30, tzinfo=cet),
        )
    )
    assert result.events[0].time == datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    assert result.events[0].time.tzinfo is UTC
    with pytest.raises(TimeFormatError):
        run(ev("pagerduty:log_entry:Q6", "Ack", kind=Kind.ACK, when=datetime(2026, 3, 14, 9, 30)))


# --- order ------------------------------------------------------------------------------------


def test_order_is_time_then_kind_then_key_whatever_the_input_order() -> None:
    events = [
        ev("pagerduty:log_entry:B", "ack", at=10, kind=Kind.ACK),
        ev("pagerduty:log_entry:A", "ack", at=10, kind=Kind.ACK),
        ev("pagerduty:log_entry:C", "page", at=10, kind=Kind.PAGE),
        ev("github:deployment:acme/checkout:1:success", "deploy", at=10, kind=Kind.DEPLOY),
        ev("pagerduty:log_entry:D", "trigger", at=5, kind=Kind.ALERT),
    ]
    expected = [
        "pagerduty:log_entry:D",
        "github:deployment:acme/checkout:1:success",
        "pagerduty:log_entry:C",
        "pagerduty:log_entry:A",
        "pagerduty:log_entry:B",
    ]
    rng = random.Random(3)
    for _ in range(5):
        rng.shuffle(events)
        result = run(*events)
        assert [e.key for e in result.events] == expected
        assert result == run(*reversed(events))


def test_a_long_matched_phrase_is_cut_in_the_reason() -> None:
    text = "declared " + "very " * 20 + "serious incident"
    (row,) = run(human("C1:19.1", text)).events
    assert row.kind is Kind.DECLARE
    assert row.reason.startswith('keyword "declared very') and row.reason.endswith('…"')
    assert len(row.reason) <= len('keyword ""') + 40


def test_leadup_prefers_a_term_in_the_title_over_one_in_the_labels() -> None:
    config = Config(github=GitHubConfig(leadup_match=("config", "ttl", "cache")))
    result = run(
        change(1, "Reduce product cache TTL to 60s (labels: config, cache)", days=3), config=config
    )
    assert result.events[0].reason == 'leadup change matching "ttl"'
    result = run(change(2, "Bump deps (labels: config)", days=3), config=config)
    assert result.events[0].reason == 'leadup change matching "config"'


def test_a_grafana_bot_title_with_group_labels_merges_with_the_rule_state_change() -> None:
    firing = ev(
        "grafana:annotation:90:alerting",
        "Grafana alert CheckoutErrorRate: Normal → Alerting",
        at=0,
        kind=Kind.ALERT,
        refs=("rule:checkouterrorrate:firing",),
    )
    post = bot(
        "C4:20.1",
        "[FIRING:1] CheckoutErrorRate checkout (Checkout critical) — **Firing**",
        at=15,
        tags=(),
        scope="slack:#alerts-checkout",
    )
    (row,) = run(firing, post).events
    assert row.sources == ("grafana", "slack")


def test_the_garbage_collector_is_back_on_after_a_run_even_a_failed_one() -> None:
    import gc

    assert gc.isenabled()
    run(pd_trigger())
    assert gc.isenabled()
    with pytest.raises(TimeFormatError):
        run(ev("pagerduty:log_entry:Q7", "Ack", kind=Kind.ACK, when=datetime(2026, 3, 14, 9)))
    assert gc.isenabled()
    gc.disable()
    try:
        run(pd_trigger())
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_the_incidents_trigger_naming_a_storms_rule_stays_its_own_row() -> None:
    """A trigger whose records name the storm's rule (PagerDuty titles the incident with the
    alert's "[FIRING:3] DiskHigh es-prod" subject; the PagerDuty app's post carries it too) and
    falls inside the storm's span is the incident's own milestone: a row of its own with its
    links, never a member of the storm row that Markdown shows only by its first and last
    links."""
    storm = [
        ev(f"grafana:ann:{k}", f"Grafana alert DiskHigh (node=es-{k:02d}) firing", at=6 * k,
           kind=Kind.ALERT, tags=("alertname:DiskHigh", f"label:node=es-{k:02d}",
                                  "state:alerting"), refs=("rule:diskhigh:firing",))
        for k in range(10)
    ]  # fmt: skip
    trigger = ev(
        "pagerduty:log_entry:Q1",
        "Incident #1234 triggered: DiskHigh es-prod (search critical)",
        at=31,
        kind=Kind.ALERT,
        tags=("state:triggered",),
        refs=("pd:pabc123", "pd#1234", "rule:diskhigh es-prod:firing", "rule:diskhigh:firing"),
        url=PD_URL,
    )
    rows = run(*storm, trigger).events
    (own,) = [e for e in rows if "triggered" in e.summary]
    assert own.key == trigger.key and own.links[0].url == PD_URL
    (fired,) = [e for e in rows if "firing by" in e.summary]
    assert trigger.key not in {m.key for m in fired.members}
    assert len(fired.members) == 10
