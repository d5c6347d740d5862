"""The slack sink through the real slack_sdk WebClient (files_upload_v2) against the fake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconstruct.config import Config
from reconstruct.deliver.base import Draft
from reconstruct.deliver.slack_sink import make, timeline_rows
from reconstruct.errors import DeliveryError
from reconstruct.model import Incident
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack

TOKEN = "xoxb-deliver-test-5a4b3c"
START = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
INC = "C0INC4821"
INCIDENT = Incident(
    id="Q9XYZ",
    number=4821,
    title="Checkout 5xx errors",
    severity="P1",
    services=("checkout",),
    started_at=START,
    resolved_at=START + timedelta(minutes=47),
    url=None,
)
MARKDOWN = """# Checkout 5xx errors (#4821)

## Timeline

<!-- reconstruct:timeline:start -->
| Time (UTC) | Event |
|---|---|
| 09:42 | PagerDuty: triggered |
| 09:44 | ana: acknowledged |
| 10:29 | resolved |

**Coverage:** 3 rows shown.
<!-- reconstruct:timeline:end -->

| Action item | Owner |
|---|---|
| a | b |
"""


def draft(channel: str | None = INC) -> Draft:
    return Draft(INCIDENT, MARKDOWN, Path("bundle"), slack_channel=channel)


def config(fake: FakeSlack, ca_bundle: Path, **deliver: object) -> Config:
    return Config.model_validate(
        {
            "tls": {"ca_bundle": str(ca_bundle)},
            "slack": {"base_url": fake.base_url},
            "deliver": {"slack": {"enabled": True, **deliver}},
        }
    )


@pytest.fixture
def fake(make_server: Callable[..., FakeServer], monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    monkeypatch.setenv("SLACK_TOKEN", TOKEN)
    fake = FakeSlack(make_server(), token=TOKEN)
    fake.add_channel(INC, "inc-4821")
    fake.add_channel("C0POSTMRT", "postmortems")
    return fake


def sink(fake: FakeSlack, ca_bundle: Path, **deliver: object) -> object:
    made = make(config(fake, ca_bundle, **deliver))
    assert made is not None
    return made


def test_not_configured_means_no_sink() -> None:
    assert make(Config()) is None


def test_counts_timeline_rows_only() -> None:
    assert timeline_rows(MARKDOWN) == 3
    assert timeline_rows("no table here") == 0


def test_uploads_the_draft_into_the_incident_channel(fake: FakeSlack, ca_bundle: Path) -> None:
    s = make(config(fake, ca_bundle, channel="C0POSTMRT"))
    assert s is not None and s.name == "slack"
    where = s.deliver(draft())

    assert fake.count("files.getUploadURLExternal") == 1
    assert fake.server.count("POST", r"/upload/v1/\w+") == 1
    assert fake.count("files.completeUploadExternal") == 1
    assert len(fake.server.requests) == 3
    [shared] = fake.shared
    assert shared["channel"] == INC  # the incident's own channel wins over the config
    assert shared["content"] == MARKDOWN.encode()
    assert shared["name"] == "2026-03-14-checkout-5xx-errors.md"
    assert shared["initial_comment"] == (
        "Post-mortem draft for #4821 Checkout 5xx errors: 3 timeline rows; "
        "edit it in the attached 2026-03-14-checkout-5xx-errors.md."
    )
    assert where == shared["permalink"]
    assert TOKEN not in where


def test_falls_back_to_the_configured_channel_id(fake: FakeSlack, ca_bundle: Path) -> None:
    s = make(config(fake, ca_bundle, channel="C0POSTMRT"))
    assert s is not None
    s.deliver(draft(channel=None))
    assert [f["channel"] for f in fake.shared] == ["C0POSTMRT"]
    assert len(fake.server.requests) == 3


def test_configured_channel_name_is_looked_up(fake: FakeSlack, ca_bundle: Path) -> None:
    s = make(config(fake, ca_bundle, channel="#postmortems"))
    assert s is not None
    s.deliver(draft(channel=None))
    assert fake.count("conversations.list") == 1
    assert [f["channel"] for f in fake.shared] == ["C0POSTMRT"]


def deliver_error(fake: FakeSlack, ca_bundle: Path, d: Draft, **deliver: object) -> str:
    s = make(config(fake, ca_bundle, **deliver))
    assert s is not None
    with pytest.raises(DeliveryError) as info:
        s.deliver(d)
    text = str(info.value)
    assert "\n" not in text
    assert TOKEN not in text
    assert text.startswith("slack sink: ")
    return text


def test_no_channel_anywhere_names_both(fake: FakeSlack, ca_bundle: Path) -> None:
    text = deliver_error(fake, ca_bundle, draft(channel=None))
    assert "incident channel" in text and "[deliver.slack] channel" in text
    assert fake.server.requests == []


def test_not_in_channel_says_invite_the_app(fake: FakeSlack, ca_bundle: Path) -> None:
    fake.not_in_channel.add(INC)
    text = deliver_error(fake, ca_bundle, draft())
    assert "not a member of C0INC4821" in text and "/invite" in text
    assert fake.shared == []


def test_missing_scope_names_the_scopes(fake: FakeSlack, ca_bundle: Path) -> None:
    fake.missing_scope["files.getUploadURLExternal"] = "files:write"
    text = deliver_error(fake, ca_bundle, draft())
    assert "files:write" in text and "chat:write" in text and "reinstall" in text
    assert fake.count("files.completeUploadExternal") == 0


def test_invalid_token_names_slack_token(
    fake: FakeSlack, ca_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_TOKEN", "xoxb-wrong-secret-value")
    text = deliver_error(fake, ca_bundle, draft())
    assert "SLACK_TOKEN was rejected (invalid_auth)" in text
    assert "xoxb-wrong-secret-value" not in text


def test_missing_token(fake: FakeSlack, ca_bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_TOKEN")
    text = deliver_error(fake, ca_bundle, draft())
    assert "SLACK_TOKEN is not set" in text
    assert fake.server.requests == []


def test_untrusted_certificate(fake: FakeSlack, tmp_path: Path) -> None:
    s = make(
        Config.model_validate(
            {"slack": {"base_url": fake.base_url}, "deliver": {"slack": {"enabled": True}}}
        )
    )
    assert s is not None
    with pytest.raises(DeliveryError, match=r"\[tls\] ca_bundle"):
        s.deliver(draft())
