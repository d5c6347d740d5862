"""Secrets never reach a rendered draft: each pattern, the tool's own tokens, every format."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconstruct.config import Config
from reconstruct.model import Kind, Link
from reconstruct.redact import redact, tool_secrets
from reconstruct.render import RenderOptions, render
from tests.test_render_fixture import at, ev, timeline

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF0qJ\n"
    "kP8rZr2Q==\n-----END RSA PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    ("secret", "text", "expected"),
    [
        (
            "xoxb-2231-998877-AbCdEfGhIjKl",
            "token xoxb-2231-998877-AbCdEfGhIjKl!",
            "token [redacted: slack token]!",
        ),
        ("xoxp-1-2-3-abcdef0123", "xoxp-1-2-3-abcdef0123", "[redacted: slack token]"),
        ("xapp-1-A0123-456-abcdef", "app xapp-1-A0123-456-abcdef", "app [redacted: slack token]"),
        ("ghp_" + "a" * 36, "use ghp_" + "a" * 36 + " now", "use [redacted: github token] now"),
        ("gho_" + "B1" * 18, "gho_" + "B1" * 18, "[redacted: github token]"),
        ("ghs_" + "c2" * 18, "x=ghs_" + "c2" * 18, "x=[redacted: github token]"),
        (
            "github_pat_11ABC_" + "d" * 40,
            "pat github_pat_11ABC_" + "d" * 40,
            "pat [redacted: github token]",
        ),
        ("AKIAIOSFODNN7EXAMPLE", "key AKIAIOSFODNN7EXAMPLE.", "key [redacted: aws access key]."),
        ("ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A", "[redacted: aws access key]"),
        (
            "eyJhbGciOi.J9.x-y_z",
            "Authorization: Bearer eyJhbGciOi.J9.x-y_z",
            "Authorization: Bearer [redacted: bearer token]",
        ),
        (
            "y_+eqQ2zW",
            "curl -H 'Authorization: Token token=y_+eqQ2zW'",
            "curl -H 'Authorization: Token token=[redacted: pagerduty token]'",
        ),
        (
            "glsa_" + "Q" * 32 + "_0a1b2c3d",
            "glsa_" + "Q" * 32 + "_0a1b2c3d",
            "[redacted: grafana token]",
        ),
        (
            "hunter2",
            "psql postgres://app:hunter2@db.internal:5432/x",
            "psql postgres://app:[redacted: password in url]@db.internal:5432/x",
        ),
        ("MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn", f"key: {PEM} end", "key: [redacted: private key] end"),
    ],
)
def test_each_secret_kind(secret: str, text: str, expected: str) -> None:
    result = redact(text)
    assert result == expected
    assert secret not in result


def test_pem_without_end_is_redacted_to_the_end() -> None:
    assert redact("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg") == "[redacted: private key]"


def test_ordinary_text_is_untouched() -> None:
    text = (
        "Deploy v2.3.1 to https://github.com/acme/checkout (ghp docs, xoxb tokens, Bearer of news)"
    )
    assert redact(text) == text
    assert redact("") == ""


def test_tool_tokens_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERDUTY_TOKEN", "u+PdOwnT0ken-Value")
    monkeypatch.setenv("GRAFANA_TOKEN", "  plain-own-grafana-secret  ")
    assert set(tool_secrets()) == {"u+PdOwnT0ken-Value", "plain-own-grafana-secret"}
    text = "pd u+PdOwnT0ken-Value and grafana plain-own-grafana-secret"
    assert redact(text) == "pd [redacted: PAGERDUTY_TOKEN] and grafana [redacted: GRAFANA_TOKEN]"


def test_extra_secrets_and_short_values_ignored() -> None:
    assert redact("the word abc stays, s3cr3t-value goes", ["abc", "s3cr3t-value"]) == (
        "the word abc stays, [redacted: secret] goes"
    )


def test_every_format_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    own = "own-slack-token-value-42"
    monkeypatch.setenv("SLACK_TOKEN", own)
    secrets = [
        own,
        "xoxb-2231-998877-AbCdEfGhIjKl",
        "AKIAIOSFODNN7EXAMPLE",
        "hunter2",
        "glsa_" + "Q" * 32 + "_0a1b2c3d",
    ]
    summary = f"{own} xoxb-2231-998877-AbCdEfGhIjKl AKIAIOSFODNN7EXAMPLE https://u:hunter2@h.io"
    link = Link("slack", f"https://h.io/x?t={own}", f"by {own}")
    row = ev(at(9, 50), Kind.UPDATE, summary, (link,), "k", actor=f"bot glsa_{'Q' * 32}_0a1b2c3d")
    tl = replace(timeline(), events=(row,), warnings=(f"slack: bad token {own}",))
    tl = replace(tl, incident=replace(tl.incident, title=f"leak {own}"))
    for fmt in ("markdown", "json", "html", "csv"):
        for options in (RenderOptions(fmt=fmt), RenderOptions(fmt=fmt, timeline_only=True)):
            text = render(tl, options, Config())
            for secret in secrets:
                assert secret not in text, (fmt, secret)
            assert "redacted" in text


def test_a_series_members_are_redacted_in_every_format_that_prints_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A collapsed series row's records (``members``) are printed by JSON, HTML, the page and a
    ``--template`` reading ``rows[].members``: each gets them redacted (the built-in Markdown and
    CSV print only the row, whose own text is redacted either way)."""
    own = "own-slack-token-value-42"
    monkeypatch.setenv("SLACK_TOKEN", own)
    secrets = [own, "xoxb-2231-998877-AbCdEfGhIjKl", "hunter2"]
    members = tuple(
        ev(
            at(9, 50 + i),
            Kind.ALERT,
            f"page {i} xoxb-2231-998877-AbCdEfGhIjKl",
            (Link("pagerduty", f"https://u:hunter2@h.io/{i}", f"PD {own}"),),
            f"m{i}",
            actor=f"bot {own}",
        )
        for i in range(3)
    )
    row = replace(
        ev(at(9, 50), Kind.ALERT, "3 pages", (Link("pagerduty", "https://h.io/0", "PD"),), "s"),
        members=members,
    )
    tl = replace(timeline(), events=(row,))
    template = tmp_path / "members.md.j2"
    template.write_text(
        "{% for row in rows %}{% for m in row.members %}{{ m.summary }} {{ m.actor }}"
        "{% for l in m.links %} {{ l.url }} {{ l.label }}{% endfor %}\n{% endfor %}{% endfor %}"
    )
    options = [RenderOptions(fmt=fmt) for fmt in ("markdown", "json", "html", "csv", "page")]
    for option in [*options, RenderOptions(fmt="markdown", template=template)]:
        text = render(tl, option, Config())
        for secret in secrets:
            assert secret not in text, (option, secret)
    printed = render(tl, RenderOptions(fmt="markdown", template=template), Config())
    assert printed.count("page ") == 3 and printed.count("redacted: slack token") == 3
    assert "page 2 [redacted: slack token]" in render(tl, RenderOptions(fmt="json"), Config())
