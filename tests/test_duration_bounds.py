"""Every duration (a config key, its environment variable, ``--timeout``) has an upper bound:
a value past it is one line naming where it came from and the allowed range, never a traceback
(``timedelta`` overflows past 999999999 days, date arithmetic far sooner)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from reconstruct.cli import cli
from reconstruct.config import Config, load_config
from reconstruct.errors import ConfigError
from reconstruct.timeutil import MAX_DURATION, parse_duration

HUGE = "99999999999999d"


def duration_keys(
    model: type[BaseModel] = Config, at: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    """Every Duration key of the config, as its path of tables and key."""
    keys: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += duration_keys(annotation, (*at, name))
        elif annotation is timedelta:
            keys.append((*at, name))
    return keys


KEYS = duration_keys()


def test_there_are_duration_keys_to_check() -> None:
    assert ("window", "leadup") in KEYS
    assert ("render", "gap") in KEYS


@pytest.mark.parametrize("text", [HUGE, "9999999999999999999999w", "3651d", "522w", "3650d1s"])
def test_parse_duration_refuses_past_the_bound(text: str) -> None:
    with pytest.raises(ValueError, match=r"too long \(use 0s to 3650d\)"):
        parse_duration(text)


def test_the_bound_itself_is_accepted() -> None:
    assert parse_duration("3650d") == MAX_DURATION
    assert parse_duration("520w10d") == MAX_DURATION


@pytest.mark.parametrize("keys", KEYS, ids=".".join)
def test_every_duration_key_in_the_file_is_bounded(tmp_path: Path, keys: tuple[str, ...]) -> None:
    path = tmp_path / "reconstruct.toml"
    path.write_text(f'[{".".join(keys[:-1])}]\n{keys[-1]} = "{HUGE}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    message = str(info.value)
    assert message.startswith(f"{path}: [{'.'.join(keys[:-1])}] {keys[-1]}: ")
    assert "too long (use 0s to 3650d)" in message
    assert "\n" not in message


@pytest.mark.parametrize("keys", KEYS, ids=".".join)
def test_every_duration_variable_is_bounded(keys: tuple[str, ...]) -> None:
    variable = "RECONSTRUCT_" + "__".join(keys).upper()
    with pytest.raises(ConfigError) as info:
        load_config(environ={variable: HUGE})
    assert str(info.value).startswith(f"environment variable {variable}: ")
    assert "too long (use 0s to 3650d)" in str(info.value)


@pytest.mark.parametrize("text", [HUGE, "1e300", "315360001", "inf"])
def test_timeout_past_the_bound_is_a_usage_error(text: str) -> None:
    result = CliRunner().invoke(cli, ["--incident", "demo", "--timeout", text])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Invalid value for '--timeout'" in result.stderr
    assert "3650d" in result.stderr
    assert "Traceback" not in result.stderr


def test_timeout_at_the_bound_runs() -> None:
    result = CliRunner().invoke(
        cli, ["--incident", "demo", "--timeout", "3650d", "--timeline-only"]
    )
    assert result.exit_code == 0, result.stderr
