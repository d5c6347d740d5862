"""Headless Chromium for the picture tests (Debian's ``chromium`` driven by Playwright).

The browser tests skip, with the reason, when Chromium or Playwright is missing; with
``CI_REQUIRE_BROWSER=1`` (CI sets it) a missing browser fails them instead, so CI cannot
pass without having run them. Mermaid (the library GitHub draws diagrams with) is read from
``$MERMAID_JS`` or ``.cache/mermaid/node_modules/mermaid/dist/mermaid.min.js`` (``.ci/run``
installs it from the npm registry).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CI_REQUIRE_BROWSER=1: CI must run the browser tests)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def mermaid_js() -> Path | None:
    env = os.environ.get("MERMAID_JS")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT / ".cache/mermaid/node_modules/mermaid/dist/mermaid.min.js")
    return next((p for p in candidates if p.is_file()), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        _missing("no Chromium installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def mermaid_path() -> Path:
    found = mermaid_js()
    if found is None:
        _missing("mermaid.min.js not found (npm install --prefix .cache/mermaid mermaid@11)")
    assert found is not None
    return found
