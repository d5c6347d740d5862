"""Issue #5's acceptance test: "A team can install it, set three environment variables and a cron
line, and every resolved incident gets exactly one draft in their docs repo and its Slack channel."

The four loopback fakes serve the demo incident (#4821, resolved 2026-03-14) and the GitHub fake
also holds the docs repository ``acme/postmortems``. Each run is the real ``reconstruct watch
--once --state FILE`` as the README's cron line runs it: from the directory holding
``reconstruct.toml`` (no ``--config``), with the tokens in the environment and every log record of
every SDK enabled (DEBUG) so a token that reached any log line would be seen. The real clock is
used; ``[watch] lookback`` reaches back past the demo incident, whose settle delay is long over.
"""

from __future__ import annotations

import logging
import re
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconstruct.cli import cli
from tests.fakes.demo_world import INCIDENT_CHANNEL, INCIDENT_ID, TOKENS, DemoWorld
from tests.fakes.server import FakeServer, Response
from tests.test_watch import logged

DOCS = "acme/postmortems"
DOCS_P = "/repos/acme/postmortems"
RESOLVED = datetime(2026, 3, 14, 10, 29, 31, tzinfo=UTC)
SLUG = "checkout-returning-5xx-for-most-requests"
FILENAME = f"2026-03-14-{SLUG}.md"
EVIDENCE = f"2026-03-14-{SLUG}.evidence"
BRANCH = f"postmortem/2026-03-14-{SLUG}"
DOCS_PATH = f"postmortems/{FILENAME}"
TITLE = "Checkout returning 5xx for most requests"
ROW = re.compile(r"^\| (?:\d{4}-\d\d-\d\d )?\d\d:\d\d \|")
SUMMARY = (
    "reconstruct: watch: {queued} queued, {delivered} delivered, {failed} failed, "
    "0 held by another run, 0 cancelled, 0 settling"
)
COLLECTIONS = r"/incidents/[^/]+/log_entries"


def rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if ROW.match(line)]


