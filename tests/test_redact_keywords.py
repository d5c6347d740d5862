"""Issue #12, second pass: secrets assigned to a secret-sounding name in every way config files,
headers, command lines and chat write them; the vendor-prefixed token formats of gitleaks'
catalogue; an AWS key id's nearby secret; Docker and npm auth; and the text that only looks like
any of them (pod names, limits, durations...), which must stay as it was written."""

from __future__ import annotations

import random
import string
from dataclasses import replace
from pathlib import Path

import pytest

from reconstruct.config import Config, load_config
from reconstruct.errors import ConfigError
from reconstruct.model import Kind, Link, Timeline
from reconstruct.redact import Redactor, redact
from reconstruct.redact.keywords import classify
from reconstruct.render import FORMATS, RenderOptions, render
from tests.test_render_fixture import at, ev, timeline

_RNG = random.Random(4821)
LOWER_DIGITS = string.ascii_lowercase + string.digits
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def fake(alphabet: str, n: int) -> str:
    """``n`` characters of ``alphabet`` (a seeded generator: the same fakes every run)."""
    return "".join(_RNG.choice(alphabet) for _ in range(n))


PASSPHRASE = "correct horse battery staple"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # quoted values: whole, up to the closing quote, in every quote kind and file format
        (f'password = "{PASSPHRASE}"', 'password = "[redacted: password]"'),
        (f"password = '{PASSPHRASE}'", "password = '[redacted: password]'"),
        (f"password = `{PASSPHRASE}`", "password = `[redacted: password]`"),
        (f'{{"db_password": "{PASSPHRASE}"}}', '{"db_password": "[redacted: password]"}'),
        (f"db:\n  password: '{PASSPHRASE}'\n", "db:\n  password: '[redacted: password]'\n"),
        (f'DB_PASS="{PASSPHRASE}"', 'DB_PASS="[redacted: password]"'),
        ('passphrase: "it\\"s a secret"', 'passphrase: "[redacted: password]"'),
        (f'client_secret = "{PASSPHRASE}" # toml', 'client_secret = "[redacted: secret]" # toml'),
        ("[db]\npassword = Tr0ub4dor&3\n", "[db]\npassword = [redacted: password]\n"),
        ("GET /v1?access_token=Zx81bQ&page=2", "GET /v1?access_token=[redacted: token]&page=2"),
        ('the password is "correct horse"; ok', 'the password is "[redacted: password]"; ok'),
        ("new api key: 'Q1 w2 e3'", "new api key: '[redacted: api key]'"),
        # chat markup around the name (Slack mrkdwn, Markdown)
        ("*Password:* Hunter2Pass", "*Password:* [redacted: password]"),
        ("*DB_PASS*: Hunter2Pass", "*DB_PASS*: [redacted: password]"),
        ("`api_token`: abcd1234efgh", "`api_token`: [redacted: token]"),
        # XML config, curl's basic auth
        (
            "<server><id>nexus</id><password>Hunter2Pass</password></server>",
            "<server><id>nexus</id><password>[redacted: password]</password></server>",
        ),
        ("<tokenTtl>3600s</tokenTtl>", "<tokenTtl>3600s</tokenTtl>"),
        (
            "curl -sS -u deploy:Wint3r-Is-Coming https://ci.acme.io/api",
            "curl -sS -u deploy:[redacted: password] https://ci.acme.io/api",
        ),
        (
            "curl --user=ana:S3cr3tPw https://x.io",
            "curl --user=ana:[redacted: password] https://x.io",
        ),
        # command-line flags
        ("mysql --password Hunter2Pass -h db", "mysql --password [redacted: password] -h db"),
        ("--password=Hunter2Pass", "--password=[redacted: password]"),
        (f'--client-secret "{PASSPHRASE}"', '--client-secret "[redacted: secret]"'),
        ("vault login --token=hvz.notaprefix42", "vault login --token=[redacted: token]"),
        # env files, shell, connection strings
        ("export API_TOKEN='abc def 42'", "export API_TOKEN='[redacted: token]'"),
        (
            "Host=db;Username=app;Pwd=Winter2024!;SslMode=Require",
            "Host=db;Username=app;Pwd=[redacted: password];SslMode=Require",
        ),
        # headers (an auth scheme word before the value is not the value)
        ("X-Api-Key: 7fa8c2d19b", "X-Api-Key: [redacted: api key]"),
        ("api-key: 9f8e7d6c5b4a", "api-key: [redacted: api key]"),
        ("PRIVATE-TOKEN: zz9-plural-z-alpha", "PRIVATE-TOKEN: [redacted: token]"),
        ("Authorization: Token abcd1234efgh", "Authorization: Token [redacted: credential]"),
        ("X-Auth-Token: Bearer q1w2e3r4t5y6", "X-Auth-Token: Bearer [redacted: bearer token]"),
    ],
)
def test_assigned_values_are_redacted_whole(text: str, expected: str) -> None:
    assert redact(text) == expected


