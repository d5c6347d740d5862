"""A deploy bot's "Deploying <service> <sha>" post joins the deployment of that sha that went live
minutes later: one deploy, one row (GitHub deployments and statuses, Slack bot posts as
``conversations.history`` returns them: ``bot_id`` and ``bot_profile``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from reconstruct.model import Kind, Timeline
from reconstruct.normalize.deploystart import FINISHED
from tests.test_figures_wire import at, bundle, deployment, figures, slack_ts, timeline_of

SHA = "4f2c9e1a83b07d5562e9c4f1a0d7b3e8c26f9a15"


def bot_post(when: datetime, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "user": "U07DPLYBOT3",
        "bot_id": "B07DPLY3MNR",
        "app_id": "A07DPLY4ZTW",
        "text": text,
        "ts": slack_ts(when),
        "bot_profile": {"id": "B07DPLY3MNR", "name": "deploybot", "app_id": "A07DPLY4ZTW"},
    }


def person(when: datetime, text: str) -> dict[str, Any]:
    return {"type": "message", "user": "U03KIM", "text": text, "ts": slack_ts(when)}


def run(tmp_path: Path, messages: list[dict[str, Any]], live: datetime) -> Timeline:
    deploys = [deployment(7, SHA, live, task="rollback")]
    return timeline_of(
        bundle(tmp_path, at(14, 0), at(15, 0), messages=messages, deployments=deploys)
    )


def rows_naming(tl: Timeline, needle: str) -> list[Any]:
    return [e for e in tl.events if needle in e.summary]


def test_the_bot_start_post_joins_the_deployment_that_went_live(tmp_path: Path) -> None:
    post = bot_post(at(14, 25, 4), "Deploying checkout 4f2c9e1 to production, started by <@U03KIM>")
    tl = run(tmp_path, [post], at(14, 30, 20))
    (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY]
    assert row.time == at(14, 30, 20), "the row is when it went live"
    assert row.summary.endswith("(started 14:25)"), row.summary
    urls = {link.url for link in row.links}
    assert "https://deploy.acme.example/runs/7" in urls
    assert any("p" + slack_ts(at(14, 25, 4)).replace(".", "") in u for u in urls), urls
    assert any(link.label.endswith("(start)") for link in row.links), row.links
    assert not rows_naming(tl, "Deploying checkout"), "one deploy, one row"
    assert figures(tl)["time_to_mitigate_s"] == 30 * 60 + 20, "the rollback went live at 14:30"


def test_posts_that_are_not_this_deploys_start_stay_rows(tmp_path: Path) -> None:
    cases = {
        "another sha": bot_post(at(14, 25), "Deploying checkout 9c1e7a4 to production"),
        "two shas": bot_post(at(14, 25), "Deploying checkout 4f2c9e1 over 9c1e7a4"),
        "a person": person(at(14, 25), "Deploying checkout 4f2c9e1 to production now"),
        "after it went live": bot_post(at(14, 35), "Deploying checkout 4f2c9e1 to canary"),
        "long before": bot_post(at(13, 50), "Deploying checkout 4f2c9e1 to production"),
    }
    for name, message in cases.items():
        tl = run(tmp_path / name.replace(" ", "-"), [message], at(14, 30))
        (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY]
        assert "(started" not in row.summary, name
        assert len(row.links) == 2, (name, row.links)  # deploy run and commit only


def _slow(tmp_path: Path, post: datetime, created_at: str | None) -> Any:
    """A rollout GitHub records as requested at ``created_at`` (the deployment object's
    ``created_at``) that went live at 15:10, 45 minutes after the bot's start post."""
    extra: dict[str, Any] = {"task": "rollback"}
    if created_at is not None:
        extra["created_at"] = created_at
    deploys = [deployment(8, SHA, at(15, 10), **extra)]
    message = bot_post(post, "Deploying checkout 4f2c9e1 to production, started by <@U03KIM>")
    tl = timeline_of(
        bundle(tmp_path, at(14, 0), at(15, 30), messages=[message], deployments=deploys)
    )
    (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY]
    return row, tl


def test_a_slow_rollout_takes_its_start_post_by_the_deployments_created_at(
    tmp_path: Path,
) -> None:
    row, tl = _slow(tmp_path, at(14, 24, 40), "2026-05-06T14:24:35Z")
    assert row.time == at(15, 10) and row.summary.endswith("(started 14:24)"), row.summary
    assert not rows_naming(tl, "Deploying checkout"), "one deploy, one row"
    assert figures(tl)["time_to_mitigate_s"] == 70 * 60, "mitigated when it went live"


