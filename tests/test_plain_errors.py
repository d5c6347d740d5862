"""One plain line for the mistakes a newcomer makes with files, options and config values: each
names the file, key or option and says what is wrong in the user's terms."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconstruct.cli import cli
from reconstruct.config import load_config
from reconstruct.errors import ConfigError
from reconstruct.pipeline import demo_bundle_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_config_naming_a_directory_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={})
    assert str(info.value).startswith(f"{tmp_path}: is a directory, not a config file")
    assert "not found" not in str(info.value)


def test_output_under_a_file_says_the_file_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "base.md").write_text("x", encoding="utf-8")
    target = tmp_path / "base.md" / "x.md"
    code, _, err = run("--incident", "demo", "--timeline-only", "-o", str(target))
    assert code == 1
    assert f"{tmp_path / 'base.md'} is a file, not a folder" in err
    assert "File exists" not in err


@pytest.mark.skipif(os.geteuid() != 0, reason="as a user /proc/version is simply not writable")
def test_output_where_no_file_can_be_made_names_the_folder() -> None:
    if not Path("/proc/version").is_file():
        pytest.skip("no /proc/version here")
    code, _, err = run("--incident", "demo", "--timeline-only", "-o", "/proc/version")
    assert code == 1
    assert "no new file can be made in /proc" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[window]\nbefore = true\n", "[window] before: invalid duration true (write it in quotes"),
        ("[window]\nbefore = 5\n", "[window] before: invalid duration 5 (write it in quotes"),
    ],
)
def test_a_duration_that_is_not_text_is_echoed_as_toml(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "reconstruct.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert expected in str(info.value)
    assert "True" not in str(info.value)


@pytest.mark.parametrize("accepted", ["yes", "on", "1", "true", "FALSE"])
def test_booleans_accept_what_the_error_says(accepted: str) -> None:
    config = load_config(environ={"RECONSTRUCT_RENDER__DIAGRAM": accepted})
    assert isinstance(config.render.diagram, bool)


def test_a_bad_boolean_lists_what_is_accepted() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(environ={"RECONSTRUCT_RENDER__DIAGRAM": "maybe"})
    message = str(info.value)
    assert message.startswith("environment variable RECONSTRUCT_RENDER__DIAGRAM: [render] diagram")
    assert "expected true or false (yes/no, on/off and 1/0" in message


def test_into_a_draft_without_a_timeline_heading_is_a_usage_error(tmp_path: Path) -> None:
    draft = tmp_path / "pm.md"
    draft.write_text("# Notes\n\nno heading here\n", encoding="utf-8")
    code, out, err = run("--incident", "demo", "--into", str(draft))
    assert code == 2
    assert out == ""
    assert f'--into {draft}: the draft has no "## Timeline" heading' in err
    assert draft.read_text(encoding="utf-8") == "# Notes\n\nno heading here\n"


def test_demo_with_save_bundle_copies_the_demo_bundle(tmp_path: Path) -> None:
    dest = tmp_path / "sb"
    code, _, err = run("--incident", "demo", "--timeline-only", "--save-bundle", str(dest))
    assert code == 0, err
    assert f"evidence bundle copied to {dest}" in err
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    shipped = json.loads((demo_bundle_path() / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == shipped
    code, out, err = run("--bundle", str(dest), "--timeline-only")
    assert code == 0, err
    assert "| Time (UTC) | Event |" in out


def test_a_saved_copy_of_a_bundle_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    """The evidence holds what people pasted, unredacted: a copy is written as the collector
    writes a bundle (folders 0700, files 0600), also under a permissive umask (a tester's
    ``umask 022`` gave 0755/0644)."""
    import os

    dest = tmp_path / "sb"
    old = os.umask(0o022)
    try:
        code, _, err = run("--incident", "demo", "--timeline-only", "--save-bundle", str(dest))
    finally:
        os.umask(old)
    assert code == 0, err
    modes = {p.relative_to(dest).as_posix(): p.stat().st_mode & 0o777 for p in dest.rglob("*")}
    assert dest.stat().st_mode & 0o777 == 0o700
    assert modes and all(
        mode == (0o700 if (dest / name).is_dir() else 0o600) for name, mode in modes.items()
    ), modes


def test_save_bundle_already_there_is_refused_before_any_output(tmp_path: Path) -> None:
    dest = tmp_path / "sb"
    dest.mkdir()
    output = tmp_path / "pm.md"
    code, _, err = run("--incident", "demo", "--save-bundle", str(dest), "-o", str(output))
    assert code == 2
    assert f"--save-bundle {dest}: already exists" in err
    assert not output.exists()


def test_pagerduty_base_url_without_https_names_its_source(tmp_path: Path) -> None:
    path = tmp_path / "reconstruct.toml"
    path.write_text('[pagerduty]\nbase_url = "http://api.pagerduty.com"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert str(info.value).startswith(f"{path}: [pagerduty] base_url: 'http://api.pagerduty.com'")
    assert "must start with https://" in str(info.value)
    variable = "RECONSTRUCT_PAGERDUTY__BASE_URL"
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={variable: "ftp://x"})
    assert str(info.value).startswith(f"environment variable {variable}: [pagerduty] base_url")


def test_a_reconstruct_variable_naming_no_key_is_warned_about(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECONSTRUCT_RENDER", "1")
    monkeypatch.setenv("RECONSTRUCT_DEBUG", "1")  # read by the tool, not a config key
    monkeypatch.setenv("RECONSTRUCT_RENDER__DIAGRAM", "false")
    code, _, err = run("--incident", "demo", "--timeline-only")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "names no config key" in line]
    assert warnings == [
        "reconstruct: warning: environment variable RECONSTRUCT_RENDER names no config key and "
        "is ignored; write RECONSTRUCT_<TABLE>__<KEY>, e.g. RECONSTRUCT_RENDER__DIAGRAM=true"
    ]
