"""Live GitHub collection reads the whole PR (``GET /repos/o/r/pulls/{n}``) of the lead-up PR a
PR merged in the window reverts, so the change the incident is about credits who merged it: the
search results carry no ``merged_by`` (https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request
has it; the list and search results do not), and its row read from them names no merger (nc13b
#1). Real PyGithub against the fake GitHub (``tests.fakes.github``): search items with the
PR's body, as GitHub returns the issue's body; a revert PR's body as GitHub's revert button
writes it (``Reverts owner/repo#412``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconstruct.collectors.github.parse import parse
from reconstruct.model import Kind
from tests.fakes import github as fk
from tests.fakes.server import FakeServer
from tests.test_github_live import REPO, TOKEN, Recorder, make_ctx, run


def revert(number: int, target: str, merged_at: str) -> dict:  # type: ignore[type-arg]
    pr = fk.pull(REPO, number, f"Revert PR {target}", merged_at, author="mei", merged_by="oskar")
    pr["body"] = f"Reverts {target}\n\nRenewals fail: the token lacks Zone:DNS:Edit."
    return pr


def test_the_pr_a_window_revert_reverts_is_read_whole(
    make_server: Callable[..., FakeServer], ca_bundle: Path, tmp_path: Path
) -> None:
    server = make_server()
    gh = fk.FakeGitHub(server, token=TOKEN)
    pulls = [
        fk.pull(REPO, 412, "Switch ClusterIssuer to DNS-01", "2026-03-07T16:20:00Z",
                author="mei", merged_by="oskar"),
        fk.pull(REPO, 413, "Rotate staging credentials", "2026-03-08T10:00:00Z", author="sam"),
        fk.pull(REPO, 414, "Bump chart", "2026-03-09T10:00:00Z", author="sam", merged_by="lee"),
        revert(419, f"{REPO}#412", "2026-03-14T09:46:00Z"),
        revert(420, "acme/other#414", "2026-03-14T09:50:00Z"),  # another repository's #414
    ]  # fmt: skip
    gh.add_repo(REPO, pulls=pulls)
    recorder = Recorder()
    _, bundle = run(make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings())

    asked = sorted(
        int(r.path.rsplit("/", 1)[1])
        for r in server.requests
        if r.path.startswith("/repos/acme/checkout/pulls/")
    )
    assert asked == [412, 419, 420], "the window's PRs and the one they revert, no other"
    assert bundle.files("github/acme/checkout/pulls/") == [
        f"github/acme/checkout/pulls/{n}.json" for n in (412, 419, 420)
    ]
    changes = {e.key.rpartition("#")[2]: e for e in parse(bundle) if e.kind is Kind.CHANGE}
    assert changes["412"].actor == "oskar"
    assert (
        changes["412"].summary == "Merged PR #412: Switch ClusterIssuer to DNS-01 (opened by mei)"
    )
    # read from the search only: no merger claimed, the author named as such
    assert changes["414"].actor is None and changes["413"].actor is None
    assert changes["414"].summary == "Merged PR #414: Bump chart (opened by sam)"