def test_a_post_long_before_the_request_or_without_one_stays_a_row(tmp_path: Path) -> None:
    cases = {
        "40 min before the request": (at(13, 44), "2026-05-06T14:24:35Z"),
        "created_at unreadable": (at(14, 24, 40), "yesterday"),
    }
    for name, (post, created_at) in cases.items():
        row, tl = _slow(tmp_path / name.replace(" ", "-"), post, created_at)
        assert "(started" not in row.summary, name
        assert len(rows_naming(tl, "Deploying checkout")) == 1, name


def legacy_bot(when: datetime, text: str = "", **extra: Any) -> dict[str, Any]:
    """A ``subtype: bot_message`` post as an incoming webhook or a legacy bot writes it
    (``conversations.history``: ``bot_id`` and ``username``, no ``user``), its words in ``text``
    or only in ``attachments`` / ``blocks``."""
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B05DPLYHOOK",
        "username": "deploybot",
        "text": text,
        "ts": slack_ts(when),
        **extra,
    }


def test_a_start_post_joins_whatever_words_surround_its_commit(tmp_path: Path) -> None:
    wordings = {
        "triggered by": "Deploying checkout 4f2c9e1 to production, triggered by <@U03KIM>",
        "requested by": ":rocket: Deploying checkout@4f2c9e1 to prod (requested by <@U03KIM>)",
        "initiated by": "Rolling out checkout 4f2c9e1 to production, initiated by Kim",
        "pipeline": "Deploying checkout 4f2c9e1 to production via pipeline #123",
        "no service": "Deploying hotfix 4f2c9e1 (requested by <@U03KIM>)",
        "by name": "Deploy started: checkout 4f2c9e1 → production by marco",
        "deployment started": "Deployment of checkout 4f2c9e1 to prod started (by marco)",
        "argo cd sync running": "The sync operation of application checkout-prod has started "
        "at 2026-03-14T14:25:04Z. Revision: 4f2c9e1. Sync operation details are available at: "
        "https://argocd.acme.example/applications/checkout-prod?operation=true .",
        "link": "Deploying checkout <https://github.com/acme/checkout/commit/"
        + SHA
        + "|4f2c9e1> to production",
    }
    for name, text in wordings.items():
        tl = run(
            tmp_path / name.replace(" ", "-"), [legacy_bot(at(14, 25, 4), text)], at(14, 30, 20)
        )
        (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY]
        assert row.summary.endswith("(started 14:25)"), (name, row.summary)
        assert len([e for e in tl.events if "4f2c9e1" in e.summary]) == 1, (name, tl.events)


def test_a_start_post_in_attachments_or_blocks_joins(tmp_path: Path) -> None:
    words = "Deploying checkout 4f2c9e1 to production, triggered by <@U03KIM>"
    shapes = {
        "attachments": legacy_bot(
            at(14, 25), attachments=[{"color": "#439FE0", "fallback": words, "text": words}]
        ),
        "blocks": legacy_bot(
            at(14, 25),
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": words}}],
        ),
    }
    for name, message in shapes.items():
        tl = run(tmp_path / name, [message], at(14, 30, 20))
        (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY]
        assert row.summary.endswith("(started 14:25)"), (name, row.summary)


