"""Issue #15 in a real browser: headless Chromium draws the Mermaid diagram with the Mermaid
library GitHub uses, and opens the timeline page without errors or requests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from reconstruct.config import Config
from reconstruct.model import Timeline
from reconstruct.render import RenderOptions, render
from reconstruct.render.diagram import mermaid
from reconstruct.render.story import story
from tests import picture_data as data
from tests.browser import ROOT, browser, mermaid_path

__all__ = ["browser", "mermaid_path"]  # fixtures

DRAW = """async (text) => {
  mermaid.initialize({startOnLoad: false, securityLevel: 'strict'});
  try {
    await mermaid.parse(text);
    const out = await mermaid.render('incident', text);
    document.body.innerHTML = out.svg;
    const svg = document.querySelector('svg');
    return {
      ok: true,
      tasks: svg.querySelectorAll('rect.task').length,
      sections: [...svg.querySelectorAll('text.sectionTitle')].map(e => e.textContent.trim()),
      links: svg.querySelectorAll('a').length,
      scripts: svg.querySelectorAll('script, foreignObject').length,
    };
  } catch (e) { return {ok: false, error: String(e)}; }
}"""


def draw_mermaid(browser: Any, mermaid_js: Path, text: str) -> dict[str, Any]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_content("<!DOCTYPE html><html><body></body></html>")
    page.add_script_tag(path=str(mermaid_js))
    result: dict[str, Any] = page.evaluate(DRAW, text)
    page.close()
    assert not errors, errors
    return result


@pytest.mark.parametrize("name", ["demo", "three_days", "hostile", "large"])
def test_mermaid_draws_the_diagram(browser: Any, mermaid_path: Path, name: str) -> None:
    tl: Timeline = getattr(data, name)()
    text = mermaid(tl)
    tasks = [ln for ln in text.splitlines()[6:] if not ln.startswith("    section ")]
    result = draw_mermaid(browser, mermaid_path, text)
    assert result["ok"], result
    assert result["tasks"] == len(tasks)  # one drawn task per line: nothing injected
    assert result["links"] == 0 and result["scripts"] == 0
    assert result["sections"][0] in {"Leadup", "Detection"}


def open_page(browser: Any, tl: Timeline, tmp_path: Path, shot: str) -> dict[str, Any]:
    path = tmp_path / "page.html"
    path.write_text(render(tl, RenderOptions(fmt="page"), Config()), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    found: dict[str, Any] = page.evaluate(
        """() => ({
          marks: [...document.querySelectorAll('a.mark')].map(a => a.dataset.row),
          milestones: [...document.querySelectorAll('a.mark[data-milestone]')]
              .map(a => a.dataset.milestone),
          lines: [...document.querySelectorAll('g.milestone')].map(g => g.dataset.milestone),
          figures: [...document.querySelectorAll('g.figure')].map(g => g.dataset.figure),
          rows: document.querySelectorAll('tbody tr').length,
          width: document.querySelector('svg#timeline').getBoundingClientRect().width,
        })"""
    )
    page.screenshot(path=str(tmp_path / shot), full_page=True)
    page.screenshot(path=str(tmp_path / f"top-{shot}"))
    page.click("a.mark[data-milestone=ack]")
    found["target"] = page.evaluate("location.hash")
    page.emulate_media(media="print")
    page.pdf(path=str(tmp_path / "page.pdf"), format="A4", landscape=True)
    page.close()
    found["console"] = console
    found["requests"] = requests
    found["file"] = path.as_uri()
    return found


def test_demo_page_opens_clean_with_every_milestone(browser: Any, tmp_path: Path) -> None:
    tl = data.demo()
    found = open_page(browser, tl, tmp_path, "demo.png")
    assert found["console"] == []
    assert found["requests"] == [found["file"]]  # nothing leaves the file
    assert sorted(found["marks"], key=int) == [str(i + 1) for i in range(len(tl.events))]
    rows = {m.name for m in story(tl).milestones if m.row is not None}
    assert set(found["milestones"]) == rows
    assert set(found["lines"]) == {m.name for m in story(tl).milestones}
    assert {"time_to_ack_s", "time_to_resolve_s"} <= set(found["figures"])
    assert found["rows"] == len(tl.events)
    assert found["target"].startswith("#row-")
    assert found["width"] > 900
    assert (tmp_path / "demo.png").stat().st_size > 10_000
    assert (tmp_path / "page.pdf").read_bytes().startswith(b"%PDF")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":  # the README's picture
        (ROOT / "docs" / "images").mkdir(parents=True, exist_ok=True)
        (ROOT / "docs" / "images" / "timeline-page.png").write_bytes(
            (tmp_path / "top-demo.png").read_bytes()
        )


def test_large_incident_page_opens_clean(browser: Any, tmp_path: Path) -> None:
    tl = data.large()
    found = open_page(browser, tl, tmp_path, "large.png")
    assert found["console"] == []
    assert found["requests"] == [found["file"]]
    assert len(found["marks"]) == len(tl.events) == found["rows"]
    assert {"ack", "mitigated", "resolved"} <= set(found["milestones"])
