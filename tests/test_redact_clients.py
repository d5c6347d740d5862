"""Passwords given to database and SSH clients on their command lines, and every copy of a secret
found once in a message (a password caught in a connection URL and passed again to ``-a``)."""

from __future__ import annotations

import pytest

from reconstruct.redact import redact
from reconstruct.render import FORMATS, RenderOptions, render
from tests.test_redact_rules import CONFIG, one_row

URL_AND_CLI = (
    "try rediss://default:Zq8vN3xLr2WpT6yKb4@redis-checkout.prod:6380 or "
    "redis-cli -h redis-checkout.prod -p 6380 -a Zq8vN3xLr2WpT6yKb4 --tls"
)


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("redis-cli -h cache-1 -a s3cretPw ping", "s3cretPw"),
        ("redis-cli -h cache-1 --pass s3cretPw ping", "s3cretPw"),
        ('redis-cli -a "two words9" -h cache-1', "words9"),
        ("valkey-cli -a Vk9pass01 info memory", "Vk9pass01"),
        ("mysql -h db-1 -P 3306 -u app -pHunter2Pw orders", "Hunter2Pw"),
        ("mysqldump -uroot -pR00tpass shop > dump.sql", "R00tpass"),
        ("sshpass -p 'open sesame1' ssh ops@bastion", "sesame1"),
        (URL_AND_CLI, "Zq8vN3xLr2WpT6yKb4"),
        ("password=Qw3rtyUi0p then later ssh -o Qw3rtyUi0p", "Qw3rtyUi0p"),
        # a registry login's -p / --password (docker login, podman, oc login: their CLI docs)
        ("docker login -u ledger -p Mv5Rk8Wq2Zt6 registry.acme.example", "Mv5Rk8Wq2Zt6"),
        ('podman login -u ci -p "Mv5Rk8 Wq2Zt6" quay.io', "Wq2Zt6"),
        ("oc login -u dev -p Mv5Rk8Wq2Zt6 https://api.ocp.acme.example:6443", "Mv5Rk8Wq2Zt6"),
        # "pw" and a password named by what it is for (a tester's "pw for the exporter: …")
        ("pw for the exporter: Gq3Rz8Lx5Tn1 (same as staging)", "Gq3Rz8Lx5Tn1"),
        ("pw: Gq3Rz8Lx5Tn1", "Gq3Rz8Lx5Tn1"),
        ("the password for prod db is Gq3Rz8Lx5Tn1", "Gq3Rz8Lx5Tn1"),
    ],
)
def test_a_client_password_and_its_copies_are_hidden(text: str, gone: str) -> None:
    got = redact(text)
    assert gone not in got
    assert "[redacted: password" in got
    assert redact(got) == got


@pytest.mark.parametrize(
    "text",
    [
        "mysql -h db-1 -P 3306 -u app -p orders",  # a bare -p prompts; -P is the port
        "redis-cli -h cache-1 -p 6380 info memory",  # -p is the port
        "redis-cli --latency -h cache-1",
        "sshpass is not installed on the bastion",
        "tests pass; pass rate 98.2%, then pass rate 98.2% again",
        "docker login -u ledger registry.acme.example -p",  # -p with nothing after it prompts
        "docker login ghcr.io --password-stdin < token.txt",
        "the password for the exporter was rotated yesterday",
        "pw for staging: same as prod",
        "upwards of 20 pw changes; the pwd is /home/deploy",
    ],
)
def test_client_commands_without_a_password_are_untouched(text: str) -> None:
    assert redact(text) == text


def test_a_found_word_is_not_hidden_elsewhere() -> None:
    # A found value that is a plain word is hidden where it was assigned only: hiding every
    # "checkout" in the message would shred it.
    text = "password: checkoutdb, then restart checkoutdb-writer and check checkoutdb"
    got = redact(text)
    assert got.count("checkoutdb") >= 1 and got.startswith("password: [redacted: password]")


def test_every_copy_is_hidden_in_every_format() -> None:
    timeline = one_row("Mei Lin: " + URL_AND_CLI)
    for fmt in FORMATS:
        out = render(timeline, RenderOptions(fmt=fmt), CONFIG)  # type: ignore[arg-type]
        assert "Zq8vN3xLr2WpT6yKb4" not in out, fmt
        assert "redacted: password" in out, fmt