def test_the_bot_finish_post_joins_the_deployment_row(tmp_path: Path) -> None:
    wordings = [
        "checkout 4f2c9e1 is live in production",
        ":white_check_mark: checkout@4f2c9e1 is live in prod",
        "✅ checkout@4f2c9e1 is live in prod",
        "checkout 4f2c9e1 rolled out to production",
        "Released checkout 4f2c9e1 to production",
        "checkout 4f2c9e1 shipped to prod :tada:",
        "Deploy of checkout 4f2c9e1 to production finished",
        "checkout 4f2c9e1: rollout succeeded (production)",
        # Argo CD notifications' catalog templates (app-sync-succeeded, app-deployed), with the
        # revision a team adds to the message, and a bot's "synced"
        "Application checkout-prod has been successfully synced at 2026-03-14T14:31:04Z. "
        "Revision: 4f2c9e1. Sync operation details are available at: "
        "https://argocd.acme.example/applications/checkout-prod?operation=true .",
        ":white_check_mark: Application checkout-prod is now running new version of "
        "deployments manifests. Revision 4f2c9e1",
        "checkout 4f2c9e1 synced to production",
        # a status word before the commit names no service; a word that gave the post another
        # kind (a revert reads as a mitigation, "healthy" as a resolution) changes nothing
        "deploy finished: 4f2c9e1 healthy in prod",
        "checkout 4f2c9e1 rolled out to production (revert #512)",
    ]
    for n, text in enumerate(wordings):
        post = legacy_bot(at(14, 31, 5), text)
        tl = run(tmp_path / str(n), [post], at(14, 30, 20))
        (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY]
        assert row.time == at(14, 30, 20), text
        assert "(started" not in row.summary, text
        assert len([e for e in tl.events if "4f2c9e1" in e.summary]) == 1, (text, tl.events)
        post_url = "p" + slack_ts(at(14, 31, 5)).replace(".", "")
        links = [link for link in row.links if post_url in link.url]
        assert links and not links[0].label.endswith("(start)"), (text, row.links)


def test_start_and_finish_posts_both_join_one_row(tmp_path: Path) -> None:
    posts = [
        legacy_bot(at(14, 25), "Deploying checkout 4f2c9e1 to production, triggered by marco"),
        legacy_bot(at(14, 30, 40), "✅ checkout@4f2c9e1 is live in prod"),
    ]
    tl = run(tmp_path, posts, at(14, 30, 20))
    rows = [e for e in tl.events if "4f2c9e1" in e.summary]
    assert len(rows) == 1 and rows[0].summary.endswith("(started 14:25)"), rows
    assert len(rows[0].links) == 4, rows[0].links


def test_posts_of_another_deploy_stay_rows(tmp_path: Path) -> None:
    cases = {
        "another sha": legacy_bot(at(14, 31), "checkout 9c1e7a4 is live in production"),
        "another service": legacy_bot(at(14, 31), "billing 4f2c9e1 is live in production"),
        "another service starting": legacy_bot(at(14, 25), "Deploying billing 4f2c9e1 to prod"),
        "another environment": legacy_bot(at(14, 31), "checkout 4f2c9e1 is live in staging"),
        "failed": legacy_bot(at(14, 31), "❌ checkout 4f2c9e1 deploy failed (production)"),
        "finish long after": legacy_bot(at(14, 45), "checkout 4f2c9e1 is live in production"),
        "finish long before": legacy_bot(at(14, 10), "checkout 4f2c9e1 is live in production"),
        "a person": person(at(14, 31), "checkout 4f2c9e1 is live in production"),
    }
    for name, message in cases.items():
        tl = run(tmp_path / name.replace(" ", "-"), [message], at(14, 30))
        (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY and "(main)" in e.summary]
        assert len(row.links) == 2, (name, row.links)  # deploy run and commit only
        assert "(started" not in row.summary, name


def test_an_environment_word_picks_the_deploy_of_that_environment(tmp_path: Path) -> None:
    """One sha to staging at 14:30 and to production at 14:31 (two GitHub deployments, two
    rows): each bot post joins the row of the environment it names ("prod" is production)."""
    staging = {
        "environment": "staging",
        "original_environment": "staging",
        "production_environment": False,
    }
    deploys = [deployment(7, SHA, at(14, 30), **staging), deployment(8, SHA, at(14, 31))]
    posts = [
        # each nearer in time to the other environment's row
        legacy_bot(at(14, 30, 50), "✅ checkout@4f2c9e1 is live in staging"),
        legacy_bot(at(14, 30, 10), "✅ checkout@4f2c9e1 is live in prod"),
    ]
    tl = timeline_of(bundle(tmp_path, at(14, 0), at(15, 0), messages=posts, deployments=deploys))
    rows = {e.summary: e for e in tl.events if "4f2c9e1" in e.summary}
    assert len(rows) == 2, list(rows)
    for row in rows.values():
        post = at(14, 30, 50) if "staging" in row.summary else at(14, 30, 10)
        urls = [link.url for link in row.links if "slack" in link.url]
        assert urls == [u for u in urls if "p" + slack_ts(post).replace(".", "") in u], urls
        assert len(urls) == 1, (row.summary, row.links)


