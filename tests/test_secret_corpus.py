"""Issue #12's corpus: fake secrets of 40 kinds in every source and in the incident title, collected
live from the loopback fakes, rendered in every format and delivered through every sink. None of
them, nor the first 12 characters of any, may appear in any output, any request a sink sent (as
the fakes captured it), or any file or branch name; and the rows that carried them are still
shown."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconstruct.config import load_config
from reconstruct.deliver.dir_sink import DirSink
from reconstruct.deliver.github_sink import GitHubSink
from reconstruct.deliver.slack_sink import SlackSink
from reconstruct.render import FORMATS, RenderOptions, render
from reconstruct.watch.build import build
from tests.fakes.demo_world import INCIDENT_CHANNEL, REPO, TOKENS, DemoWorld
from tests.fakes.server import FakeServer
from tests.test_redact_config_pastes import KEY_B64, KEY_B64_BODY

PEM_BODY = "MIIEowIBAAKCAQEAq7BFUpkGp3+LQmlQ9Nx2cZKvZ0cwbkFqWX5r1mTgNe4hsC0d"
GITHUB_PAT = (
    "github_pat_11AZQX7TY0aB3cD5eF7gH9_jK2lM4nP6qR8sT0uV2wX4yZ6aB8cD0eF2gH4iJ6kL8mN0pQ2rS4t"
)
SA_KEY_ID = "5c1f0e9a7b3d4e2f8a6c0b9d1e3f5a7c9b2d4f60"
SECRETS: dict[str, tuple[str, str]] = {
    # kind: (the secret, the text it is pasted in)
    "aws access key": ("AKIAQ3EGRT5ZXCVB7NMQ", "key AKIAQ3EGRT5ZXCVB7NMQ"),
    "aws secret key": (
        "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",
        "the aws secret is Zq8dK2mP4xR7tV1wY3nB6cF9hJ0lS5gA2eU8iO4k",
    ),
    "slack bot token": (
        "xoxb-2849104751-5738291046-q7WfT3kLpZ9sVbN2mXc4RgHy",
        "bot xoxb-2849104751-5738291046-q7WfT3kLpZ9sVbN2mXc4RgHy",
    ),
    "slack webhook": (
        "https://hooks.slack.com/services/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",
        "hook https://hooks.slack.com/services/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",
    ),
    "github classic token": (
        "ghp_R8sT2vX5zB7nM4qW1eY6uI9oP3aS0dF2gH4j",
        "gh ghp_R8sT2vX5zB7nM4qW1eY6uI9oP3aS0dF2gH4j",
    ),
    "github fine-grained token": (GITHUB_PAT, f"pat {GITHUB_PAT}"),
    "grafana token": (
        "glsa_Xk4Rt8Vz2Bn6Mq0Wy3Ep7Ju1Ic5Ol9Sa_4f2e9c1b",
        "grafana glsa_Xk4Rt8Vz2Bn6Mq0Wy3Ep7Ju1Ic5Ol9Sa_4f2e9c1b",
    ),
    "stripe key": (
        "sk_live_51HqLyjWDarjtT1zdp7dcXyZ0aB1cD2eF3gH4iJ5kL6mN7oP8",
        "stripe sk_live_51HqLyjWDarjtT1zdp7dcXyZ0aB1cD2eF3gH4iJ5kL6mN7oP8",
    ),
    "npm token": (
        "npm_Q2w4E6r8T0y2U4i6O8p0A2s4D6f8G0h2J4k6",
        "npm npm_Q2w4E6r8T0y2U4i6O8p0A2s4D6f8G0h2J4k6",
    ),
    "jwt": (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvbmNhbGwtYm90IiwiaWF0IjoxNzczNDgxMDAwfQ."
        "Kq3v9XbT2mLw8RzY5nP0cJ7fH4dA1sG6eU3iO9kQxWc",
        "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvbmNhbGwtYm90IiwiaWF0IjoxNzczNDgxMDAw"
        "fQ.Kq3v9XbT2mLw8RzY5nP0cJ7fH4dA1sG6eU3iO9kQxWc",
    ),
    "azure storage key": (
        "Wm9vS3RvcmFnZUtleTBmRmFrZVRlc3QxMjM0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NQ==",
        "DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey="
        "Wm9vS3RvcmFnZUtleTBmRmFrZVRlc3QxMjM0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NQ==;"
        "EndpointSuffix=core.windows.net",
    ),
    "azure sas": (
        "r4nd0mS1gnatur3Fak3Valu3xyz%3D",
        "https://acme.blob.core.windows.net/logs?sv=2022-11-02&sig=r4nd0mS1gnatur3Fak3Valu3xyz%3D",
    ),
    "password line": ("Kx9#mQ2$vL7!pW4z", "password=Kx9#mQ2$vL7!pW4z"),
    "connection string": (
        "Sql5erverPa55w0rd",
        "Server=tcp:db.acme.internal,1433;User ID=app;Password=Sql5erverPa55w0rd;Encrypt=True",
    ),
    "basic auth in url": (
        "Pg5ecretPassw0rd",
        "psql postgres://app:Pg5ecretPassw0rd@db.acme.internal:5432/orders",
    ),
    "bearer token": (
        "8f3kQ9zLm2Xp7RtY4vWb6NcJ",
        "curl -H 'Authorization: Bearer 8f3kQ9zLm2Xp7RtY4vWb6NcJ'",
    ),
    "pagerduty routing key": (
        "R03F7A9C2E4B6D8F0A1C3E5B7D9F1A3C",
        "routing_key: R03F7A9C2E4B6D8F0A1C3E5B7D9F1A3C",
    ),
    "api key": (
        "ak_9f8e7d6c5b4a3210fedcba9876543210",
        "api_key=ak_9f8e7d6c5b4a3210fedcba9876543210",
    ),
    "google api key": (
        "AIzaSyD4f8K2mN6pQ0rS3tU7vW1xY5zA9bC2dE4",
        "maps AIzaSyD4f8K2mN6pQ0rS3tU7vW1xY5zA9bC2dE4",
    ),
    "sendgrid key": (
        "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",
        "mail 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",
    ),
    "twilio key": (
        "SK4f9e2d7c1b8a3f6e0d5c9b2a7f4e1d8c",
        "twilio SK4f9e2d7c1b8a3f6e0d5c9b2a7f4e1d8c",
    ),
    "openai key": (
        "sk-proj-Tz8Qm3Wx7Rv2Lp9Kn4Js6Hd1Fg5Ca0Be3Yu7Io2",
        "llm sk-proj-Tz8Qm3Wx7Rv2Lp9Kn4Js6Hd1Fg5Ca0Be3Yu7Io2",
    ),
    "vault token": ("hvs.CAESIJz8Kx3mQ7vR2tW9yB4nL6pF", "vault hvs.CAESIJz8Kx3mQ7vR2tW9yB4nL6pF"),
    "mailchimp key": (
        "9f3e7d1c5b9a2e4f6d8c0b1a3e5f7d9c-us14",
        "mailchimp 9f3e7d1c5b9a2e4f6d8c0b1a3e5f7d9c-us14",
    ),
    "telegram bot token": (
        "7481920365:AAH3kQ9zLm2Xp7RtY4vWb6NcJ8dF1gS5hUe",
        "telegram 7481920365:AAH3kQ9zLm2Xp7RtY4vWb6NcJ8dF1gS5hUe",
    ),
    "client secret json": (
        "cS9_xV2-bN7mQ4wE1rT6yU3iO8pA5sD0",
        '{"client_id": "checkout", "client_secret": "cS9_xV2-bN7mQ4wE1rT6yU3iO8pA5sD0"}',
    ),
    "pem private key": (
        PEM_BODY,
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\nT2f8bN1qLx5Rz\n"
        "-----END RSA PRIVATE KEY-----",
    ),
    "service account key": (
        SA_KEY_ID,
        '{"type": "service_account", "project_id": "acme-prod", "private_key_id": "'
        + SA_KEY_ID
        + '", "client_email": "deployer@acme-prod.iam.gserviceaccount.com"}',
    ),
    # the newcomer test's leaks (second pass of #12): keyword forms, prefixes, pairs
    "datadog app key": (
        "4b8d2f6a0c3e5a7c9e1b3d5f7a9c2e4b6d8f0a1c",
        "DD_APP_KEY: 4b8d2f6a0c3e5a7c9e1b3d5f7a9c2e4b6d8f0a1c",
    ),
    "heroku api key v2": (
        "HRKU-AAq9Xz3Lm8Np2Wv5Ty7Rs4Uo1Ik9Jh6GfZk2Vb8Nm4Qw7Er1Ty5Ui9Op3As_wQ",
        "heroku HRKU-AAq9Xz3Lm8Np2Wv5Ty7Rs4Uo1Ik9Jh6GfZk2Vb8Nm4Qw7Er1Ty5Ui9Op3As_wQ",
    ),
    "quoted passphrase": ("horse battery staple", 'password = "correct horse battery staple"'),
    "yaml pass": ("Hunter2PassXyz", "pass: Hunter2PassXyz"),
    "kubernetes data": ("UGdfUGE1NXcwcmRfWmV0YTk=", "data: DB_PASS: UGdfUGE1NXcwcmRfWmV0YTk="),
    "aws key pair": (
        "Yq8vT2pL9mN4xR7kW1zY5bC3dF6gJ0sA2uE8iO4z",
        "AKIAZ7XR2M4KZ9PL3WTC / Yq8vT2pL9mN4xR7kW1zY5bC3dF6gJ0sA2uE8iO4z",
    ),
    "docker auth": (
        "ZGVwbG95OmdocF9SOGZLMm1YOXZMNHFUN3da",
        '{"auths":{"ghcr.io":{"auth":"ZGVwbG95OmdocF9SOGZLMm1YOXZMNHFUN3da"}}}',
    ),
    "npm auth token": (
        "6c1b3f7e-1d0a-4f2b-9c8e-5a4d3b2c1e0f",
        "//registry.npmjs.org/:_authToken=6c1b3f7e-1d0a-4f2b-9c8e-5a4d3b2c1e0f",
    ),
    "api key header": ("7fa8c2d19b3e5f70", "curl -H 'X-Api-Key: 7fa8c2d19b3e5f70' https://api"),
    "password flag": ("Wint3rIsC0ming", "mysql --password Wint3rIsC0ming -h db"),
    "linear api key": (
        "lin_api_k2m9x4q7w1e8r5t3y6u0i2o4p7a9s1d3f5g8h0j2",
        "linear lin_api_k2m9x4q7w1e8r5t3y6u0i2o4p7a9s1d3f5g8h0j2",
    ),
    "doppler token": (
        "dp.pt.Zk4Lm8Np2Wv5Ty7Rs4Uo1Ik9Jh6GfZk2Vb8Nm4Qw7E",
        "doppler dp.pt.Zk4Lm8Np2Wv5Ty7Rs4Uo1Ik9Jh6GfZk2Vb8Nm4Qw7E",
    ),
    # a kubeconfig, a Secret manifest, a docker config (#15): secret by key or by encoding
    "kubeconfig client key": (KEY_B64_BODY, f"client-key-data: {KEY_B64}"),
    "kubernetes secret data": (
        "ZGItMS5wcm9kLmludGVybmFs",
        "apiVersion: v1 kind: Secret type: Opaque data: DB_HOST: ZGItMS5wcm9kLmludGVybmFs",
    ),
    "docker auth, short": ("Y2k6aHVudGVyMg==", '{"auths":{"r.io":{"auth":"Y2k6aHVudGVyMg=="}}}'),
    "url password with @": ("ssW0rd9x@db", "postgres://app:p@ssW0rd9x@db-1.acme.internal/orders"),
    **{
        name.lower(): (value, f"{name.lower().replace('_', ' ')} {value}")
        for name, value in TOKENS.items()
    },
}
CORPUS = "\n".join(text for _, text in SECRETS.values())
PAGERDUTY_MARK, SLACK_MARK, GITHUB_MARK, GRAFANA_MARK = (
    "corpusPagerDutyNote",
    "corpusSlackPinned",
    "corpusGitHubChange",
    "corpusGrafanaAnnotation",
)
DOCS = "acme/postmortems"


def leaks(text: str) -> list[str]:
    """The kinds whose secret, or its first 12 characters, are in ``text``."""
    return [kind for kind, (secret, _) in SECRETS.items() if secret[:12] in text]


def plant(world: DemoWorld) -> None:
    """The corpus in a record of every source and in the incident title."""
    [data] = world.pagerduty.incidents
    data.incident["title"] = "Checkout 5xx <!channel> @here " + CORPUS.replace("\n", " ")
    data.notes[0]["content"] = f"{PAGERDUTY_MARK}\n{CORPUS}"
    pinned = dict(world.slack.messages[INCIDENT_CHANNEL][0])
    pinned.update(
        ts="1773482000.000100",
        text=f"{SLACK_MARK} <!channel>\n{CORPUS}",
        pinned_to=[INCIDENT_CHANNEL],
        client_msg_id="corpus-0001",
    )
    pinned.pop("blocks", None)
    world.slack.messages[INCIDENT_CHANNEL].append(pinned)
    for pull in world.github.repos[REPO]["pulls"].values():
        pull["title"] = f"{GITHUB_MARK} config {CORPUS}"
        pull["body"] = CORPUS
    for annotation in world.grafana.records:
        annotation["text"] = f"{GRAFANA_MARK} {CORPUS}"


@pytest.fixture
def world(
    make_server: Callable[..., FakeServer], monkeypatch: pytest.MonkeyPatch, ca_bundle: Path
) -> DemoWorld:
    world = DemoWorld.start(make_server)
    world.set_tokens(monkeypatch)
    world.github.add_repo(DOCS)
    plant(world)
    return world


def test_no_secret_in_any_format_sink_or_name(
    world: DemoWorld, tmp_path: Path, ca_bundle: Path
) -> None:
    assert len(SECRETS) >= 20
    path = tmp_path / "reconstruct.toml"
    path.write_text(
        world.config_text(ca_bundle)
        + f'[deliver]\ndir = "{tmp_path / "out"}"\n'
        + "[deliver.slack]\nenabled = true\n"
        + f'[deliver.github]\nrepo = "{DOCS}"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    now = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    built = build("4821", config, tmp_path / "bundle", now)

    # every format shows the rows that carried the secrets, and none of the secrets
    from reconstruct.bundle import Bundle
    from reconstruct.pipeline import build_timeline

    timeline = build_timeline(Bundle.open(built.draft.bundle_path), config)
    for fmt in FORMATS:
        out = render(timeline, RenderOptions(fmt=fmt), config)
        assert leaks(out) == [], fmt
        for mark in (SLACK_MARK, GITHUB_MARK, GRAFANA_MARK):
            assert mark in out, (fmt, mark)
        assert "redacted: " in out
    doc = json.loads(render(timeline, RenderOptions(fmt="json"), config))
    assert any(PAGERDUTY_MARK in e["summary"] for e in doc["events"])
    assert "<!channel>" not in built.draft.markdown.replace("\\<!channel>", "")  # escaped
    assert "@here" not in built.draft.markdown  # @\u200bhere: pings no one

    # every sink, every request it sent, every name it chose
    for server in world.servers.values():
        server.reset_log()
    where = [
        DirSink(tmp_path / "out").deliver(built.draft),
        SlackSink(config, None).deliver(built.draft),
        GitHubSink(config, DOCS).deliver(built.draft),
    ]
    assert leaks("\n".join(where)) == []
    sent = [
        b"%b %b %b" % (r.path.encode(), json.dumps(r.query).encode(), r.body)
        for server in world.servers.values()
        for r in server.requests
    ]
    assert sent, "the sinks sent requests"
    for body in sent:
        assert leaks(body.decode("utf-8", errors="replace")) == []
        assert b"<!channel>" not in body.replace(b"\\<!channel>", b"")  # escaped in the file
    [shared] = world.slack.shared
    assert leaks(json.dumps(shared, default=repr)) == []
    assert "&lt;\u200b!channel&gt;" in str(shared["initial_comment"])
    docs = world.github.repos[DOCS]
    names = [*docs["refs"], *(p for _, p in docs["files"])]
    for branch, file_path in docs["files"]:
        names.append(branch)
        assert leaks(docs["files"][(branch, file_path)].decode()) == []
    files = [str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*")]
    for name in [*names, *files]:
        assert leaks(name) == [], name
        assert all(c.isascii() for c in name), name
    for request in world.github.server.requests:
        if request.method == "PUT":
            content = base64.b64decode(request.json()["content"]).decode()
            assert leaks(content) == [] and SLACK_MARK in content
