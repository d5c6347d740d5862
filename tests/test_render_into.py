"""insert_into: only the Timeline table changes; every byte a person wrote stays."""

from __future__ import annotations

import pytest

from reconstruct.config import Config
from reconstruct.errors import RenderError
from reconstruct.render import RenderOptions, insert_into, render
from reconstruct.render.markdown import MARKER_END, MARKER_START
from tests.test_render_fixture import check_snapshot, timeline

CONFIG = Config()
OPTIONS = RenderOptions()


def fresh_block() -> str:
    table = render(timeline(), RenderOptions(timeline_only=True), CONFIG)
    return f"{MARKER_START}\n{table}{MARKER_END}"


def split_at_markers(text: str) -> tuple[str, str, str]:
    start = text.index(MARKER_START)
    end = text.index(MARKER_END) + len(MARKER_END)
    return text[:start], text[start:end], text[end:]


def test_with_markers_only_the_block_changes() -> None:
    draft = render(timeline(), OPTIONS, CONFIG)
    before, _, after = split_at_markers(draft)
    edited_before = before.replace("_Two or three sentences", "Checkout failed for 47 minutes. ")
    edited_before = edited_before.replace("- **Author:** _your name_", "- **Author:** Priya  ")
    stale = f"{MARKER_START}\n| Time (UTC) | Event |\n|---|---|\n| 09:00 | old row |\n{MARKER_END}"
    edited = edited_before + stale + after + "\n## Appendix\n\nMy notes | with `pipes`\n"
    result = insert_into(edited, timeline(), OPTIONS, CONFIG)
    new_before, block, new_after = split_at_markers(result)
    assert new_before == edited_before
    assert new_after == after + "\n## Appendix\n\nMy notes | with `pipes`\n"
    assert block == fresh_block()
    assert "old row" not in result


def test_rerunning_into_is_a_no_op() -> None:
    draft = render(timeline(), OPTIONS, CONFIG)
    assert insert_into(draft, timeline(), OPTIONS, CONFIG) == draft


def test_with_markers_keeps_crlf_and_surrounding_bytes() -> None:
    draft = (
        f"# PM\r\n\r\n## Timeline\r\n\r\n{MARKER_START}\r\nold\r\n{MARKER_END}\r\n\r\ntail  \r\n"
    )
    result = insert_into(draft, timeline(), OPTIONS, CONFIG)
    assert result.startswith("# PM\r\n\r\n## Timeline\r\n\r\n" + MARKER_START + "\r\n")
    assert result.endswith(MARKER_END + "\r\n\r\ntail  \r\n")
    assert "\n" not in result.replace("\r\n", "")


def test_why_applies_to_the_inserted_table() -> None:
    draft = f"## Timeline\n\n{MARKER_START}\n{MARKER_END}\n"
    result = insert_into(draft, timeline(), RenderOptions(why=True), CONFIG)
    assert "| Time (UTC) | Event | Why |" in result


def test_without_markers_inserted_after_intro_replacing_the_template_table() -> None:
    draft = (
        "# Post-mortem: checkout\n"
        "\n"
        "## Timeline\n"
        "\n"
        "All times in UTC. Include the leadup events,\n"
        "detection and recovery.\n"
        "\n"
        "| Time (UTC) | Event |\n"
        "|------------|-------|\n"
        "| HH:MM | [Trigger event, e.g. deploy of v2.3.1] |\n"
        "| HH:MM | [First alert fires] |\n"
        "\n"
        "## Root cause\n"
        "\n"
        "The TTL.\n"
    )
    result = insert_into(draft, timeline(), OPTIONS, CONFIG)
    check_snapshot("into_no_markers.md", result)
    head = (
        "# Post-mortem: checkout\n\n## Timeline\n\nAll times in UTC. Include the leadup events,\n"
        "detection and recovery.\n\n"
    )
    assert result == head + fresh_block() + "\n\n## Root cause\n\nThe TTL.\n"
    assert "[First alert fires]" not in result


def test_without_markers_and_no_intro_or_table() -> None:
    draft = "# PM\n\n## Timeline\n## Root cause\n\nx\n"
    result = insert_into(draft, timeline(), OPTIONS, CONFIG)
    assert result == "# PM\n\n## Timeline\n\n" + fresh_block() + "\n\n## Root cause\n\nx\n"


def test_without_markers_keeps_an_unrelated_table() -> None:
    draft = "## Timeline\n\n| Who | What |\n|---|---|\n| a | b |\n"
    result = insert_into(draft, timeline(), OPTIONS, CONFIG)
    assert (
        result == "## Timeline\n\n" + fresh_block() + "\n\n| Who | What |\n|---|---|\n| a | b |\n"
    )


def test_heading_at_end_of_file_without_newline() -> None:
    result = insert_into("# PM\n\n## Timeline", timeline(), OPTIONS, CONFIG)
    assert result == "# PM\n\n## Timeline\n\n" + fresh_block() + "\n"


def test_heading_inside_a_code_fence_does_not_count() -> None:
    draft = "```\n## Timeline\n```\n"
    with pytest.raises(RenderError):
        insert_into(draft, timeline(), OPTIONS, CONFIG)


def test_no_timeline_heading_is_a_one_line_error() -> None:
    with pytest.raises(RenderError, match='add a line "## Timeline"') as info:
        insert_into("# PM\n\n## Summary\n\ntext\n", timeline(), OPTIONS, CONFIG)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (f"## Timeline\n{MARKER_START}\n", "no <!-- reconstruct:timeline:end --> after it"),
        (f"## Timeline\n{MARKER_END}\n", "no <!-- reconstruct:timeline:start -->"),
        (f"{MARKER_START}\n{MARKER_END}\n{MARKER_START}\n{MARKER_END}\n", "more than one"),
    ],
)
def test_broken_markers(draft: str, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        insert_into(draft, timeline(), OPTIONS, CONFIG)
