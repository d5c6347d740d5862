"""Deploying it: the Dockerfile (read statically here; built and run where a container builder
exists), the composite GitHub Action, and the README's workflow and Kubernetes recipes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
import uuid
from pathlib import Path
from typing import Any

import dockerfile as dockerfile_parser
import pytest
import yaml

from reconstruct.config import load_config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


# --- Dockerfile -------------------------------------------------------------------------------


def dockerfile() -> list[Any]:
    """The instructions, parsed by Docker's own parser (the ``dockerfile`` package wraps
    BuildKit's Go parser): a syntax error fails here as it would in ``docker build``."""
    return list(dockerfile_parser.parse_file(str(ROOT / "Dockerfile")))


def final_stage() -> list[Any]:
    steps = dockerfile()
    last_from = max(i for i, step in enumerate(steps) if step.cmd == "FROM")
    return steps[last_from:]


def _args(word: str) -> list[tuple[str, ...]]:
    return [step.value for step in final_stage() if step.cmd == word]


def _runs(steps: list[Any]) -> list[str]:
    return [" ".join(step.value[0].split()) for step in steps if step.cmd == "RUN"]


def _env() -> dict[str, str]:
    env: dict[str, str] = {}
    for value in _args("ENV"):
        env.update(zip(value[::2], value[1::2], strict=True))
    return env


def test_dockerfile_uses_a_slim_python_base_for_every_stage() -> None:
    args = dict(v[0].split("=", 1) for v in (s.value for s in dockerfile() if s.cmd == "ARG"))
    bases = [step.value[0] for step in dockerfile() if step.cmd == "FROM"]
    assert len(bases) == 2
    for base in bases:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
        assert re.fullmatch(r"python:3\.1[1-9]-slim", image), image
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11" and args["PYTHON_VERSION"] >= "3.11"


def test_dockerfile_installs_the_wheel_built_from_the_checkout() -> None:
    build_stage = dockerfile()[: -len(final_stage())]
    assert any("pip wheel --no-deps" in r for r in _runs(build_stage))
    installs = [r for r in _runs(final_stage()) if "pip install" in r]
    assert len(installs) == 1
    assert re.search(r"pip install \S*incident_reconstruct-\*\.whl", installs[0])
    assert [s.flags for s in final_stage() if s.cmd == "COPY"] == [("--from=build",)]
    sources = {src for s in build_stage if s.cmd == "COPY" for src in s.value[:-1]}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {"pyproject.toml", "reconstruct", pyproject["readme"], *pyproject["license-files"]}
    assert needed == sources, "the wheel build needs every file pyproject.toml names, no more"
    allowed = (ROOT / ".dockerignore").read_text().splitlines()
    for source in sources:
        assert (ROOT / source).exists(), source
        assert f"!{source}" in allowed, f".dockerignore drops {source}"


def test_dockerfile_runs_as_a_numeric_non_root_user() -> None:
    users = _args("USER")
    assert users, "no USER: the image would run as root"
    assert [s.cmd for s in final_stage()][-3:] == ["USER", "ENTRYPOINT", "CMD"], "USER comes last"
    uid = users[-1][0].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "numeric, so Kubernetes runAsNonRoot can check it"
    runs = _runs(final_stage())
    assert any(f"useradd --system --uid {uid} --gid {uid}" in r for r in runs), "user created"
    assert any(f"groupadd --system --gid {uid}" in r for r in runs), "with its group"


def test_dockerfile_keeps_state_in_a_volume_the_config_reads() -> None:
    volume = [s for s in final_stage() if s.cmd == "VOLUME"]
    assert [(s.value, s.json) for s in volume] == [(("/state",), True)]
    assert any("chown reconstruct:reconstruct /state" in r for r in _runs(final_stage()))
    env = _env()
    config = load_config(environ={k: v for k, v in env.items() if k.startswith("RECONSTRUCT_")})
    assert config.watch.state == Path("/state/watch.db"), "watch keeps its state in the volume"
    assert env["XDG_CACHE_HOME"].startswith("/state/"), "single runs' bundles too"
    assert _args("WORKDIR")[-1] == ("/work",), "drafts are written to the working dir"
    assert not [k for k in env if "TOKEN" in k or "SECRET" in k], "no secret baked in"


def test_dockerfile_entrypoint_is_the_reconstruct_command() -> None:
    (entrypoint,) = [s for s in final_stage() if s.cmd == "ENTRYPOINT"]
    assert entrypoint.json and entrypoint.value == ("reconstruct",), "exec form: signals reach it"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "reconstruct" in scripts