NAMES = [
    ("DD_APP_KEY", "app key"),
    ("app_key", "app key"),
    ("pass", "password"),
    ("DB_PASS", "password"),
    ("pwd", "password"),
    ("passphrase", "password"),
    ("client_secret", "secret"),
    ("clientSecret", "secret"),
    ("private_key", "private key"),
    ("credentials", "credential"),
    ("access_key", "access key"),
    ("secret_key", "secret key"),
    ("signing_key", "signing key"),
    ("webhook_secret", "secret"),
    ("api-key", "api key"),
    ("X-Api-Key", "api key"),
    ("apiKey", "api key"),
    ("APIKEY", "api key"),
    ("SLACK_BOT_TOKEN", "token"),
    ("dbPassword", "password"),
    ("AccountKey", "account key"),
    ("GITHUBTOKEN", "token"),
]


@pytest.mark.parametrize(("name", "kind"), NAMES)
@pytest.mark.parametrize("form", ["{n}: {v}", "{n}={v}", '"{n}": "{v}"', "{n} = '{v}'"])
def test_every_secret_name_in_every_case_style(name: str, kind: str, form: str) -> None:
    value = "Q7" + fake(ALNUM, 30)
    text = "config " + form.format(n=name, v=value) + " end"
    got = redact(text)
    assert value[:12] not in got
    assert f"[redacted: {kind}]" in got
    assert got.startswith("config ") and name in got  # the name itself stays


def test_auth_needs_a_generated_value_but_docker_and_npm_auth_are_found() -> None:
    basic = "ZGVwbG95OmdocF9SOGZLMm1YOXZMNHFUN3da"  # base64 of user:token
    docker = '{"auths":{"ghcr.io":{"auth":"' + basic + '"}}}'
    assert redact(docker) == '{"auths":{"ghcr.io":{"auth":"[redacted: credential]"}}}'
    assert redact(f"_auth={basic}") == "_auth=[redacted: credential]"
    npm_uuid = "6c1b3f7e-1d0a-4f2b-9c8e-5a4d3b2c1e0f"
    assert redact(f"//registry.npmjs.org/:_authToken={npm_uuid}") == (
        "//registry.npmjs.org/:_authToken=[redacted: token]"
    )
    assert redact("auth: basic, auth_method: oauth2") == "auth: basic, auth_method: oauth2"