def test_a_start_post_triggered_by_someone_is_no_alert(tmp_path: Path) -> None:
    """With no deployment to join, "triggered by @marco" of a deploy start leaves the post a bot
    message (as "started by" does); an alert bot's "triggered" keeps its alert."""
    posts = [
        legacy_bot(at(14, 5), "Deploying checkout 4f2c9e1 to production, triggered by <@U03KIM>"),
        legacy_bot(at(14, 6), "Alert triggered by checkout 5xx rate above 5%"),
    ]
    tl = timeline_of(bundle(tmp_path, at(14, 0), at(15, 0), messages=posts))
    (start,) = rows_naming(tl, "Deploying checkout")
    (alert,) = rows_naming(tl, "5xx rate")
    assert start.kind is Kind.MESSAGE, start
    assert alert.kind is Kind.ALERT, alert


def test_a_finish_post_triggered_by_someone_joins_the_deployment_row(tmp_path: Path) -> None:
    """A deploy bot's finish post naming who triggered it ("✅ auth-service 5e1f0c2 is live in
    production (triggered by @tomas)") is no alert: it joins its deploy row, one row."""
    wordings = [
        "✅ checkout 4f2c9e1 is live in production (triggered by <@U03KIM>)",
        "checkout 4f2c9e1 is live in production (triggered by <@U03KIM>)",
        ":white_check_mark: checkout@4f2c9e1 deployed to prod, requested by <@U03KIM>",
    ]
    for n, text in enumerate(wordings):
        tl = run(tmp_path / str(n), [legacy_bot(at(14, 31, 5), text)], at(14, 30, 20))
        rows = [e for e in tl.events if "4f2c9e1" in e.summary]
        assert len(rows) == 1 and rows[0].kind is Kind.DEPLOY, (text, rows)
        assert not [e for e in tl.events if "U03KIM" in e.summary or "triggered by" in e.summary]


def test_an_alert_triggered_by_a_check_with_done_words_stays_an_alert(tmp_path: Path) -> None:
    posts = [legacy_bot(at(14, 6), "Alert triggered by checkout health check: 3 probes failed")]
    tl = timeline_of(bundle(tmp_path, at(14, 0), at(15, 0), messages=posts))
    (alert,) = rows_naming(tl, "health check")
    assert alert.kind is Kind.ALERT, alert


def test_a_finish_post_worded_as_the_environments_new_state_joins(tmp_path: Path) -> None:
    """A bot that reports where production now is ("checkout: production now at 4f2c9e1") says
    the deploy went live: the post joins the deploy row of that commit, one row."""
    wordings = [
        "checkout: production now at 4f2c9e1",
        "Production for checkout is on 4f2c9e1 now :rocket:",
        "platform-infra: production now at 4f2c9e1",
        "prod is running 4f2c9e1",
        "production is now on `4f2c9e1`",
        "checkout: production now at <https://github.com/acme/checkout/commit/" + SHA + "|4f2c9e1>",
    ]
    for n, text in enumerate(wordings):
        tl = run(tmp_path / str(n), [legacy_bot(at(14, 31, 5), text)], at(14, 30, 20))
        rows = [e for e in tl.events if "4f2c9e1" in e.summary]
        assert len(rows) == 1 and rows[0].kind is Kind.DEPLOY, (text, rows)
        post_url = "p" + slack_ts(at(14, 31, 5)).replace(".", "")
        assert any(post_url in link.url for link in rows[0].links), (text, rows[0].links)


def test_a_state_post_of_another_environment_or_a_past_state_stays_a_row(
    tmp_path: Path,
) -> None:
    cases = {
        "another environment": "staging now at 4f2c9e1",
        "a past state": "production was at 4f2c9e1 before the deploy",
        "another sha": "checkout: production now at 9c1e7a4",
        "failed": "Deploy of checkout failed, production is on 4f2c9e1",
    }
    for name, text in cases.items():
        messages = [legacy_bot(at(14, 31), text)]
        deploys = [deployment(7, SHA, at(14, 30))]  # a deploy forward, not a rollback
        tl = timeline_of(
            bundle(tmp_path / name, at(14, 0), at(15, 0), messages=messages, deployments=deploys)
        )
        (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY and "(main)" in e.summary]
        assert len(row.links) == 2, (name, row.links)  # deploy run and commit only
        assert rows_naming(tl, text), name  # the post stays a row of its own


