"""Config: TOML + environment over defaults; every bad key or value named with its file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from reconstruct.config import Secret, load_config, token
from reconstruct.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reconstruct.toml"
    path.write_text(text)
    return path


def test_defaults_without_file() -> None:
    config = load_config(environ={})
    assert config.source_path is None
    assert config.window.before == timedelta(hours=1)
    assert config.window.leadup == timedelta(days=14)
    assert config.normalize.merge_window == timedelta(minutes=5)


def test_file_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[window]\nbefore = "2h"\nleadup = "3d"\n'
        '[github]\nrepos = ["acme/checkout"]\n[slack]\nchannels = ["#deploys", "C0123"]\n',
    )
    config = load_config(path, environ={})
    assert config.window.before == timedelta(hours=2)
    assert config.window.leadup == timedelta(days=3)
    assert config.github.repos == ("acme/checkout",)
    assert config.slack.channels == ("#deploys", "C0123")
    assert config.source_path == path


def test_local_file_is_found(tmp_path: Path) -> None:
    write(tmp_path, '[window]\nafter = "1h"\n')
    assert load_config(cwd=tmp_path, environ={}).window.after == timedelta(hours=1)


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[window]\nbefore = "2h"\n')
    env = {"RECONSTRUCT_WINDOW__BEFORE": "3h", "RECONSTRUCT_GITHUB__REPOS": '["a/b"]'}
    config = load_config(path, environ=env)
    assert config.window.before == timedelta(hours=3)
    assert config.github.repos == ("a/b",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[window]\nbefore = "soon"\n', r"\[window\] before: invalid duration 'soon'"),
        ('[windw]\nbefore = "1h"\n', r"\[windw\]: unknown key"),
        ("[slack]\nchanels = []\n", r"\[slack\] chanels: unknown key"),
        ('[github]\nrepos = ["checkout"]\n', r"\[github\] repos: 'checkout' is not owner/name"),
        ("[render]\ngap = 5\n", r"\[render\] gap: invalid duration"),
        ('[classify]\nmitigate = ["(unclosed"]\n', r"\[classify\] mitigate: bad regular expr"),
        ("[window\n", r"not valid TOML"),
        (
            '[classify.bot_kinds]\ndeployed = ["x"]\n',
            r"bot_kinds: unknown kind 'deployed'",
        ),
        ('[classify.bot_kinds]\ndeploy = ["(x"]\n', r"\[classify\] bot_kinds: bad regular exp"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=expected) as info:
        load_config(path, environ={})
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_bad_environment_value_is_named() -> None:
    with pytest.raises(ConfigError, match=r"defaults \+ environment: \[window\] after"):
        load_config(environ={"RECONSTRUCT_WINDOW__AFTER": "later"})


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", environ={})


def test_tokens_only_from_environment_and_never_printed() -> None:
    secret = token("slack", {"SLACK_TOKEN": "xoxb-123-secret"})
    assert isinstance(secret, Secret)
    assert secret.reveal() == "xoxb-123-secret"
    assert "xoxb" not in repr(secret) and "xoxb" not in str(secret)
    assert token("slack", {"SLACK_TOKEN": "  "}) is None
    assert token("github", {}) is None


def test_tls_trust_is_one_place_and_a_bad_ca_bundle_is_named(
    tmp_path: Path, ca_bundle: Path
) -> None:
    from reconstruct.config import Config, ssl_context

    good = Config.model_validate({"tls": {"ca_bundle": str(ca_bundle)}})
    assert ssl_context(good).get_ca_certs() != ssl_context(Config()).get_ca_certs()
    bad = tmp_path / "nope.pem"
    bad.write_text("not a certificate")
    config = Config.model_validate({"tls": {"ca_bundle": str(bad)}})
    with pytest.raises(ConfigError, match=r"^\[tls\] ca_bundle: cannot load .*nope\.pem"):
        ssl_context(config)