# One fake per vendor-prefixed format (gitleaks' catalogue): (kind, token).
VENDOR = [
    ("heroku api key", "HRKU-AA" + fake(ALNUM + "_-", 58)),
    ("linear api key", "lin_api_" + fake(LOWER_DIGITS, 40)),
    ("doppler token", "dp.pt." + fake(ALNUM, 43)),
    ("atlassian api token", "ATATT3xFfGF0" + fake(ALNUM + "_-", 180)),
    ("postman api key", "PMAK-" + fake(HEX, 24) + "-" + fake(HEX, 34)),
    ("grafana api key", "eyJrIjoi" + fake(ALNUM, 80)),
    ("grafana token", "glsa_" + fake(ALNUM, 32) + "_" + fake(HEX, 8)),
    ("grafana token", "glc_" + fake(ALNUM, 40)),
    ("pulumi token", "pul-" + fake(HEX, 40)),
    ("terraform cloud token", fake(LOWER_DIGITS, 14) + ".atlasv1." + fake(ALNUM, 64)),
    ("databricks token", "dapi" + fake(HEX, 32)),
    ("hugging face token", "hf_" + fake(string.ascii_letters, 34)),
    ("shopify token", "shpat_" + fake(HEX, 32)),
    ("age secret key", "AGE-SECRET-KEY-1" + fake("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)),
    ("alibaba access key", "LTAI" + fake(ALNUM, 20)),
    ("dynatrace token", "dt0c01." + fake("ABCDEFGHIJ0123456789", 24) + "." + fake(ALNUM, 64)),
    ("google oauth client secret", "GOCSPX-" + fake(ALNUM, 28)),
    ("notion token", "ntn_" + fake(string.digits, 11) + fake(ALNUM, 35)),
    ("planetscale token", "pscale_tkn_" + fake(ALNUM, 43)),
    ("rubygems token", "rubygems_" + fake(HEX, 48)),
    ("sentry token", "sntryu_" + fake(HEX, 64)),
    ("docker hub token", "dckr_pat_" + fake(ALNUM, 27)),
    ("tailscale key", "tskey-auth-k" + fake(ALNUM, 10) + "CNTRL-" + fake(ALNUM, 30)),
    ("groq key", "gsk_" + fake(ALNUM, 52)),
    ("microsoft teams webhook", "https://acme.webhook.office.com/webhookb2/" + fake(HEX, 32)),
    ("octopus deploy key", "API-" + fake(string.ascii_uppercase + string.digits, 26)),
    ("sourcegraph token", "sgp_" + fake(HEX, 16) + "_" + fake(HEX, 40)),
    ("perplexity key", "pplx-" + fake(ALNUM, 48)),
    ("brevo key", "xkeysib-" + fake(HEX, 64) + "-" + fake(ALNUM, 16)),
    ("infracost token", "ico-" + fake(ALNUM, 32)),
]


@pytest.mark.parametrize(
    ("kind", "token"), VENDOR, ids=[f"{k}-{i}" for i, (k, _) in enumerate(VENDOR)]
)
def test_vendor_prefixed_tokens_are_redacted_whole(kind: str, token: str) -> None:
    assert redact(f"pasted {token} by mistake") == f"pasted [redacted: {kind}] by mistake"


def test_an_aws_key_ids_secret_on_the_same_line_is_redacted_without_the_word() -> None:
    key_id = "AKIAZ7XR2M4KZ9PL3WTC"
    secret = "Yq8vT2pL9mN4xR7kW1zY5bC3dF6gJ0sA2uE8iO4z"
    for sep in (" / ", ":", ", ", " and "):
        assert redact(f"creds {key_id}{sep}{secret}") == (
            f"creds [redacted: aws access key]{sep}[redacted: aws secret key]"
        )
    sha = "3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"  # lower-case hex: a commit, not a secret
    assert redact(f"{key_id} rotated in {sha}") == f"[redacted: aws access key] rotated in {sha}"
    assert redact(f"{key_id}\n{secret}") == f"[redacted: aws access key]\n{secret}"


FALSE_POSITIVES = [
    "restarted secret-manager-7d9f8b6c5d-x2k9p",
    "token-service-v2 p99 at 4s",
    "token_bucket_limit: 5000 rps",
    "password_policy: strict",
    "token_ttl: 3600s and max_tokens: 4096",
    "password_min_length: 12, token_refresh_interval = 15m, secret_rotation: 90d",
    "kubectl rollout restart deploy/secret-store-csi-driver -n kube-system",
    "pod auth-proxy-5c9d7b8f4-qw7zx OOMKilled (limit 512Mi)",
    "secret_name: checkout-db-creds-v2",
    "cache_key: user-123456789, dedup_key: checkout-5xx-2026-03-14, public_key: ssh-ed25519",
    "request_id=8f14e45f-ceea-467f-a0e6-1f0c0a8e8d7b trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
    "deployed 3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a (v2.14.3-rc.1) to prod",
    "see https://grafana.acme.io/d/abc123/checkout?orgId=1&from=now-6h&var-token_bucket=all",
    "token: expired, rotating now; password: reset by ana; secret: rotated",
    "api_key: ${DD_API_KEY}, password: <your-password>, token = '***', secret: {{ .Values.x }}",
    "auth: enabled, auth_mode: oidc, credentials: none, tokens: 1500",
    "password expiry 30d; the token refresh took 2.5s",
    "keyboard: broken; passenger: 42; author: ana; monkey_key: banana",
    "smoke tests pass: 42/42, canary pass: green, uptime 99.95%",
    "kubectl describe secret checkout-db-v2 -n prod; rotated the token payments-api-v3",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_text_that_only_looks_like_a_secret_stays(text: str) -> None:
    assert redact(text) == text


def test_names_are_split_into_components_and_graded() -> None:
    assert classify("DD_APP_KEY") is not None and classify("cache_key") is None
    assert classify("token-service-v2") is not None  # graded RELATED: needs a generated value
    assert classify("keyboard") is None and classify("passenger") is None


LINK = Link("pagerduty", "https://acme.pagerduty.com/incidents/PXSECR1", "pagerduty")


def rows(texts: list[str]) -> Timeline:
    events = tuple(
        ev(at(9, 50 + i % 9), Kind.UPDATE, t, (LINK,), f"k:{i}")  # type: ignore[arg-type]
        for i, t in enumerate(texts)
    )
    return replace(timeline(), events=events)


def test_no_format_shows_them_and_every_format_keeps_the_look_alikes() -> None:
    leaks = {
        "L1": "DD_APP_KEY: 4b8d2f6a0c3e5a7c9e1b3d5f7a9c2e4b6d8f0a1c",
        "L2": VENDOR[0][1],
        "L3": f'password = "{PASSPHRASE}"',
        "L4": "pass: Hunter2PassXyz",
        "L5": "data: DB_PASS: UGdfUGE1NXcwcmRfWmV0YTk=",
        "L6": "AKIAZ7XR2M4KZ9PL3WTC / Yq8vT2pL9mN4xR7kW1zY5bC3dF6gJ0sA2uE8iO4z",
        "L7": '{"auths":{"ghcr.io":{"auth":"ZGVwbG95OmdocF9SOGZLMm1YOXZMNHFUN3da"}}}',
    }
    secrets = [
        "4b8d2f6a0c3e",
        VENDOR[0][1][:12],
        "horse battery",
        "Hunter2PassXyz"[:12],
        "UGdfUGE1NXcw",
        "Yq8vT2pL9mN4",
        "ZGVwbG95Omdo",
    ]
    keep = ["secret-manager-7d9f8b6c5d-x2k9p", "token_bucket_limit: 5000", "token_ttl: 3600s"]
    tl = rows([f"{k} {v}" for k, v in leaks.items()] + keep)
    for fmt in FORMATS:
        out = render(tl, RenderOptions(fmt=fmt), Config())
        for secret in secrets:
            assert secret not in out, (fmt, secret)
        for text in keep:
            assert text in out.replace("\\", ""), (fmt, text)
        assert out.replace("\\", "").count("[redacted: ") >= len(leaks), fmt  # rows kept


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (".*", "matches an empty string"),
        ("(?:)", "matches an empty string"),
        ("[A-Za-z0-9]*", "matches an empty string"),
        (r"\[redacted: [a-z ]+\]", "matches a redaction marker"),
        (".+", "matches a redaction marker"),
        (r"\S+", "matches secrets of every kind"),
        (r"[\w=+/-]{8,}", "matches secrets of every kind"),
    ],
)
def test_an_allow_pattern_that_keeps_every_secret_is_refused(
    tmp_path: Path, pattern: str, why: str
) -> None:
    path = tmp_path / "reconstruct.toml"
    path.write_text(f"[redact]\nallow = ['{pattern}']\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    line = str(info.value)
    assert line.startswith(f"{path}: [redact] allow: ") and "\n" not in line
    assert why in line and "turning redaction off" in line
    with pytest.raises(ConfigError, match=r"^\[redact\] allow: .*" + why):
        Redactor(allow=[pattern])


def test_a_narrow_allow_pattern_still_works(tmp_path: Path) -> None:
    path = tmp_path / "reconstruct.toml"
    path.write_text("[redact]\nallow = ['AKIAIOSFODNN7EXAMPLE', 'ghp_0{36}']\n", encoding="utf-8")
    config = load_config(path)
    redactor = Redactor.from_config(config)
    assert redactor("docs key AKIAIOSFODNN7EXAMPLE") == "docs key AKIAIOSFODNN7EXAMPLE"
    assert redactor("real AKIAQ3EGRT5ZXCVB7NMQ") == "real [redacted: aws access key]"


def test_long_runs_of_spaces_split_the_text_and_lose_no_secret() -> None:
    """One message of 10,000 spaces must not stall a render (a catalogue pattern is cubic on
    them; ``benchmarks/redact.py`` times it): the text is searched in the stretches between
    long runs, which no secret spans."""
    gh = "ghp_" + fake(ALNUM, 36)
    text = "token" + " " * 10_000 + "password=Hunter2Pass then" + "\n" * 40 + f"{gh} end"
    got = redact(text)
    assert got == (
        "token"
        + " " * 10_000
        + "password=[redacted: password] then"
        + "\n" * 40
        + "[redacted: github token] end"
    )


def test_look_alikes_stay_for_any_keyword_and_any_setting() -> None:
    """Generated: pod and service names holding a keyword, and settings of secret-sounding
    names with numbers, durations, sizes or setting words, never change; a generated value
    assigned to the same names always does."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    keyword = st.sampled_from(["secret", "token", "password", "auth", "apikey", "credentials"])
    word = st.sampled_from(["manager", "service", "store", "proxy", "refresher", "broker"])
    suffix = st.sampled_from(["ttl", "limit", "policy", "bucket_size", "timeout", "min_length"])
    quantity = st.builds(
        lambda n, unit: f"{n}{unit}",
        st.integers(0, 9_999_999),
        st.sampled_from(["", "s", "ms", "m", "h", "d", "Mi", "MB", "%", " rps", "/min"]),
    )
    setting = st.one_of(quantity, st.sampled_from(["strict", "enabled", "true", "none", "auto"]))
    pod = st.builds(
        lambda k, w, h, t: f"restarted {k}-{w}-{h}-{t} in prod",
        keyword,
        word,
        st.text("0123456789abcdef", min_size=10, max_size=10),
        st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=5, max_size=5),
    )

    @settings(max_examples=150, deadline=None)
    @given(pod, keyword, suffix, setting, st.text(ALNUM, min_size=24, max_size=40))
    def check(pod_line: str, kw: str, tail: str, value: str, generated: str) -> None:
        assert redact(pod_line) == pod_line
        line = f"{kw}_{tail}: {value}"
        assert redact(line) == line
        secret = "Zx9" + generated
        assert secret[:12] not in redact(f"{kw}: {secret}")

    check()


def test_a_possessive_after_a_secret_word_is_prose_not_a_quoted_value() -> None:
    from reconstruct.redact import redact

    line = "check [github] repos (owner/name) and the token's repository access"
    assert redact(line) == line
    assert redact("the password's length is fine") == "the password's length is fine"
    assert "hunter" not in redact("the password is 'hunter2 horse battery'")


EAB = "qW3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC"
CLOUDFLARE = "9f8e7d6c5b4a39281706f5e4d3c2b1a0c4d5e"  # 37 hex characters: not a git SHA


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"the eab hmac key is {EAB}", "the eab hmac key is [redacted: hmac key]"),
        (f"eab key: {EAB}", "eab key: [redacted: eab key]"),
        (f"cloudflare key {CLOUDFLARE}", "cloudflare key [redacted: cloudflare key]"),
        ("the signing key is Sg7hK2pQ9xLm4", "the signing key is [redacted: signing key]"),
        ("webhook key: whk8f3Kq9Zx2, rotate it", "webhook key: [redacted: webhook key], rotate it"),
        ("license key LK7f9Q2xZ8mN4pR1.", "license key [redacted: license key]."),
        ("Stripe key = 'sk9Lm2Qx8Zp4'", "Stripe key = '[redacted: stripe key]'"),
    ],
)
def test_any_word_before_key_in_prose_names_a_secret(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "cache key is user_id",
        "primary key: id",
        "the key is to restart",
        "keyboard shortcuts work again",
        "the key is abc12345678",  # ``the key``: prose, not a named key
        "partition key: tenant_42abc",
        "gpg key 3AA5C34371567BD2",  # a short key id, not generated-looking
        "kms key is checkout-db-v2",  # a resource name
        "the ssh key is ~/.ssh/id_ed25519",  # a path
        "you just pasted the cloudflare key, rotating it after this",
        "cloudflare key rotation2026 done",  # no operator: only a generated value counts
        # an incident tool's deduplication keys (PagerDuty's incident_key / alert_key), not secrets
        "incident key 3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c",
        "alert_key: a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
        "trace key: 4bf92f3577b34da6a3ce929d0e0e4736",
    ],
)
def test_prose_that_only_mentions_a_key_stays(text: str) -> None:
    assert redact(text) == text