def _builder() -> list[str] | None:
    """A container engine that can build and run here: docker with a reachable daemon, or
    podman. None when there is none."""
    for engine, probe in (("docker", ["docker", "info"]), ("podman", ["podman", "info"])):
        if shutil.which(engine) is None:
            continue
        try:
            done = subprocess.run(probe, capture_output=True, timeout=20, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return [engine]
    return None


def test_the_image_builds_and_runs_the_demo() -> None:
    engine = _builder()
    if engine is None:
        pytest.skip(
            "no container builder here (docker has no reachable daemon: `docker info` fails; no "
            "podman): the Dockerfile is checked statically by the tests above"
        )
    tag = f"reconstruct-test-{uuid.uuid4().hex[:8]}"
    try:
        build = subprocess.run(
            [*engine, "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=900
        )
        assert build.returncode == 0, build.stderr[-2000:]
        run = subprocess.run(
            [*engine, "run", "--rm", tag, "--incident", "demo", "--timeline-only"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        assert "| Time (UTC) | Event |" in run.stdout
        uid = subprocess.run(
            [*engine, "run", "--rm", "--entrypoint", "id", tag, "-u"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert uid.stdout.strip() not in ("", "0")
    finally:
        subprocess.run([*engine, "rmi", "-f", tag], capture_output=True, timeout=120)


# --- the composite GitHub Action --------------------------------------------------------------


def action() -> dict[str, Any]:
    value: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return value


def _step(steps: list[dict[str, Any]], uses: str) -> dict[str, Any]:
    found = [s for s in steps if str(s.get("uses", "")).startswith(uses)]
    assert len(found) == 1, uses
    return found[0]


def test_action_is_composite_and_every_run_step_names_its_shell() -> None:
    doc = action()
    assert doc["name"] and doc["description"]
    assert doc["runs"]["using"] == "composite"
    for step in doc["runs"]["steps"]:
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", "composite run steps must name a shell"


def test_action_inputs_are_declared_described_and_used() -> None:
    doc = action()
    declared = set(doc["inputs"])
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", text))
    assert used == declared, f"unused: {declared - used}, undeclared: {used - declared}"
    for name, spec in doc["inputs"].items():
        assert spec.get("description"), name
        assert spec.get("required") is False and "default" in spec, name


def test_action_restores_and_saves_the_state_like_the_readme_workflow() -> None:
    steps = action()["runs"]["steps"]
    restore = _step(steps, "actions/cache/restore@")
    save = _step(steps, "actions/cache/save@")
    watch = next(s for s in steps if "run" in s and "watch --once" in s["run"])
    order = [steps.index(s) for s in (restore, watch, save)]
    assert order == sorted(order), "restore, then watch --once, then save"
    assert save.get("if") == "always()", "what did succeed is recorded even after a failure"
    assert restore["with"]["path"] == save["with"]["path"] == "${{ inputs.state-dir }}"
    assert restore["with"]["key"] == save["with"]["key"]
    assert "${{ github.run_id }}" in save["with"]["key"], "a new cache entry per run"
    prefix = restore["with"]["restore-keys"]
    assert save["with"]["key"].startswith(prefix), "the next run finds it by prefix"
    assert watch["env"]["STATE_DIR"] == "${{ inputs.state-dir }}"
    assert '--state "$STATE_DIR/' in watch["run"], "the state file is inside the cached folder"
    # the README's workflow does the same
    (workflow,) = readme_yaml("uses: actions/cache/save@")
    wsteps = workflow["jobs"]["watch"]["steps"]
    wsave = _step(wsteps, "actions/cache/save@")
    wrestore = _step(wsteps, "actions/cache/restore@")
    assert wsave.get("if") == "always()"
    assert wsave["with"]["key"] == wrestore["with"]["key"]
    assert wsave["with"]["key"].startswith(wrestore["with"]["restore-keys"])


def test_action_run_scripts_are_valid_bash_and_never_print_a_token() -> None:
    for step in action()["runs"]["steps"]:
        if "run" not in step:
            continue
        script = re.sub(r"\$\{\{[^}]*\}\}", "x", step["run"])
        check = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        assert not re.search(r"(echo|printf)[^\n]*TOKEN", script), "a token would reach the log"
        assert "set -x" not in script


def test_action_installs_its_own_checkout_unless_told_otherwise() -> None:
    install = next(s for s in action()["runs"]["steps"] if "pip" in s.get("run", ""))
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"${PACKAGE:-$ACTION_PATH}"' in install["run"]


# --- README recipes ---------------------------------------------------------------------------


def readme_yaml(marker: str) -> list[Any]:
    """The documents of the README's ```yaml block containing ``marker``."""
    blocks = re.findall(r"```yaml\n(.*?)```", README, re.S)
    found = [b for b in blocks if marker in b]
    assert len(found) == 1, marker
    return [d for d in yaml.safe_load_all(found[0]) if d is not None]


def test_readme_action_usage_is_a_few_lines_that_parse() -> None:
    (workflow,) = readme_yaml("uses: YOUR-ORG/reconstruct@")
    assert workflow["concurrency"]["cancel-in-progress"] is False, "never two runs at once"
    (step,) = workflow["jobs"]["watch"]["steps"]
    assert set(step["with"]) <= set(action()["inputs"])
    config = tomllib.loads(step["with"]["config-text"])
    assert config["deliver"]["slack"]["enabled"] is True
    assert set(step["env"]) == {"PAGERDUTY_TOKEN", "SLACK_TOKEN", "GITHUB_TOKEN", "GRAFANA_TOKEN"}
    assert all(v.startswith("${{ secrets.") for v in step["env"].values())


def test_kubernetes_recipe_runs_the_image_not_pip() -> None:
    docs = readme_yaml("kind: CronJob")
    job = next(d for d in docs if d["kind"] == "CronJob")
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert not container["image"].startswith("python:"), "the reconstruct image, not a bare Python"
    assert "command" not in container, "the image's entrypoint is reconstruct"
    assert container["args"][:2] == ["watch", "--once"]
    assert "pip" not in json.dumps(job)
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert "/state" in mounts and mounts["/config"].get("readOnly") is True
    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True
    assert str(security["fsGroup"]) == _args("USER")[-1][0].split(":")[0]
    assert job["spec"]["concurrencyPolicy"] == "Forbid"


def _cache_keys(step: dict[str, Any], cache_key: str, run_id: int) -> str:
    return (
        str(step["with"]["key"] if "key" in step["with"] else step["with"]["restore-keys"])
        .replace("${{ inputs.cache-key }}", cache_key)
        .replace("${{ github.run_id }}", str(run_id))
        .replace("${{ github.run_attempt }}", "1")
    )


@pytest.mark.parametrize(
    ("mine", "other"),
    [
        ("reconstruct-state", "reconstruct-state-eu"),
        ("reconstruct-state", "reconstruct-state-1"),
        ("shard", "shard-2024"),
        ("a", "a-b"),
    ],
)
def test_a_sharded_watcher_never_restores_another_watchers_state(mine: str, other: str) -> None:
    """actions/cache restores the newest entry whose key starts with a restore-keys prefix: no
    entry saved under another cache-key may start with this one's prefix (either way round)."""
    steps = action()["runs"]["steps"]
    save = _step(steps, "actions/cache/save@")
    restore = _step(steps, "actions/cache/restore@")
    prefix = str(restore["with"]["restore-keys"])
    for a, b in ((mine, other), (other, mine)):
        own = _cache_keys(save, a, 7)
        foreign = _cache_keys(save, b, 8)
        mine_prefix = prefix.replace("${{ inputs.cache-key }}", a)
        assert own.startswith(mine_prefix)
        assert not foreign.startswith(mine_prefix), f"{a} would restore {foreign}"


def test_action_refuses_a_cache_key_that_could_be_read_as_a_run() -> None:
    check = next(s for s in action()["runs"]["steps"] if "CACHE_KEY" in s.get("env", {}))
    assert check["env"]["CACHE_KEY"] == "${{ inputs.cache-key }}"
    for key, ok in (
        ("reconstruct-state", True),
        ("shard-eu", True),
        ("x-run-1", False),
        ("", False),
    ):
        proc = subprocess.run(
            ["bash", "-c", check["run"]],
            env={"CACHE_KEY": key, "PATH": os.environ["PATH"]},
            capture_output=True,
            text=True,
            check=False,
        )
        assert (proc.returncode == 0) is ok, (key, proc.stdout)
        if not ok:
            assert "cache-key" in proc.stdout


def test_dockerfile_working_dir_is_writable_and_finds_the_config(tmp_path: Path) -> None:
    """``-o pm.md`` in the image writes to /work, the image user's; reconstruct.toml is found
    there through a link to the read-only /config mount (and an unmounted /config is no error)."""
    runs = " ".join(_runs(final_stage()))
    assert "chown reconstruct:reconstruct /state /work" in runs
    assert "ln -s /config/reconstruct.toml /work/reconstruct.toml" in runs
    config_dir, work = tmp_path / "mounted-config", tmp_path / "workdir"
    config_dir.mkdir()
    work.mkdir()
    (work / "reconstruct.toml").symlink_to(config_dir / "reconstruct.toml")
    unmounted = load_config(cwd=work, environ={})  # a dangling link: the defaults, no error
    assert unmounted.source_path != work / "reconstruct.toml"
    (config_dir / "reconstruct.toml").write_text('[window]\nbefore = "2h"\n', encoding="utf-8")
    config = load_config(cwd=work, environ={})
    assert config.source_path == work / "reconstruct.toml"
    assert config.window.before.total_seconds() == 7200


def test_dockerfile_serve_listens_beyond_the_container_and_exposes_its_port() -> None:
    env = _env()
    config = load_config(environ={k: v for k, v in env.items() if k.startswith("RECONSTRUCT_")})
    assert config.serve.host == "0.0.0.0", "a container's loopback is unreachable from outside"
    assert _args("EXPOSE") == [(str(config.serve.port),)]
