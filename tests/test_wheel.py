"""The package as a clinic installs it: a wheel built from the project, installed
into a new virtual environment outside the checkout, runs the demo, writes the
audit report (its notebook is inside the wheel) and serves the dashboard."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import requests

from browser_fixtures import DashboardServer, clean_env
from conftest import ROOT, project_files, report_files

pytestmark = pytest.mark.slow  # a build, an install, a report and a server

SHIPPED = [
    "orchestrator_lib/notebooks/02_audit_remuneration.ipynb",
    "orchestrator_lib/notebooks/tableau_de_bord.ipynb",
    "orchestrator_lib/queries/audit_groups.sql",
    "orchestrator_lib/migrations/0001_emr_tables.sql",
]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``bin/`` of a new environment where only the wheel provides orchestrator_lib.

    Its dependencies come from this environment's site-packages (a ``.pth`` line,
    which does not run this environment's own ``.pth`` files, so the editable
    install of the checkout stays out): the test is about the package, not pip.
    """
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: building writes build/ and *.egg-info beside the sources
    for name in project_files():
        if not name.startswith(("tests/", "data/")):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", str(source), "-w", str(work / "dist")], check=True, capture_output=True)
    wheel = next((work / "dist").glob("orchestrator_lib-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        assert set(SHIPPED) <= set(archive.namelist())
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (site_packages / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [
            *pip,
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-deps",
            "--ignore-installed",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return venv / "bin"


def environment(bin_dir: Path) -> dict[str, str]:
    """The new environment's commands first; the dependencies' Jupyter data (nbconvert's and
    Voilà's templates) is in this environment's ``share/jupyter``, as their site-packages is."""
    return clean_env(
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter")
    )


def run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = environment(bin_dir)
    return subprocess.run(
        [str(bin_dir / "orchestrator"), *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )


def test_the_wheel_is_what_runs(installed, tmp_path):
    where = subprocess.run(
        [str(installed / "python"), "-c", "import orchestrator_lib; print(orchestrator_lib.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(installed.parent)) and str(ROOT) not in where


def test_demo_and_the_audit_report_run_from_the_installed_wheel(installed, tmp_path):
    demo = run(installed, tmp_path, "demo", "--json")
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "data" / "orchestrator.duckdb").exists()
    report = run(installed, tmp_path, "audit", "--quarter", "2026Q3", "--out", "report", "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["quarter"] == "2026Q3"
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == report_files()


def test_the_dashboard_starts_from_the_installed_wheel(installed, tmp_path):
    assert run(installed, tmp_path, "demo").returncode == 0
    server = DashboardServer(
        tmp_path / "data" / "orchestrator.duckdb",
        env=environment(installed),
        program=str(installed / "orchestrator"),
        cwd=tmp_path,
    )
    try:
        server.wait_ready()
        page = requests.get(server.url + "/", timeout=60)
        assert page.status_code == 200 and "voila" in page.text.lower(), server.log
    finally:
        server.stop()