def test_a_rollback_or_failure_worded_as_a_state_is_no_finish() -> None:
    """ "rollback: production back on 4f2c9e1" says no deploy went live (``merge`` may still
    join a rollback record of that commit: it is one of the same kind)."""
    for text in ["rollback: production back on 4f2c9e1", "production was at 4f2c9e1"]:
        assert FINISHED.search(text) is None, text


ORDERS_SHA = "9c1e4d27b5a0e3f8c6d1b2a4e7f90c3d5b8a1e26"


def run_repo(tmp_path: Path, repo: str, messages: list[dict[str, Any]]) -> Timeline:
    """A deploy of ``repo`` (GitHub deployment and status) of ``ORDERS_SHA`` live at 14:30:20."""
    api = f"https://api.github.com/repos/{repo}"
    record = deployment(7, ORDERS_SHA, at(14, 30, 20), url=f"{api}/deployments/7", task="rollback")
    record[0]["repository_url"] = api
    return timeline_of(
        bundle(tmp_path, at(14, 0), at(15, 0), messages=messages, deployments=[record], repo=repo)
    )


def test_posts_naming_a_part_of_the_repository_join_its_deploy(tmp_path: Path) -> None:
    """The bot names the service it deploys, a part of the repository's deploy ("orders-batch"
    of repository ``acme/orders``) or the whole of it ("checkout" of ``acme/checkout-service``):
    its start and finish posts join the deploy row, one row."""
    cases = {
        "acme/orders": "orders-batch",
        "acme/payments": "payments_worker",
        "acme/checkout-service": "checkout",
    }
    for repo, service in cases.items():
        posts = [
            legacy_bot(at(14, 25), f"Deploying {service} 9c1e4d2 to production"),
            bot_post(at(14, 30, 40), f"✅ {service} 9c1e4d2 is live in production"),
        ]
        tl = run_repo(tmp_path / service, repo, posts)
        rows = [e for e in tl.events if "9c1e4d2" in e.summary]
        assert len(rows) == 1 and rows[0].kind is Kind.DEPLOY, (repo, rows)
        assert rows[0].summary.endswith("(started 14:25)"), rows[0].summary
        assert len(rows[0].links) == 4, rows[0].links  # deploy run, commit, start, finish


def test_posts_naming_another_service_like_the_repository_stay_rows(tmp_path: Path) -> None:
    for service in ["order", "reorders", "billing-orders", "ordersbatch"]:
        posts = [
            legacy_bot(at(14, 25), f"Deploying {service} 9c1e4d2 to production"),
            bot_post(at(14, 30, 40), f"✅ {service} 9c1e4d2 is live in production"),
        ]
        tl = run_repo(tmp_path / service, "acme/orders", posts)
        (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY and "(main)" in e.summary]
        assert "(started" not in row.summary and len(row.links) == 2, (service, row)
        assert len(rows_naming(tl, f"{service} 9c1e4d2")) == 2, service


def test_a_service_one_row_names_exactly_picks_that_row(tmp_path: Path) -> None:
    """A monorepo deploys one sha as two services (deploy runs ``…/orders-batch/runs/7`` and
    ``…/orders-api/runs/8``): "orders-batch" joins its own row, though the other row, of a
    service named a part of the same repository too, lies nearer the post."""
    api = "https://api.github.com/repos/acme/orders"
    deploys = []
    for ident, service, live in [
        (7, "orders-batch", at(14, 30, 20)),
        (8, "orders-api", at(14, 31)),
    ]:
        record, statuses = deployment(
            ident, ORDERS_SHA, live, url=f"{api}/deployments/{ident}", task="rollback"
        )
        record["repository_url"] = api
        statuses[0]["log_url"] = f"https://deploy.acme.example/{service}/runs/{ident}"
        deploys.append((record, statuses))
    posts = [bot_post(at(14, 31, 10), "✅ orders-batch 9c1e4d2 is live in production")]
    tl = timeline_of(
        bundle(
            tmp_path, at(14, 0), at(15, 0), messages=posts, deployments=deploys, repo="acme/orders"
        )
    )
    rows = [e for e in tl.events if e.kind is Kind.DEPLOY]
    assert len(rows) == 2 and not rows_naming(tl, "orders-batch 9c1e4d2"), tl.events
    post_url = "p" + slack_ts(at(14, 31, 10)).replace(".", "")
    (joined,) = [e for e in rows if any(post_url in link.url for link in e.links)]
    assert any("/orders-batch/runs/7" in link.url for link in joined.links), joined.links
