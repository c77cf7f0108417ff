"""Shared fixtures: a fresh database path, small exports, and a content snapshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

# The dashboard's browser fixtures (Voilà server, Chromium) live in their own module.
pytest_plugins = ["browser_fixtures", "fake_fhir", "fhir_fixtures", "lake_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
ORCHESTRATOR = str(Path(sys.executable).parent / "orchestrator")

# --- what a test needs beyond Python ----------------------------------------------
# A test that drives the browser or starts the Node FHIR server is marked so (by its
# fixtures, whatever its file says). Only those tests skip when the browser or Node is
# missing, and never on CI (CI=true): there a missing requirement fails the run.
NEEDS = {
    "browser": ({"page", "context", "browser"}, "drives the Voilà dashboard in a real browser (Chromium)"),
    "fhir_server": ({"fhir_server", "fhir_server_with_token"}, "starts the test FHIR server (Node.js)"),
    "postgres": ({"postgres", "lake"}, "starts Debian's PostgreSQL, the shared store's catalogue"),
}


def pytest_configure(config):
    for marker, (_fixtures, text) in NEEDS.items():
        config.addinivalue_line("markers", f"{marker}: {text}")
    config.addinivalue_line(
        "markers", "slow: takes seconds (a server, a notebook, a wheel); left out of make test-fast"
    )


def missing_requirements() -> dict[str, str]:
    """Marker -> why its tests cannot run on this machine."""
    import postgres_server

    from browser_fixtures import CHROMIUM
    from fhir_server.launch import node_missing

    missing = {}
    if not postgres_server.available():
        missing["postgres"] = f"{postgres_server.BINARIES} is missing (apt-get install postgresql)"
    if not Path(CHROMIUM).exists():
        missing["browser"] = f"{CHROMIUM} is missing (apt-get install chromium)"
    if (why := node_missing()) is not None:
        missing["fhir_server"] = why
    return missing


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, (fixtures, _text) in NEEDS.items():
            if fixtures & set(getattr(item, "fixturenames", ())):
                item.add_marker(marker)
    missing = {
        marker: why
        for marker, why in missing_requirements().items()
        if any(item.get_closest_marker(marker) for item in items)
    }
    if missing and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise pytest.UsageError("CI=true and tests cannot run: " + "; ".join(missing.values()))
    for item in items:
        for marker, why in missing.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=why))


# A tiny export in the EMR export format (docs/export-format.md): every test that needs a valid export starts here.
SMALL_EXPORT = {
    "services": "service_id,name,emr_status,created_at\n"
    "SRV-1,Vaccination,active,2025-01-10\n"
    "SRV-2,Pause,active,2025-01-10\n"
    "SRV-3,Précédent rendez-vous,active,2025-02-01\n"
    "SRV-4,Ancien service,inactive,2024-05-01\n",
    "staff": "staff_id,name,status,license,role,specialty,responsible\n"
    "STF-1,Dre Émilie Tremblay,active,12345,medecin,Médecine familiale,true\n"
    "STF-2,Marc Gagnon IPS,active,,ips,Soins de première ligne,false\n"
    "STF-3,Dr Jean Roy,inactive,23456,medecin,Médecine familiale,false\n",
    "appointments": "appointment_id,service_id,staff_id,start,end,status,patient_ref\n"
    "APT-1,SRV-1,STF-1,2026-07-02T09:00:00,2026-07-02T09:15:00,fulfilled,TREM52031512\n"
    "APT-2,SRV-1,STF-3,2026-08-10T10:00:00,2026-08-10T10:30:00,noshow,GAGM60010199\n"
    "APT-3,SRV-9,STF-1,2026-09-30T23:30:00,,cancelled,\n"
    "APT-4,SRV-3,STF-9,2026-10-01T03:30:00+00:00,,booked,TREM52031512\n",
    "availabilities": "availability_id,service_id,staff_id,start,end,published_at,reason,clientele,mode,referral_source,location\n"
    "AV-1,SRV-1,STF-1,2026-07-02T08:00:00,2026-07-02T12:00:00,2026-06-20T10:00:00,urgent,any,in_person,gap,Clinique Saint-Laurent\n"
    "AV-2,SRV-3,STF-2,2026-07-03T13:00:00,2026-07-03T16:00:00,,suivi_regulier,,video,,\n",
}


def write_export(
    folder: Path,
    tables: dict[str, str] | None = None,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    suffix: str = ".csv",
) -> Path:
    """Write ``tables`` (default: the small export) as CSV files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**SMALL_EXPORT, **(tables or {})}.items():
        if delimiter != ",":
            text = text.replace(",", delimiter)
        (folder / f"{name}{suffix}").write_bytes(text.encode(encoding))
    return folder


