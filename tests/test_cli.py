"""The ``orchestrator`` command as scripts use it (the command line in the README)."""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestrator_lib.load import load_export

from conftest import run_cli


def test_help_lists_the_commands():
    result = run_cli("--help", check=True)  # how fast it answers is bench/cli.py's business
    for command in ("load", "services", "staff", "demo"):
        assert command in result.stdout


def test_load_json_is_exactly_the_contract(db, small_export):
    result = run_cli("--db", str(db), "load", str(small_export), "--json", check=True)
    document = json.loads(result.stdout)
    assert document == {
        "services": 4,
        "staff": 3,
        "appointments": 4,
        "availabilities": 2,
        "pending": ["SRV-1", "SRV-2", "SRV-3"],
    }
    again = json.loads(run_cli("--db", str(db), "load", str(small_export), "--json", check=True).stdout)
    assert again == document


def test_database_from_the_environment(db, small_export):
    run_cli("load", str(small_export), env={"ORCHESTRATOR_DB": str(db)}, check=True)
    assert db.exists()


def test_bad_input_exits_2_with_nothing_on_stdout(db, small_export):
    (small_export / "staff.csv").write_text("staff_id,name\nSTF-1,X\n", encoding="utf-8")
    result = run_cli("--db", str(db), "load", str(small_export), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "staff.csv" in result.stderr and "status" in result.stderr


def test_messages_in_english_on_request(db, small_export):
    (small_export / "staff.csv").write_text("staff_id,name\nSTF-1,X\n", encoding="utf-8")
    result = run_cli("--db", str(db), "load", str(small_export), env={"ORCHESTRATOR_LANG": "en"})
    assert result.returncode == 2
    assert "required column 'status' is missing" in result.stderr


def test_a_file_that_is_not_a_database_is_bad_input(tmp_path, small_export):
    not_a_database = tmp_path / "notes.duckdb"
    not_a_database.write_text("ceci n'est pas une base de données\n" * 1000, encoding="utf-8")
    before = not_a_database.read_bytes()
    result = run_cli("--db", str(not_a_database), "load", str(small_export))
    assert result.returncode == 2 and "n'est pas une base DuckDB" in result.stderr
    assert "Traceback" not in result.stderr and not_a_database.read_bytes() == before


def test_unexpected_failure_exits_1_without_traceback(db, small_export, monkeypatch):
    from click.testing import CliRunner

    from orchestrator_lib import catalogue
    from orchestrator_lib.cli import main

    load_export(small_export, db)

    def broken(*args, **kwargs):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(catalogue, "list_services", broken)
    result = CliRunner().invoke(main, ["--db", str(db), "services"])
    assert result.exit_code == 1
    assert "something nobody foresaw" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def imported(db, small_export):
    """The small export with three services imported by hand (the wizard's job)."""
    run_cli("--db", str(db), "load", str(small_export), check=True)
    con = duckdb.connect(str(db))
    con.execute("""INSERT INTO services (service_id, name, excluded, status, types) VALUES
        ('SRV-1', 'Vaccination', false, 'active', ['suivi_regulier', 'urgent']),
        ('SRV-2', 'Pause', true, 'inactive', []),
        ('SRV-3', 'Précédent rendez-vous', false, 'inactive', [])""")
    con.close()
    return db


def test_services_json_is_exactly_the_contract(imported):
    rows = json.loads(run_cli("--db", str(imported), "services", "--json", check=True).stdout)
    assert rows == [
        {
            "service_id": "SRV-1",
            "name": "Vaccination",
            "status": "active",
            "excluded": False,
            "types": ["suivi_regulier", "urgent"],
        },
        {"service_id": "SRV-2", "name": "Pause", "status": "inactive", "excluded": True, "types": []},
        {"service_id": "SRV-3", "name": "Précédent rendez-vous", "status": "inactive", "excluded": False, "types": []},
    ]


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--tab", "active"], ["SRV-1"]),
        (["--tab", "inactive"], ["SRV-2", "SRV-3"]),
        (["--search", "vaccin"], ["SRV-1"]),
        (["--search", "PRECEDENT"], ["SRV-3"]),
        (["--search", "précédent"], ["SRV-3"]),
        (["--search", "srv-2"], ["SRV-2"]),
        (["--search", "%"], []),  # no LIKE wildcard leaks through
        (["--tab", "active", "--search", "pause"], []),
    ],
)
def test_services_tabs_and_search(imported, args, expected):
    rows = json.loads(run_cli("--db", str(imported), "services", *args, "--json", check=True).stdout)
    assert [r["service_id"] for r in rows] == expected


def test_services_table_for_people(imported):
    out = run_cli("--db", str(imported), "services", check=True).stdout
    assert out.splitlines()[0].split() == ["Service", "Nom", "État", "Types"]
    assert "Suivi régulier, Urgent" in out and "suivi_regulier" not in out  # labels, not codes


def test_staff_json_and_tabs(db, small_export):
    run_cli("--db", str(db), "load", str(small_export), check=True)
    rows = json.loads(run_cli("--db", str(db), "staff", "--json", check=True).stdout)
    assert [r["staff_id"] for r in rows] == ["STF-1", "STF-2", "STF-3"]
    assert rows[0] == {
        "staff_id": "STF-1",
        "name": "Dre Émilie Tremblay",
        "status": "active",
        "license": "12345",
        "role": "medecin",
        "specialty": "Médecine familiale",
        "responsible": True,
        "volunteer": None,  # the export has no volunteer column: not known (counted as a volunteer)
        "primary_care": True,  # the orchestrator handles the specialty (macro primary_care)
    }
    inactive = json.loads(run_cli("--db", str(db), "staff", "--tab", "inactive", "--json", check=True).stdout)
    assert [r["staff_id"] for r in inactive] == ["STF-3"]
