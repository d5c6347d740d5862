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
        ('[windw]\nbefore = "1h"\n', r"\[windw\]: unknown table"),
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
    with pytest.raises(
        ConfigError,
        match=r"^environment variable RECONSTRUCT_WINDOW__AFTER: \[window\] after: invalid dur",
    ):
        load_config(environ={"RECONSTRUCT_WINDOW__AFTER": "later"})


def test_environment_reaches_nested_tables(tmp_path: Path) -> None:
    path = write(tmp_path, '[deliver.slack]\nchannel = "#postmortems"\n')
    env = {
        "RECONSTRUCT_DELIVER__SLACK__ENABLED": "true",
        "RECONSTRUCT_DELIVER__GITHUB__REPO": "acme/postmortems",
        "RECONSTRUCT_GITHUB__SERVICES": '{ Checkout = ["acme/checkout"] }',
        "RECONSTRUCT_DEBUG": "1",  # no "__": not a config key, left alone
    }
    config = load_config(path, environ=env)
    assert config.deliver.slack.enabled is True
    assert config.deliver.slack.channel == "#postmortems", "the file's other keys stay"
    assert config.deliver.github.repo == "acme/postmortems"
    assert config.github.services == {"Checkout": ("acme/checkout",)}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"RECONSTRUCT_DELIVER__SLACK__ENABLED": "yes please"},
            r"^environment variable RECONSTRUCT_DELIVER__SLACK__ENABLED: \[deliver\.slack\] "
            r"enabled: expected true or false \(yes/no, on/off and 1/0 are read the same way\), "
            r'got "yes please"$',
        ),
        (
            {"RECONSTRUCT_DELIVER__SLACK__ENABLD": "true"},
            r"^environment variable RECONSTRUCT_DELIVER__SLACK__ENABLD: \[deliver\.slack\] "
            r"enabld: unknown key",
        ),
        (
            {"RECONSTRUCT_GITHUB__REPOS": '["acme/checkout"'},
            r"^environment variable RECONSTRUCT_GITHUB__REPOS: not a valid TOML list",
        ),
        (
            {"RECONSTRUCT_SLACK__PAGE_SIZE": "lots"},
            r"^environment variable RECONSTRUCT_SLACK__PAGE_SIZE: \[slack\] page_size: "
            r"expected a whole number",
        ),
        (
            {"RECONSTRUCT_WINDOW____BEFORE": "1h"},
            r"^environment variable RECONSTRUCT_WINDOW____BEFORE: not a config key",
        ),
    ],
)
def test_environment_errors_name_the_variable(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected) as info:
        load_config(environ=env)
    assert "\n" not in str(info.value)


def test_environment_error_names_the_variable_not_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[window]\nbefore = "2h"\n')
    with pytest.raises(ConfigError, match=r"^environment variable RECONSTRUCT_WINDOW__AFTER: "):
        load_config(path, environ={"RECONSTRUCT_WINDOW__AFTER": "5"})


@pytest.mark.parametrize(
    ("text", "key", "delta"),
    [
        ('[window]\nbefore = "1h30m"\n', "before", timedelta(hours=1, minutes=30)),
        ('[window]\nleadup = "2w3d"\n', "leadup", timedelta(days=17)),
        ('[window]\nafter = "1m 30s"\n', "after", timedelta(seconds=90)),
    ],
)
def test_compound_durations_in_the_file(
    tmp_path: Path, text: str, key: str, delta: timedelta
) -> None:
    config = load_config(write(tmp_path, text), environ={})
    assert getattr(config.window, key) == delta


def test_compound_durations_from_the_environment() -> None:
    config = load_config(environ={"RECONSTRUCT_WATCH__SETTLE": "1h30m"})
    assert config.watch.settle == timedelta(hours=1, minutes=30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[slack]\npage_size = "lots"\n',
            r'\[slack\] page_size: expected a whole number, got "lots"$',
        ),
        (
            "[slack]\npage_size = 0\n",
            r"\[slack\] page_size: expected a number of at least 1, got 0$",
        ),
        (
            '[github]\nrepos = "acme/checkout"\n',
            r'\[github\] repos: expected a list, such as \["a"',
        ),
        ('[slack]\nchannels = ["#a", 5]\n', r"\[slack\] channels, item 2: expected text in quotes"),
        (
            '[deliver.slack]\nenabled = "maybe"\n',
            r"\[deliver\.slack\] enabled: expected true or false",
        ),
        ("window = 3\n", r"\[window\]: expected a table of keys and values, got 3$"),
        ("[grafana]\norg_id = 1.5\n", r"\[grafana\] org_id: expected a whole number, got 1\.5$"),
        (
            "[window]\nbefore = 3600\n",
            r"\[window\] before: invalid duration 3600 \(write it in quotes",
        ),
    ],
)
def test_wrong_types_are_named_in_plain_words(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=expected) as info:
        load_config(path, environ={})
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for jargon in ("Input should", "valid integer", "dict_type", "model_type", "pydantic"):
        assert jargon not in message


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


def test_other_validation_errors_are_worded_plainly_too() -> None:
    """Kinds of value a table may add later (a choice, a bounded list) keep the same wording."""
    from typing import Literal

    from pydantic import BaseModel, Field, ValidationError

    from reconstruct.config import _plain

    class Table(BaseModel):
        mode: Literal["mask", "drop"] = "mask"
        names: tuple[str, ...] = Field(default=("a",), min_length=1)
        when: float = 0.0

    got: list[str] = []
    for data in ({"mode": "hide"}, {"names": []}, {"when": "soon"}):
        with pytest.raises(ValidationError) as info:
            Table.model_validate(data)
        got.append(_plain(info.value.errors()[0]))
    assert got == [
        "expected 'mask' or 'drop', got \"hide\"",
        "expected at least 1 items, got a list",
        'expected a number, got "soon"',
    ]


def test_the_readme_error_examples_are_what_the_tool_prints(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("and what to write instead:\n\n```text\n", 1)[1].split("```", 1)[0]
    from_file, from_env = block.strip().splitlines()
    path = write(tmp_path, '[slack]\npage_size = "lots"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert from_file.endswith(f"reconstruct.toml: {str(info.value).split(': ', 1)[1]}")
    with pytest.raises(ConfigError) as info:
        load_config(environ={"RECONSTRUCT_DELIVER__SLACK__ENABLED": "yes please"})
    assert from_env == f"reconstruct: error: {info.value}"


def test_a_duration_below_its_minimum_is_worded_as_a_duration() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(environ={"RECONSTRUCT_WATCH__RETENTION": "1h30m"})
    assert str(info.value) == (
        "environment variable RECONSTRUCT_WATCH__RETENTION: [watch] retention: "
        "expected a duration of at least 1d, got 1h30m"
    )