# The variables of the developer's shell that would change what a test sees.
OUR_VARIABLES = (
    "ORCHESTRATOR_DB",
    "ORCHESTRATOR_PATIENT_KEY",
    "ORCHESTRATOR_LANG",
    "ORCHESTRATOR_FAILPOINT",
    "ORCHESTRATOR_FHIR_URL",
    "ORCHESTRATOR_FHIR_TOKEN",
    "ORCHESTRATOR_FHIR_TIMEOUT",
    "ORCHESTRATOR_EXPORT_DIR",
    "ORCHESTRATOR_CLINIC",
    "ORCHESTRATOR_DATA_PATH",
    "ORCHESTRATOR_KEY_DIR",
    "ORCHESTRATOR_GROUP_VIEW",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's database, key, language or EMR source."""
    for name in OUR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ORCHESTRATOR_LOCK_TIMEOUT", "20")
    from orchestrator_lib import i18n

    with i18n.speaking("fr"):  # each test starts in French, and a language it sets ends with it
        yield


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """An empty database at the latest schema, made once for the session."""
    from orchestrator_lib import store

    path = tmp_path_factory.mktemp("template") / "clinic.duckdb"
    with store.writing(path, create=True):
        pass
    return path


@pytest.fixture
def db(tmp_path, migrated_template) -> Path:
    """A database of this test's own: a copy of the migrated template (its key
    file is made by the first load, as for a real clinic's new database)."""
    path = tmp_path / "clinic.duckdb"
    shutil.copy2(migrated_template, path)
    return path


@pytest.fixture(scope="session")
def small_loaded_template(tmp_path_factory, migrated_template) -> Path:
    """A database holding the small export (and its key file), loaded once for the session."""
    from orchestrator_lib.load import load_export

    folder = tmp_path_factory.mktemp("small-loaded")
    path = folder / "clinic.duckdb"
    shutil.copy2(migrated_template, path)
    with pytest.MonkeyPatch.context() as patch:
        for name in OUR_VARIABLES:
            patch.delenv(name, raising=False)
        load_export(write_export(folder / "export"), path)
    return path


@pytest.fixture(scope="session")
def demo_loaded_template(tmp_path_factory, migrated_template) -> Path:
    """A database holding the demo clinic's export, loaded once for the session."""
    from orchestrator_lib.load import load_export

    path = tmp_path_factory.mktemp("demo-loaded") / "clinic.duckdb"
    shutil.copy2(migrated_template, path)
    with pytest.MonkeyPatch.context() as patch:
        for name in OUR_VARIABLES:
            patch.delenv(name, raising=False)
        load_export(DEMO, path)
    return path


def copy_database(source: Path, target: Path) -> Path:
    """``target`` made a copy of the database ``source`` and of its key file."""
    from orchestrator_lib.store import key_file

    shutil.copy2(source, target)
    shutil.copy2(key_file(source), key_file(target))
    return target


@pytest.fixture
def loaded_small(db, small_loaded_template) -> Path:
    """``db`` holding the small export, as ``load_export(small_export, db)`` leaves it (a copy: faster)."""
    return copy_database(small_loaded_template, db)


@pytest.fixture
def loaded_demo(db, demo_loaded_template) -> Path:
    """``db`` holding the demo clinic's export, as ``load_export(DEMO, db)`` leaves it (a copy: faster)."""
    return copy_database(demo_loaded_template, db)


@pytest.fixture
def missing_db(tmp_path) -> Path:
    """A database path where nothing exists yet."""
    return tmp_path / "clinic.duckdb"


@pytest.fixture
def small_export(tmp_path) -> Path:
    return write_export(tmp_path / "export")


@pytest.fixture
def demo_export(tmp_path) -> Path:
    """A private copy of the committed demo export."""
    return Path(shutil.copytree(DEMO, tmp_path / "demo"))


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of one read-only query on ``db``."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal snapshots mean equal content."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()]
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}
    finally:
        con.close()


def states(db: Path) -> dict[str, tuple]:
    """service_id -> (excluded, status, sorted types) as the database holds them."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            sid: (excluded, status, sorted(types))
            for sid, excluded, status, types in con.execute(
                "SELECT service_id, excluded, status, types FROM services"
            ).fetchall()
        }
    finally:
        con.close()


def run_cli(*args: str, env: dict | None = None, check: bool = False, timeout: float = 120):
    """The ``orchestrator`` command, run in this process through Click's runner
    (a command costs milliseconds instead of a Python start). Exit status and the
    two streams are those of the real command; a test that kills the command
    (``ORCHESTRATOR_FAILPOINT``) gets a real process, and ``run_process`` is for
    the smoke tests that prove the console script itself."""
    if "ORCHESTRATOR_FAILPOINT" in (env or {}):
        return run_process(*args, env=env, check=check, timeout=timeout)
    from click.testing import CliRunner

    from orchestrator_lib.cli import main

    outcome = CliRunner().invoke(main, list(args), env=env)
    if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
        raise outcome.exception
    return _checked(subprocess.CompletedProcess(args, outcome.exit_code, outcome.stdout, outcome.stderr), args, check)


def run_process(
    *args: str, env: dict | None = None, check: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run the installed ``orchestrator`` console script in its own process."""
    result = subprocess.run(
        [ORCHESTRATOR, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    return _checked(result, args, check)


def _checked(result: subprocess.CompletedProcess, args: tuple[str, ...], check: bool) -> subprocess.CompletedProcess:
    if check and result.returncode != 0:
        raise AssertionError(f"orchestrator {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def run_nbval(*notebooks: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Execute notebooks under nbval (``--nbval-lax``: every cell must run, outputs may differ)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "-q",
            "-p",
            "no:cacheprovider",
            # Its own --output: pytest-playwright empties that folder when a session starts, and
            # the default (test-results/) holds this run's screenshots.
            "--output",
            tempfile.mkdtemp(prefix="nbval-"),
            *map(str, notebooks),
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "passed" in result.stdout
    return result


def project_files() -> list[str]:
    """The project's files as git sees them: tracked, and new ones it does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [name for name in listed.split("\n") if name and (ROOT / name).is_file()]


def report_files(quarter: str = "2026Q3") -> list[str]:
    """What ``audit --out`` writes, sorted: the report and the evidence pack (docs/evidence.md)."""
    report = [f"audit-{quarter}.html", f"audit-{quarter}.ipynb", f"audit-{quarter}.xlsx", "summary.json"]
    return sorted([*report, "items.csv", "items.parquet", "manifest.json"])
