"""The Markdown draft, --timeline-only, --why, --template: goldens in tests/snapshots/."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from reconstruct.config import Config, RenderConfig
from reconstruct.errors import RenderError, UsageError
from reconstruct.model import Kind, Link
from reconstruct.render import RenderOptions, render
from reconstruct.render.markdown import MARKER_END, MARKER_START
from tests.test_render_fixture import (
    GITHUB_TOKEN_IN_TEXT,
    SLACK_TOKEN_IN_TEXT,
    at,
    check_snapshot,
    ev,
    timeline,
)

CONFIG = Config()


def md(**options: object) -> str:
    return render(timeline(), RenderOptions(**options), CONFIG)  # type: ignore[arg-type]


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and "—" in line]


def test_full_draft_snapshot() -> None:
    check_snapshot("postmortem.md", md())


def test_timeline_only_snapshot() -> None:
    text = md(timeline_only=True)
    check_snapshot("timeline_only.md", text)
    assert text.startswith("| Time (UTC) | Event |\n|---|---|\n")
    assert "## Summary" not in text and MARKER_START not in text


def test_why_snapshot() -> None:
    text = md(timeline_only=True, why=True)
    check_snapshot("timeline_why.md", text)
    assert text.startswith("| Time (UTC) | Event | Why |\n|---|---|---|\n")
    assert '| leadup change matching "ttl" |' in text


def test_draft_follows_the_template_sections() -> None:
    text = md()
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings == [
        "Summary",
        "Impact",
        "Timeline",
        "Root cause",
        "Contributing factors",
        "What went well",
        "What didn't go well",
        "Action items",
        "Lessons learned",
    ]
    assert text.startswith("# Post-mortem: Checkout errors after Redis failover\n")
    assert "- **Status:** Draft\n" in text
    assert "- **Severity:** P1\n" in text
    assert "- **Duration:** 09:42 – 10:29 UTC (47m 33s)\n" in text  # 09:42:07 -> 10:29:40
    assert "- **Services affected:** checkout, payments\n" in text
    assert "- **Time to acknowledge:** 2m 10s (09:42:07 → 09:44:17)\n" in text
    assert "| Action | Owner | Due | Ticket |" in text
    assert text.count(MARKER_START) == 1 and text.count(MARKER_END) == 1
    assert text.index(MARKER_START) < text.index("| Time (UTC) | Event |") < text.index(MARKER_END)


def test_every_row_has_time_text_and_links() -> None:
    rows = table_rows(md(timeline_only=True))
    assert len(rows) == 11
    assert rows[0].startswith("| 2026-03-03 14:10 | marco: Reduce cache TTL")  # earlier day: date
    assert rows[1].startswith("| 09:38 | deploy-bot: Deployed v2.3.1")  # start day: HH:MM only
    assert all("](https://" in row for row in rows)
    merged = rows[2]
    assert merged.endswith(
        "— [pagerduty](https://acme.pagerduty.com/incidents/Q1ABC23/log_entries/R1)"
        " · [slack](https://acme.slack.com/archives/C024BE91L/p1773481327000100) |"
    )


def test_actor_not_repeated_when_the_summary_names_it() -> None:
    rows = table_rows(md(timeline_only=True))
    assert "| 09:44 | Acknowledged by Priya Raman — " in rows[4]


def test_hostile_text_cannot_break_the_table() -> None:
    rows = table_rows(md(timeline_only=True))
    hostile = rows[6]
    # exactly the two cell borders plus the outer ones: every other pipe is escaped
    unescaped_pipes = re.findall(r"(?<!\\)(?:\\\\)*\|", hostile)
    assert len(unescaped_pipes) == 3
    assert "Kim \\| Lee: " in hostile
    assert "`kubectl logs`" in hostile  # Slack's inline code: a code span, shown as written
    assert "\\[dashboard\\](javascript:alert(1))" in hostile  # no link forged
    assert "\\<script>" in hostile and not re.search(r"(?<!\\)<", hostile)
    assert not re.search(r"(?<!\\)\]\(javascript:", hostile)
    assert "javascript:alert(document" not in hostile and "data:text/html" not in hostile
    assert "\\\\\\| end" in hostile  # a backslash before a pipe cannot unescape it
    assert "[thread \\[pinned\\]](https://acme.slack.com/" in hostile
    assert "\n" not in hostile


def test_long_summary_is_shortened_with_an_ellipsis() -> None:
    rows = table_rows(md(timeline_only=True))
    note = rows[9]
    text = note.split(" | ")[1].split(" — ")[0]
    assert text.endswith("…")
    assert len(text) <= len("Priya Raman: ") + 280
    short = render(
        timeline(), RenderOptions(timeline_only=True), Config(render=RenderConfig(max_summary=40))
    )
    assert "| 09:38 | deploy-bot: Deployed v2.3.1 to production — " in short
    assert "| 10:20 | Priya Raman: Status update for customers and support… — " in short


def test_secrets_never_reach_the_draft() -> None:
    text = md()
    assert SLACK_TOKEN_IN_TEXT not in text and GITHUB_TOKEN_IN_TEXT not in text
    assert "bot token is \\[redacted: slack token\\]" in text


def test_unknown_severity_and_ongoing_incident() -> None:
    text = render(timeline(resolved=False, severity=None), RenderOptions(), CONFIG)
    assert "- **Severity:** unknown (no PagerDuty priority set)\n" in text
    assert "- **Duration:** 09:42 UTC – ongoing\n" in text
    assert "- **Time to resolve:** not yet (the incident is ongoing)\n" in text


def test_no_safe_link_shows_the_source_without_a_link() -> None:
    tl = timeline()
    bad = ev(at(9, 50), Kind.UPDATE, "note", (Link("slack", "javascript:x()"),), "k")
    text = render(replace(tl, events=(bad,)), RenderOptions(timeline_only=True), CONFIG)
    assert "| 09:50 | note — slack (no web link) |" in text
    assert "javascript" not in text


def test_empty_timeline_says_so() -> None:
    text = render(replace(timeline(), events=()), RenderOptions(timeline_only=True), CONFIG)
    assert "_No events were found between 2026-03-14T08:42:07Z and 2026-03-14T10:59:40Z._" in text


def test_output_is_deterministic() -> None:
    for fmt in ("markdown", "json", "html", "csv"):
        outputs = {render(timeline(), RenderOptions(fmt=fmt, why=True), CONFIG) for _ in range(3)}
        assert len(outputs) == 1, fmt


def test_own_template_gets_the_same_context(tmp_path: Path) -> None:
    template = tmp_path / "team.md.j2"
    template.write_text(
        "# {{ incident.title | md }} ({{ incident.severity_text }})\n"
        "{% for m in metrics %}{{ m.key }}={{ m.seconds }}\n{% endfor %}"
        "rows={{ rows | length }} first={{ rows[0].time_text }} why={{ why }}\n"
        "{{ rows[6].summary | md }}\n"
        "{{ rows[2].links | md_links }}\n"
        "{{ timeline }}",
        encoding="utf-8",
    )
    text = render(timeline(), RenderOptions(template=template), CONFIG)
    check_snapshot("own_template.md", text)
    assert text.startswith(
        "# Checkout errors after Redis failover (P1)\ntime_to_detect_s=0\ntime_to_ack_s=130\n"
    )
    assert "rows=11 first=2026-03-03 14:10 why=False\n" in text
    assert SLACK_TOKEN_IN_TEXT not in text
    assert MARKER_START in text and "| Time (UTC) | Event |" in text


def test_own_template_can_include_the_builtin_timeline(tmp_path: Path) -> None:
    template = tmp_path / "t.md.j2"
    template.write_text('## Timeline\n\n{% include "timeline.md.j2" %}', encoding="utf-8")
    text = render(timeline(), RenderOptions(template=template, why=True), CONFIG)
    assert text.startswith("## Timeline\n\n| Time (UTC) | Event | Why |\n")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ incident.nope }}", "template error"),
        ("{% for x in rows %}", "line 1: template syntax error"),
        ('{% include "missing.j2" %}', "template 'missing.j2' not found"),
        # runtime errors of the template's own expressions, and what the sandbox refuses
        ("{{ range(10**9)|list|length }}", "line 1: template error: OverflowError: Range too big"),
        ('{{ "x" * 10**10 }}', "line 1: template error: a repetition longer than 1,000,000"),
        ("{% set n = 10**8 %}{{ 2 ** n }}", "line 1: template error: exponent 100000000"),
        ("ok\n\n{{ 1 / 0 }}", "line 3: template error: ZeroDivisionError: division by zero"),
        ("{{ rows[99999] }}", "line 1: template error: tuple object has no element 99999"),
        ('{{ "%d" % "x" }}', "line 1: template error: TypeError"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "template error: RecursionError"),
        ("{{ incident.__class__ }}", "template error: access to attribute '__class__'"),
    ],
)
def test_own_template_errors_are_one_line(tmp_path: Path, source: str, message: str) -> None:
    template = tmp_path / "bad.md.j2"
    template.write_text(source, encoding="utf-8")
    with pytest.raises(RenderError, match=re.escape(message)) as info:
        render(timeline(), RenderOptions(template=template), CONFIG)
    assert str(info.value).startswith(f"{template}: ") and "\n" not in str(info.value)
    assert info.value.exit_code == 1


def test_a_failing_team_template_is_one_cli_line_exit_1(tmp_path: Path) -> None:
    """Not ``internal error: OverflowError ... please report it``: the template is named."""
    from click.testing import CliRunner

    from reconstruct.cli import cli

    template = tmp_path / "team.md.j2"
    template.write_text("# {{ incident.title }}\n{{ range(10**9)|list|length }}\n", "utf-8")
    result = CliRunner().invoke(cli, ["--incident", "demo", "--template", str(template)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0]
    assert lines[0].startswith(f"reconstruct: error: {template}: line 2: template error: ")
    assert "fix the template" in lines[0]


def test_template_only_with_markdown(tmp_path: Path) -> None:
    template = tmp_path / "t.md.j2"
    template.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="--template works with --format markdown only"):
        render(timeline(), RenderOptions(fmt="json", template=template), CONFIG)
    with pytest.raises(UsageError, match="--timeline-only"):
        render(timeline(), RenderOptions(template=template, timeline_only=True), CONFIG)


def test_templates_ship_inside_the_package() -> None:
    from importlib import resources

    files = resources.files("reconstruct.render") / "templates"
    names = {p.name for p in files.iterdir()}
    assert {"postmortem.md.j2", "timeline.md.j2", "timeline.html.j2"} <= names
