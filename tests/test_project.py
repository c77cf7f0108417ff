"""Promises the project makes about itself."""

from __future__ import annotations

import tomllib

from conftest import ROOT


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _conda_pip_requirements() -> set[str]:
    """The pip list of environment.yml (a plain reader: the file is ours and simple)."""
    lines = (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines()
    start = lines.index("  - pip:")
    found = set()
    for line in lines[start + 1:]:
        if not line.startswith("      - "):
            break
        found.add(line.removeprefix("      - ").strip())
    return found - {"-e ."}


def test_conda_and_pip_dependencies_are_the_same_lists():
    project = _pyproject()["project"]
    pip = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        pip |= set(extra)
    assert _conda_pip_requirements() == pip


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.index("make dashboard") < 800 and readme.index("make test") < 800