class Cron:
    """The team's setup: a working directory with ``reconstruct.toml``, the tokens exported, a
    state file on local disk, and the four services (plus the docs repository) behind fakes."""

    def __init__(
        self,
        make_server: Callable[..., FakeServer],
        ca_bundle: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        self.fakes = DemoWorld.start(make_server)
        self.fakes.github.add_repo(DOCS)
        DemoWorld.set_tokens(monkeypatch)
        self.caplog = caplog
        self.out = tmp_path / "postmortems"
        self.state = tmp_path / "state" / "watch.db"
        # The real clock runs on; reach back past the demo incident whatever today is.
        lookback = (datetime.now(UTC) - RESOLVED).days + 30
        self.workdir = Path.cwd()  # conftest: an empty directory of this test's own
        (self.workdir / "reconstruct.toml").write_text(
            self.fakes.config_text(ca_bundle)
            + "\n".join(
                [
                    "[watch]",
                    f'lookback = "{lookback}d"',
                    'settle = "10m"',
                    "[deliver]",
                    f'dir = "{self.out}"',
                    "[deliver.slack]",
                    "enabled = true",
                    "[deliver.github]",
                    f'repo = "{DOCS}"',
                    "",
                ]
            ),
            encoding="utf-8",
        )
        self.outputs: list[str] = []

    def run(self) -> tuple[int, list[str]]:
        """``reconstruct watch --once --state FILE``, as the cron line runs it."""
        self.caplog.clear()
        with self.caplog.at_level(logging.DEBUG):
            result = CliRunner().invoke(
                cli, ["watch", "--once", "--state", str(self.state)], catch_exceptions=False
            )
        self.outputs += [result.stdout, result.stderr, self.caplog.text]
        assert result.stdout == ""
        return result.exit_code, logged(result.stderr)

    def retry_now(self, incident: str) -> None:
        """The operator's ``reconstruct watch retry ID --yes``: no waiting out the backoff."""
        result = CliRunner().invoke(
            cli, ["watch", "retry", incident, "--yes", "--state", str(self.state)]
        )
        assert result.exit_code == 0, result.stderr
        self.outputs += [result.stdout, result.stderr]

    # -- what the services saw --------------------------------------------------------------
    def writes(self) -> dict[str, int]:
        slack, github = self.fakes.slack, self.fakes.github.server
        return {
            "slack.getUploadURL": slack.count("files.getUploadURLExternal"),
            "slack.upload": slack.server.count("POST", r"/upload/v1/\w+"),
            "slack.complete": slack.count("files.completeUploadExternal"),
            "slack.postMessage": slack.count("chat.postMessage"),
            "github.create_ref": github.count("POST", DOCS_P + r"/git/refs"),
            "github.put_file": github.count("PUT", DOCS_P + r"/contents/.+"),
            "github.create_pull": github.count("POST", DOCS_P + r"/pulls"),
        }

    def docs_requests(self) -> int:
        return sum(r.path.startswith(DOCS_P) for r in self.fakes.github.server.requests)

    def collections(self) -> int:
        return self.fakes.pagerduty.server.count("GET", COLLECTIONS)

    def drafts(self) -> list[Path]:
        return sorted(self.out.glob("*.md"))

    def pulls(self) -> list[dict[str, Any]]:
        return list(self.fakes.github.repos[DOCS]["pulls"].values())

    def docs_files(self) -> dict[tuple[str, str], bytes]:
        files: dict[tuple[str, str], bytes] = self.fakes.github.repos[DOCS]["files"]
        return files

    # -- no token anywhere ------------------------------------------------------------------
    def assert_no_token_anywhere(self) -> None:
        texts = list(self.outputs)
        stored = [p for root in (self.state.parent, self.out) for p in root.rglob("*")]
        blobs = [p.read_bytes() for p in stored if p.is_file()]
        blobs += [bytes(f["content"]) for f in self.fakes.slack.shared]
        blobs += list(self.docs_files().values())
        texts += [str(p.get("body")) + str(p.get("title")) for p in self.pulls()]
        texts += [str(f["initial_comment"]) for f in self.fakes.slack.shared]
        assert any(p.name == self.state.name for p in stored), "the state file was checked"
        for name, value in TOKENS.items():
            for text in texts:
                assert value not in text, f"{name} leaked into the output or a log line"
            for blob in blobs:
                assert value.encode() not in blob, f"{name} leaked into a stored or sent file"


@pytest.fixture
def cron(
    make_server: Callable[..., FakeServer],
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> Cron:
    return Cron(make_server, ca_bundle, tmp_path, monkeypatch, caplog)


def assert_draft_is_the_full_post_mortem(markdown: str) -> None:
    assert markdown.startswith(f"# Post-mortem: {TITLE}\n")
    for heading in ("## Summary", "## Timeline", "## Root cause", "## Action items"):
        assert f"\n{heading}\n" in markdown, heading
    table = rows(markdown)
    assert len(table) > 10
    sev = [r for r in table if "Declaring a SEV-1" in r]
    assert len(sev) == 1 and sev[0].startswith("| 09:48 |"), sev
    assert any("Merged PR #1187" in r for r in table), "GitHub rows are in it"
    assert any("slack.com/archives/" in r for r in table), "Slack rows are in it"


def assert_in_the_dir_once(cron: Cron) -> str:
    assert [p.name for p in cron.drafts()] == [FILENAME]
    assert sorted(p.name for p in cron.out.iterdir()) == [".reconstruct", FILENAME]
    assert not (cron.out / EVIDENCE).exists(), "the raw evidence never goes to the shared folder"
    evidence = cron.state.parent / "watch.bundles" / INCIDENT_ID  # kept private, by the state
    assert (evidence / "manifest.json").is_file()
    inside = list(evidence.rglob("*"))
    assert stat.S_IMODE(evidence.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in inside if p.is_file())
    return (cron.out / FILENAME).read_text(encoding="utf-8")


def assert_in_the_channel_once(cron: Cron, draft: str) -> str:
    assert len(cron.fakes.slack.shared) == 1
    shared = cron.fakes.slack.shared[0]
    assert shared["channel"] == INCIDENT_CHANNEL, "the incident channel the bundle found"
    assert shared["name"] == FILENAME
    assert shared["content"] == draft.encode("utf-8")
    assert shared["initial_comment"] == (
        f"Post-mortem draft for #4821 {TITLE}: {len(rows(draft))} timeline rows; "
        f"edit it in the attached {FILENAME}."
    )
    return str(shared["permalink"])


def assert_one_pull_request(cron: Cron, draft: str) -> str:
    pulls = cron.pulls()
    assert len(pulls) == 1
    pr = pulls[0]
    assert (pr["state"], pr["title"]) == ("open", f"Post-mortem: #4821 {TITLE}")
    assert pr["head"] == {"ref": BRANCH, "label": f"acme:{BRANCH}", "sha": pr["head"]["sha"]}
    assert pr["base"]["ref"] == "main"
    assert cron.docs_files() == {(BRANCH, DOCS_PATH): draft.encode("utf-8")}, (
        "the PR's branch adds exactly the draft; main is untouched"
    )
    assert cron.fakes.github.repos[DOCS]["refs"]["heads/main"] == "b" * 40
    return str(pr["html_url"])


# -- the acceptance story -----------------------------------------------------------------------
def test_each_resolved_incident_gets_exactly_one_draft_in_the_dir_the_channel_and_the_docs_repo(
    cron: Cron,
) -> None:
    code, lines = cron.run()
    assert code == 0, lines
    draft = assert_in_the_dir_once(cron)
    assert_draft_is_the_full_post_mortem(draft)
    permalink = assert_in_the_channel_once(cron, draft)
    pr_url = assert_one_pull_request(cron, draft)
    label = f"reconstruct: {INCIDENT_ID} (#4821)"
    assert lines[0].startswith(f"{label}: new: resolved 2026-03-14 10:29 UTC")
    assert f"{label}: delivered to dir: {cron.out / FILENAME}" in lines
    assert f"{label}: delivered to slack: {permalink}" in lines
    assert f"{label}: delivered to github: {pr_url}" in lines
    assert lines[-1] == SUMMARY.format(queued=1, delivered=1, failed=0)
    assert cron.writes() == {
        "slack.getUploadURL": 1,
        "slack.upload": 1,
        "slack.complete": 1,
        "slack.postMessage": 0,
        "github.create_ref": 1,
        "github.put_file": 1,
        "github.create_pull": 1,
    }
    assert cron.collections() == 1
    assert (cron.state.parent / "watch.bundles" / INCIDENT_ID / "manifest.json").is_file()

    # cron fires again: nothing new is collected, written, uploaded or proposed
    before = (cron.writes(), cron.collections(), cron.docs_requests())
    mtime = (cron.out / FILENAME).stat().st_mtime_ns
    code, lines = cron.run()
    assert code == 0, lines
    assert lines == [SUMMARY.format(queued=0, delivered=0, failed=0)]
    assert (cron.writes(), cron.collections(), cron.docs_requests()) == before
    assert (cron.out / FILENAME).stat().st_mtime_ns == mtime
    assert assert_in_the_dir_once(cron) == draft
    assert_in_the_channel_once(cron, draft)
    assert_one_pull_request(cron, draft)
    cron.assert_no_token_anywhere()


def test_a_failed_slack_upload_is_retried_alone_on_the_next_run(cron: Cron) -> None:
    # Slack's edge answers the upload's last step with a 502 (not retried by the SDK).
    cron.fakes.slack.server.fail_next(
        "POST",
        r"/api/files[.]completeUploadExternal",
        Response(502, "<html>502 Bad Gateway</html>", {"Content-Type": "text/html"}),
    )
    code, lines = cron.run()
    assert code == 1, lines
    label = f"reconstruct: {INCIDENT_ID} (#4821)"
    failed = [line for line in lines if line.startswith(f"{label}: not delivered to slack: ")]
    assert len(failed) == 1, lines
    assert "502" in failed[0]
    assert any(
        line.startswith(f"{label}: failed: slack: ") and "transient 1 of 10, retried from" in line
        for line in lines
    ), lines
    assert lines[-1] == SUMMARY.format(queued=1, delivered=0, failed=1) + ", 1 waiting to retry"
    draft = assert_in_the_dir_once(cron)
    assert_draft_is_the_full_post_mortem(draft)
    assert_one_pull_request(cron, draft)
    assert cron.fakes.slack.shared == []
    first = cron.writes()
    assert first == {
        "slack.getUploadURL": 1,
        "slack.upload": 1,
        "slack.complete": 1,
        "slack.postMessage": 0,
        "github.create_ref": 1,
        "github.put_file": 1,
        "github.create_pull": 1,
    }

    # the next run retries Slack only: the draft kept in the state, no new collection,
    # no request at all to the docs repository, the dir file untouched
    docs_requests, mtime = cron.docs_requests(), (cron.out / FILENAME).stat().st_mtime_ns
    sidecar = (cron.out / ".reconstruct" / f"{FILENAME}.json").read_bytes()
    cron.retry_now(INCIDENT_ID)  # the real clock runs here: not waiting out the 2-minute backoff
    code, lines = cron.run()
    assert code == 0, lines
    permalink = assert_in_the_channel_once(cron, draft)
    assert lines == [
        f"{label}: delivered to slack: {permalink}",
        SUMMARY.format(queued=0, delivered=1, failed=0),
    ]
    assert cron.writes() == {
        **first,
        "slack.getUploadURL": 2,
        "slack.upload": 2,
        "slack.complete": 2,
    }
    assert cron.collections() == 1
    assert cron.docs_requests() == docs_requests
    assert (cron.out / FILENAME).stat().st_mtime_ns == mtime
    assert (cron.out / ".reconstruct" / f"{FILENAME}.json").read_bytes() == sidecar
    assert assert_in_the_dir_once(cron) == draft
    assert_one_pull_request(cron, draft)

    # and then there is nothing left to do
    before = cron.writes()
    code, lines = cron.run()
    assert code == 0, lines
    assert lines == [SUMMARY.format(queued=0, delivered=0, failed=0)]
    assert cron.writes() == before
    cron.assert_no_token_anywhere()


# -- the README's recipes run the real command line ---------------------------------------------
def test_every_watch_and_serve_line_in_the_readme_parses_with_the_real_cli() -> None:
    from reconstruct.watch.commands import serve, watch

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Running it unattended\n", 1)[1].split("\n## ", 1)[0]
    commands = {"watch": watch, "serve": serve}
    found = re.findall(
        r"reconstruct (watch|serve)((?: --[a-z-]+(?: (?!--)[^\s'\"`#]+)?)*)", section
    )
    args = {(name, rest.strip()) for name, rest in found}
    assert ("watch", "--once --state /srv/reconstruct/watch.db") in args, "the cron line"
    assert ("serve", "--no-worker") in args
    for name, rest in sorted(args):
        with commands[name].make_context(name, rest.split()) as ctx:  # a UsageError if unknown
            assert not ctx.args, f"reconstruct {name} {rest}"
