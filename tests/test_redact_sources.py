"""Every registered source's token is redacted, not a fixed list (issue #13): the registry is the
one list of token variables, so a source added with one registry line (``tests/example_source``,
``EXAMPLE_TOKEN``) never leaks its token into any format, a delivered draft or a log line."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from reconstruct import collectors
from reconstruct.config import Config
from reconstruct.logredact import redact_record
from reconstruct.model import Kind, Link
from reconstruct.redact import Redactor, token_variables, tool_secrets
from reconstruct.render import FORMATS, RenderOptions, render
from tests.test_render_fixture import ev, timeline

TOKEN = "exmp-7731-Qz9wPlainStatusPageT0ken"
LINK = Link("example", "https://status.example.com/events/1", "event")


def _render(fmt: str) -> str:
    base = timeline()
    row = ev(base.incident.started_at, Kind.UPDATE, f"pasted {TOKEN} by mistake", (LINK,), "x:1")
    return render(replace(base, events=(*base.events, row)), RenderOptions(fmt=fmt), Config())


@pytest.fixture
def example_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_TOKEN", TOKEN)


@pytest.mark.usefixtures("example_token")
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_registered_sources_token_is_redacted_in_every_format(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(collectors.REGISTRY, "example", "tests.example_source")  # the one line
    out = _render(fmt)
    assert TOKEN not in out
    assert "redacted: EXAMPLE_TOKEN" in out, "named by its variable, as the built-in tokens are"


@pytest.mark.usefixtures("example_token")
def test_its_token_is_read_from_the_registry_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # Not registered: EXAMPLE_TOKEN is just another variable (no redaction by name), so the
    # test above shows the registry is what adds it.
    assert "EXAMPLE_TOKEN" not in token_variables()
    assert TOKEN in _render("json")
    monkeypatch.setitem(collectors.REGISTRY, "example", "tests.example_source")
    assert "EXAMPLE_TOKEN" in token_variables()
    assert {"PAGERDUTY_TOKEN", "SLACK_TOKEN", "GITHUB_TOKEN", "GRAFANA_TOKEN"} <= set(
        token_variables()
    )
    assert TOKEN in tool_secrets()
    assert Redactor()(f"Bearer-less {TOKEN}!") == "Bearer-less [redacted: EXAMPLE_TOKEN]!"


@pytest.mark.usefixtures("example_token")
def test_its_token_is_redacted_in_log_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(collectors.REGISTRY, "example", "tests.example_source")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "GET failed: %s", (TOKEN,), None)
    assert TOKEN not in redact_record(record).getMessage()
