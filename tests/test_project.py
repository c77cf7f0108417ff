"""Promises the project makes about itself."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from conftest import ROOT, project_files

HERE = Path(__file__).resolve()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _conda_pip_requirements() -> set[str]:
    """The pip list of environment.yml (a plain reader: the file is ours and simple)."""
    lines = (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines()
    start = lines.index("  - pip:")
    found = set()
    for line in lines[start + 1 :]:
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


def test_the_lock_pins_every_dependency_within_its_range():
    from packaging.requirements import Requirement

    pinned = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            name, version = line.split("==")
            pinned[name.lower().replace("_", "-")] = version.strip()
    project = _pyproject()["project"]
    wanted = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    for text in wanted:
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        assert name in pinned, f"{name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(pinned[name]), f"{name}=={pinned[name]} is outside {text}: run make lock"


def test_the_version_is_written_once():
    import orchestrator_lib

    assert "version" not in _pyproject()["project"]
    assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "orchestrator_lib.__version__"}
    assert orchestrator_lib.__version__


def test_the_export_format_page_lists_every_column_and_code():
    from orchestrator_lib.export_format import BOOLEAN_FALSE, BOOLEAN_TRUE, TABLES

    page = (ROOT / "docs" / "export-format.md").read_text(encoding="utf-8")
    for table in TABLES:
        section = page[page.index(f"### `{table.name}`") :]
        section = section[: section.find("\n### ", 1) if "\n### " in section[1:] else len(section)]
        for column in table.columns:
            assert f"| `{column.name}` |" in section, (table.name, column.name)
            for code in column.codes:
                assert f"`{code}`" in section, (table.name, column.name, code)
    booleans = next(line for line in page.splitlines() if line.startswith("| boolean |"))
    assert all(f"`{word}`" in booleans for word in BOOLEAN_TRUE + BOOLEAN_FALSE), booleans


def test_nothing_refers_to_a_file_outside_the_repository():
    for name in project_files():
        path = ROOT / name
        if path.suffix in (".py", ".md", ".sql", ".ipynb", ".toml", ".yml") and path.is_file() and path != HERE:
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\bSPEC\b|\.\./shared|reference/domain\.md", text), name


def test_the_public_api_is_at_top_level_with_docstrings(loaded_demo):
    import orchestrator_lib
    from orchestrator_lib import AuditResult, Wizard, audit_report, load_export, run_audit, sync, write_report

    for name in orchestrator_lib.__all__[1:]:
        assert (getattr(orchestrator_lib, name).__doc__ or "").strip(), name
    assert callable(load_export) and callable(audit_report) and callable(write_report) and Wizard
    result = run_audit(loaded_demo, "2026Q3", details=True)
    assert isinstance(result, AuditResult)
    items = result.items()
    assert list(items.index) == ["appointments", "availabilities"]
    assert items.loc["appointments", "counted"] == result.counts["appointments"]["counted"]
    assert len(result.breakdown("service")) == len(result.breakdowns["service"])
    dry = sync(loaded_demo, {"exclude": [], "inactive": [], "types": {}}, as_of="2026-11-27T12:00", dry_run=True)
    assert "what_if" in dry and orchestrator_lib.list_runs(loaded_demo) == []  # a dry run records nothing
