"""Secrets testers found pasted bare: LaunchDarkly keys (docs.launchdarkly.com "Keys": server-side
SDK key ``sdk-<uuid>``, mobile key ``mob-<uuid>``, API access token ``api-<uuid>``; the
client-side ID is 24 hex characters and public), a prose password ending in a symbol, ``<setting>
to VALUE`` after a credential setting, and PgBouncer's ``auth_file`` (PgBouncer "Authentication
file format": ``"username" "password"`` per line, the password plain, ``md5`` + md5(password +
username) in hex, or ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``). Each with
the look-alikes that must stay as written."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from reconstruct.redact import redact

PW = "[redacted: password]"
UUID = str(uuid.UUID("7f3c2a91-4b6e-4d2a-9c1f-2e8b5a7d3c10"))


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [
        ("sdk", "launchdarkly sdk key"),
        ("mob", "launchdarkly mobile key"),
        ("api", "launchdarkly api token"),
    ],
)
def test_launchdarkly_keys_pasted_bare(prefix: str, kind: str) -> None:
    key = f"{prefix}-{UUID}"
    assert redact(f"use {key} for now") == f"use [redacted: {kind}] for now"
    assert redact(f"LD key: `{key}`.") == f"LD key: `[redacted: {kind}]`."
    assert redact(f"{key}") == f"[redacted: {kind}]"


@pytest.mark.parametrize(
    "text",
    [
        f"request {UUID} failed",  # an ordinary UUID is an ID
        "client-side ID 5f8a3b2c1d0e9f8a7b6c5d4e in the snippet",  # public, 24 hex
        f"pod checkout-api-{UUID} restarted",  # a name that ends in api-<uuid>
        f"see sdk-{UUID[:-1]}",  # not a whole UUID
    ],
)
def test_uuids_and_the_client_side_id_stay(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("db pw is Hunter2-Pr1cing!", f"db pw is {PW}"),
        ("the password is Hunter2-Pr1cing!.", f"the password is {PW}."),
        ("the password is Hunter2-Pr1cing.", f"the password is {PW}."),
        ("pw is Tr0ub4dor&3#x, rotate it", f"pw is {PW}, rotate it"),
        ("password is p@ss#W0rd$%^&* ok", f"password is {PW} ok"),
        ("the token is abc12345&user=3", "the token is [redacted: token]&user=3"),
    ],
)
def test_a_prose_password_goes_whole_with_its_symbols(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_known_format_keeps_the_sentences_exclamation_mark() -> None:
    text = "token xoxb-2231-998877-AbCdEfGhIjKl!"
    assert redact(text) == "token [redacted: slack token]!"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "changed requirepass to Jd8Fh3Kw6Qp1Vn4T on all shards",
            f"changed requirepass to {PW} on all shards",
        ),
        (
            "set REDIS_AUTH to Jd8Fh3Kw6Qp1Vn4T in the runbook",
            "set REDIS_AUTH to [redacted: credential] in the runbook",
        ),
        ("rotated the db password to Jd8Fh3Kw6Qp1Vn4T", f"rotated the db password to {PW}"),
        ("rotated the db password to Jd8Fh3Kw6Qp1Vn4T.", f"rotated the db password to {PW}."),
        ("set masterauth to 'Jd8Fh3Kw6Qp1!' now", f"set masterauth to '{PW}' now"),
        ("set DD_API_KEY to 9f8e7d6c5b4a3928 today", "set DD_API_KEY to [redacted: api key] today"),
    ],
)
def test_a_value_after_setting_to(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "changed requirepass handling to match upstream",
        "set REDIS_AUTH to the vault path",
        "set SMTP_AUTH to login",
        "set token_ttl to 3600s",
        "moved the api key to vault-prod-2",
        "the password rotation moved to 2026-12-01",
        "scaled checkout to 12 replicas",
        "sent the password to ana.smith2@acme.example",
        "handed the token to @oncall2026",
    ],
)
def test_prose_with_setting_to_stays(text: str) -> None:
    assert redact(text) == text


def _md5_verifier(password: str, user: str) -> str:
    return "md5" + hashlib.md5((password + user).encode()).hexdigest()


SCRAM = (
    "SCRAM-SHA-256$4096:c2FsdHNhbHQ9PT1zYWx0$"
    "dHJ1c3RtZXRoaXNpc3RoZXN0b3JlZGtleTEyMzQ1Ng=:c2VydmVya2V5aXNoZXJlMTIzNDU2Nzg5MGFiY2RlZg="
)


def test_postgres_password_verifiers_anywhere() -> None:
    md5 = _md5_verifier("s3cret", "orders_app")
    assert redact(f'userlist.txt has it: "orders_app" "{md5}"') == (
        f'userlist.txt has it: "orders_app" "{PW}"'
    )
    assert redact(f"rolpassword is {md5} per pg_authid") == f"rolpassword is {PW} per pg_authid"
    assert redact(f'"orders_app" "{SCRAM}"') == f'"orders_app" "{PW}"'
    assert redact(f"pg_authid shows {SCRAM} for it") == f"pg_authid shows {PW} for it"


def test_a_pgbouncer_userlist_pasted_whole_keeps_only_the_user_names() -> None:
    userlist = f'"orders_app" "pl41n pass"\n"reporting" "{_md5_verifier("x", "reporting")}"\n'
    for text in (f"pgbouncer auth_file:\n{userlist}", f"userlist.txt: {userlist}"):
        out = redact(text)
        assert "pl41n" not in out and "md5" not in out.split(":", 1)[1]
        assert f'"orders_app" "{PW}"' in out and f'"reporting" "{PW}"' in out


@pytest.mark.parametrize(
    "text",
    [
        "md5sum: 9e107d9d372bb6826bd81d3542a419d6 file.tar",
        "md5 9e107d9d372bb6826bd81d3542a419d6",
        "etag_md59e107d9d372bb6826bd81d3542a419d6",
        'she said "foo" "bar" twice',
        '"foo" "bar"',
        'pgbouncer logged "closing because" "client close request" at 09:40',
        "auth_type = scram-sha-256 in pgbouncer.ini",
    ],
)
def test_checksums_and_quoted_prose_stay(text: str) -> None:
    assert redact(text) == text
