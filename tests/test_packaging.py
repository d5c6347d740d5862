"""Packaging: the distribution's name, licence, version and dependencies are what a fresh machine
needs (``.ci/run`` builds the wheel and runs the demo from it in a fresh venv)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions, version
from pathlib import Path

from reconstruct import __version__

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DIST = "incident-reconstruct"


def _normal(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return _normal(match.group(0))


def imported_top_level_modules(package: Path) -> dict[str, str]:
    """Every top-level module the package imports (at module level or inside functions, and by
    ``importlib.import_module("name")`` with a literal), mapped to one file that imports it."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names = [node.args[0].value]
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_the_distribution_name_is_not_the_2010_project_and_keeps_the_command() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == DIST
    assert project["scripts"] == {"reconstruct": "reconstruct.cli:main"}
    assert (ROOT / "reconstruct" / "__main__.py").is_file(), "python -m reconstruct"
    assert version(DIST) == __version__, "the installed metadata's version is the package's"
    assert project["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "reconstruct/__init__.py"


def test_licence_file_matches_pyproject() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    assert "LICENSE" in PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]


def test_every_imported_package_is_a_declared_dependency() -> None:
    declared = {_requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    providers = packages_distributions()
    missing: list[str] = []
    for module, where in sorted(imported_top_level_modules(ROOT / "reconstruct").items()):
        if module == "reconstruct" or module in sys.stdlib_module_names:
            continue
        dists = {_normal(d) for d in providers.get(module, [])}
        assert dists, f"{module} (imported in {where}) comes from no installed distribution"
        if not dists & declared:
            missing.append(f"{module} ({where}) from {sorted(dists)}")
    assert missing == [], f"imported but not in [project] dependencies: {missing}"


def test_the_dependency_scan_sees_imports_inside_functions() -> None:
    found = imported_top_level_modules(ROOT / "reconstruct")
    # requests is imported only inside functions of the GitHub collector and sink,
    # httpx2 only by the PagerDuty SDK wrapper
    assert {"requests", "httpx2", "platformdirs", "slack_sdk", "github"} <= set(found)


def test_no_declared_dependency_is_unused() -> None:
    providers = packages_distributions()
    used = {
        _normal(dist)
        for module in imported_top_level_modules(ROOT / "reconstruct")
        for dist in providers.get(module, [])
    }
    unused = [r for r in PYPROJECT["project"]["dependencies"] if _requirement_name(r) not in used]
    assert unused == [], f"declared but never imported: {unused}"


def test_every_install_line_in_the_docs_uses_the_distribution_name() -> None:
    for doc in (ROOT / "README.md", ROOT / "action.yml", ROOT / "Dockerfile"):
        for line in doc.read_text(encoding="utf-8").splitlines():
            for match in re.finditer(r"pip(?:3)? install\b([^;&|\n]*)", line):
                targets = [
                    a for a in match.group(1).split() if not a.startswith("-") and "$" not in a
                ]
                assert targets or "$" in match.group(1), f"{doc.name}: {line!r}: what is installed?"
                for target in targets:
                    assert not re.fullmatch(
                        r"['\"]?reconstruct(\[[\w,]+\])?([=<>~!].*)?['\"]?", target
                    ), (
                        f"{doc.name}: {line.strip()!r} installs the unrelated 'reconstruct' "
                        f"from the package index; use {DIST}"
                    )


def test_the_readme_recipes_install_the_distribution_by_name() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"pip install incident-reconstruct\b", readme)
    assert len(named) >= 4, "the install section, cron, systemd and the Actions workflow"
    top = [ln for ln in readme.splitlines() if ln.startswith("python3 -m venv .venv")][:2]
    venv = "python3 -m venv .venv && .venv/bin/"
    assert top == [
        f"{venv}pip install -q . && .venv/bin/reconstruct --incident demo",
        f"{venv}pip install -q -e '.[test]' && .venv/bin/python -m pytest -q",
    ], "the first two commands install from the checkout"


def test_the_sdists_tests_import_only_what_the_sdist_ships() -> None:
    """Every module a test imports is installed, or comes from a folder the sdist includes (the
    sdist ships ``tests/`` but not ``benchmarks/`` or ``scripts/``); CI also collects the tests
    from the unpacked sdist."""
    shipped = set(PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"])
    local = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}
    unshipped: list[str] = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots = [node.module.split(".")[0]]
            elif isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            else:
                continue
            unshipped += [
                f"{path.relative_to(ROOT)}: {r}" for r in roots if r in local and r not in shipped
            ]
    assert unshipped == []
