"""The shared store (DuckLake, its catalogue in a real PostgreSQL): the same commands give
the same answers as a DuckDB file, clinics never see each other, and bad targets are said."""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestrator_lib import store
from orchestrator_lib.errors import InputError

from conftest import DEMO, run_cli

AS_OF = "2026-09-15T12:00:00"
QUARTER = "2026Q3"
# Times of the moment a command ran: they differ between two runs, everything else must not.
MOMENTS = {"applied_at", "loaded_at", "generated_at", "changed_at", "set_at", "saved_at", "at"}


def without_moments(document):
    if isinstance(document, dict):
        moments = MOMENTS
        if document.get("kind") == "published_before_configuration":
            # its detail (and the action that says it) is when the service was last configured:
            # for the service changed by hand and undone, the minute of that undo
            moments = MOMENTS | {"detail", "action"}
        return {k: without_moments(v) for k, v in document.items() if k not in moments}
    if isinstance(document, list):
        return [without_moments(v) for v in document]
    return document


def cli_json(db: str, *args: str, clinic: str = "main") -> object:
    result = run_cli("--db", db, "--clinic", clinic, *args, "--json", check=True)
    return without_moments(json.loads(result.stdout))


def demo_decisions(folder, pending: list[str]):
    """Two services excluded, one kept inactive, every other typed: a sync that changes much."""
    path = folder / "decisions.json"
    decisions = {
        "exclude": pending[:2],
        "inactive": pending[2:3],
        "types": {sid: ["suivi_regulier", "urgent"] if i % 3 else ["semi_urgent"] for i, sid in enumerate(pending[3:])},
    }
    path.write_text(json.dumps(decisions), encoding="utf-8")
    return path


def the_flow(db: str, folder, clinic: str = "main") -> dict[str, object]:
    """Load the demo, sync it, change one service by hand, undo that, audit: every answer."""
    seen: dict[str, object] = {"load": cli_json(db, "load", str(DEMO), clinic=clinic)}
    decisions = demo_decisions(folder, seen["load"]["pending"])  # type: ignore[index]
    seen["sync"] = cli_json(db, "sync", "--decisions", str(decisions), "--as-of", AS_OF, clinic=clinic)
    first_typed = sorted(json.loads(decisions.read_text())["types"])[0]
    seen["manual"] = cli_json(db, "service", "deactivate", first_typed, clinic=clinic)
    seen["undo"] = cli_json(db, "undo", clinic=clinic)
    seen["services"] = cli_json(db, "services", clinic=clinic)
    seen["staff"] = cli_json(db, "staff", clinic=clinic)
    seen["explain"] = cli_json(db, "explain", first_typed, "--as-of", AS_OF, clinic=clinic)
    seen["history"] = cli_json(db, "history", clinic=clinic)
    seen["audit"] = cli_json(db, "audit", "--quarter", QUARTER, "--as-of", AS_OF, clinic=clinic)
    return seen


def test_every_flow_answers_on_the_shared_store_as_on_a_file(lake, tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", "11" * 32)
    (tmp_path / "file").mkdir()
    (tmp_path / "shared").mkdir()
    on_file = the_flow(str(tmp_path / "file" / "clinic.duckdb"), tmp_path / "file")
    on_lake = the_flow(lake, tmp_path / "shared")
    for step in on_file:
        assert on_lake[step] == on_file[step], step
    assert on_lake["sync"]["run_id"] == "run-0001" and on_lake["undo"]["run_id"] == "run-0003"
    assert on_lake["audit"]["coverage_pct"] > 50 and on_lake["audit"]["issues"]
    # The rows themselves, pseudonyms included (same key, same clinic: the same pseudonyms).
    file_rows = _rows(store.Location(str(tmp_path / "file" / "clinic.duckdb")))
    lake_rows = _rows(store.Location(lake))
    assert lake_rows == file_rows


def _rows(db) -> dict[str, list]:
    queries = {
        "appointments": "SELECT appointment_id, patient_hash, status FROM emr_appointments ORDER BY 1",
        "services": "SELECT service_id, excluded, status, types FROM services ORDER BY 1",
        "runs": "SELECT run_id, number, kind, undoes, undone_by FROM runs ORDER BY number",
        "changes": "SELECT * FROM run_changes ORDER BY run_id, service_id",
    }
    with store.reading(db) as con:
        return {name: con.execute(sql).fetchall() for name, sql in queries.items()}


def test_the_store_s_tables_have_the_file_s_columns(lake, db):
    with store.writing(db) as con:
        on_file = _columns(con)
    with store.writing(lake, create=True) as con:
        on_lake = _columns(con)
    assert on_lake == on_file
    assert {"services", "runs", "run_changes", "emr_appointments", "rates", "write_turns"} <= {t for t, *_ in on_lake}


def _columns(con) -> list[tuple]:
    return con.execute(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = current_schema() ORDER BY ALL"
    ).fetchall()


def test_a_clinic_sees_only_its_own_rows_and_keys(lake, tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", "a passphrase the group's server holds")
    run_cli("--db", lake, "--clinic", "est", "load", str(DEMO), check=True)
    run_cli("--db", lake, "--clinic", "ouest", "load", str(DEMO), check=True)
    decisions = demo_decisions(tmp_path, _pending(lake, "est"))
    run_cli("--db", lake, "--clinic", "est", "sync", "--decisions", str(decisions), check=True)
    assert len(cli_json(lake, "services", clinic="est")) > 30
    assert cli_json(lake, "services", clinic="ouest") == []
    assert cli_json(lake, "history", clinic="ouest") == []
    assert len(cli_json(lake, "history", clinic="est")) == 1
    est, ouest = (_rows(store.Location(lake, c))["appointments"] for c in ("est", "ouest"))
    assert [a[0] for a in est] == [a[0] for a in ouest]
    assert not {a[1] for a in est if a[1]} & {a[1] for a in ouest if a[1]}  # a key of its own
    missing = run_cli("--db", lake, "--clinic", "nord", "services")
    assert missing.returncode == 2 and "nord" in missing.stderr


def _pending(db: str, clinic: str) -> list[str]:
    with store.reading(store.Location(db, clinic)) as con:
        return [r[0] for r in con.execute("SELECT service_id FROM pending_services ORDER BY 1").fetchall()]


@pytest.mark.parametrize(
    "secret",
    [
        "{dsn} password=S3cret-Word",
        "{dsn} sslpassword=S3cret-Word",
        "postgresql://orchestrator:S3cret-Word@127.0.0.1/x",
    ],
)
def test_a_password_in_the_target_is_refused_and_never_repeated(postgres, secret):
    target = "ducklake:postgres:" + secret.format(dsn=postgres.dsn)
    result = run_cli("--db", target, "services")
    assert result.returncode == 2
    assert "S3cret" not in result.stdout + result.stderr and "PGPASSWORD" in result.stderr
    with pytest.raises(InputError):
        store.resolve_db(target.replace("password=", "PASSWORD = "))
    assert "OrchestratorError" not in result.stderr


def test_a_store_that_does_not_answer_is_said_without_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_DATA_PATH", str(tmp_path / "data"))
    result = run_cli("--db", "ducklake:postgres:dbname=orchestrator host=127.0.0.1 port=1 user=x", "services")
    assert result.returncode == 2 and "PostgreSQL" in result.stderr and "Traceback" not in result.stderr


def test_a_new_store_needs_its_data_path(postgres):
    dsn = postgres.create_database("without_data_path")
    result = run_cli("--db", f"ducklake:postgres:{dsn}", "load", str(DEMO))
    assert result.returncode == 2 and "ORCHESTRATOR_DATA_PATH" in result.stderr


@pytest.mark.parametrize("clinic", ["Est", "-est", "a" * 41, "est;drop", "é"])
def test_a_clinic_name_outside_the_rule_is_refused(clinic, tmp_path):
    result = run_cli("--db", str(tmp_path / "x.duckdb"), "--clinic", clinic, "load", str(DEMO))
    assert result.returncode == 2 and not (tmp_path / "x.duckdb").exists()


def test_clinics_of_one_file_are_schemas_of_it(tmp_path):
    db = str(tmp_path / "group.duckdb")
    run_cli("--db", db, "load", str(DEMO), check=True)
    run_cli("--db", db, "--clinic", "est", "load", str(DEMO), check=True)
    assert (tmp_path / "group.duckdb.key").exists() and (tmp_path / "group.duckdb.est.key").exists()
    con = duckdb.connect(db, read_only=True)
    try:
        assert {"main", "est"} <= {r[0] for r in con.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()}
    finally:
        con.close()


def test_the_dashboard_runs_a_clinic_of_the_shared_store_and_shows_the_group(lake, tmp_path):
    from orchestrator_lib.ui.dashboard import GROUP, DashboardView

    for clinic in ("est", "ouest"):
        run_cli("--db", lake, "--clinic", clinic, "load", str(DEMO), check=True)
    assert len(DashboardView(store.Location(lake, "est")).tabs.children) == GROUP  # a clinic's own: no group
    view = DashboardView(store.Location(lake, "est"), as_of="2026-10-15T12:00", group=True)
    assert len(view.tabs.children) == GROUP + 1 and "est" in view.children[0].children[0].value
    for index in range(len(view.tabs.children)):
        view.tabs.selected_index = index
        assert view.panel(index).error.value == "", (index, view.panel(index).error.value)
    wizard = view.sync.wizard_box.children[0]
    for _ in range(3):
        wizard.next_button.click()
    wizard.apply_button.click()
    assert cli_json(lake, "history", clinic="est")[0]["run_id"] == "run-0001"
    assert cli_json(lake, "history", clinic="ouest") == []
    view.tabs.selected_index = GROUP
    table = view.group.table.value
    assert "est" in table and "ouest" in table and "Groupe (total)" in table


def test_only_a_dashboard_started_for_the_group_has_its_tab(loaded_demo, monkeypatch):
    from orchestrator_lib.ui.dashboard import GROUP, DashboardView

    assert len(DashboardView(loaded_demo).tabs.children) == GROUP
    monkeypatch.setenv("ORCHESTRATOR_GROUP_VIEW", "1")  # what orchestrator dashboard --group sets
    assert len(DashboardView(loaded_demo).tabs.children) == GROUP + 1


def test_the_regional_audit_sums_the_clinics_and_alarms_for_any(lake, tmp_path):
    run_cli("--db", lake, "--clinic", "est", "load", str(DEMO), check=True)
    run_cli("--db", lake, "--clinic", "ouest", "load", str(DEMO), check=True)
    decisions = demo_decisions(tmp_path, _pending(lake, "est"))
    run_cli("--db", lake, "--clinic", "est", "sync", "--decisions", str(decisions), check=True)
    args = ("--db", lake, "region", "--quarter", QUARTER, "--as-of", AS_OF)
    region = json.loads(run_cli(*args, "--json", check=True).stdout)
    clinics = {c["clinic"]: c for c in region["clinics"]}
    for name in ("est", "ouest"):
        alone = cli_json(lake, "audit", "--quarter", QUARTER, "--as-of", AS_OF, clinic=name)
        counted = alone["appointments"]["counted"] + alone["availabilities"]["counted"]
        assert (clinics[name]["counted"], clinics[name]["coverage_pct"]) == (counted, alone["coverage_pct"])
    assert region["counted"] == sum(c["counted"] for c in clinics.values())
    assert region["owed"] == sum(c["owed"] for c in clinics.values())
    assert [c["clinic"] for c in region["clinics"]] == ["ouest", "est"]  # the neediest first
    assert clinics["ouest"]["counted"] == 0 < clinics["est"]["counted"]
    failing = run_cli(*args, "--fail-under", "50")
    assert failing.returncode == 3 and "ouest" in failing.stdout


@pytest.mark.slow
def test_the_clinic_and_group_reports_are_written_from_the_shared_store(lake, tmp_path):
    for clinic in ("est", "ouest"):
        run_cli("--db", lake, "--clinic", clinic, "load", str(DEMO), check=True)
    run_cli("--db", lake, "--clinic", "est", "audit", "--quarter", QUARTER, "--out", str(tmp_path / "est"), check=True)
    summary = json.loads((tmp_path / "est" / "summary.json").read_text(encoding="utf-8"))
    assert (
        without_moments(summary)["coverage_pct"]
        == cli_json(lake, "audit", "--quarter", QUARTER, clinic="est")["coverage_pct"]
    )
    # one moment for both runs: what is still to come depends on it
    group = ("region", "--quarter", QUARTER, "--as-of", AS_OF)
    written = run_cli("--db", lake, *group, "--out", str(tmp_path / "group"), check=True)
    assert str(tmp_path / "group") in written.stdout
    document = json.loads((tmp_path / "group" / f"region-{QUARTER}.json").read_text(encoding="utf-8"))
    assert without_moments(document) == cli_json(lake, *group)
    page = (tmp_path / "group" / f"region-{QUARTER}.html").read_text(encoding="utf-8")
    assert "Groupe de 2 cliniques" in page and "ouest" in page and "Traceback" not in page


def _another_process_changes(lake: str, service_id: str) -> None:
    from conftest import run_process

    run_process("--db", lake, "--clinic", "est", "service", "deactivate", service_id, check=True)


@pytest.mark.slow
def test_a_write_that_another_process_overtakes_runs_again_on_the_new_state(lake, tmp_path):
    from orchestrator_lib import history, manual

    db = store.Location(lake, "est")
    run_cli("--db", lake, "--clinic", "est", "load", str(DEMO), check=True)
    decisions = demo_decisions(tmp_path, _pending(lake, "est"))
    run_cli("--db", lake, "--clinic", "est", "sync", "--decisions", str(decisions), check=True)
    typed = sorted(json.loads(decisions.read_text())["types"])
    attempts = []
    write = history._write_services

    def overtaken(con, changes):  # the first attempt is overtaken by another process's commit
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            _another_process_changes(lake, typed[1])
        write(con, changes)

    history._write_services = overtaken
    try:
        run_id = manual.deactivate(db, typed[0])
    finally:
        history._write_services = write
    assert attempts == [1, 2] and run_id == "run-0003"  # its number taken again, after run-0002
    states = {s["service_id"]: s["status"] for s in cli_json(lake, "services", clinic="est")}
    assert states[typed[0]] == states[typed[1]] == "inactive"
    assert [r["run_id"] for r in cli_json(lake, "history", clinic="est")] == ["run-0003", "run-0002", "run-0001"]


@pytest.mark.slow
def test_a_write_overtaken_every_time_is_refused_clearly_and_changes_nothing(lake, tmp_path, monkeypatch):
    from orchestrator_lib import history, manual
    from orchestrator_lib.errors import RefusedError

    db = store.Location(lake, "est")
    run_cli("--db", lake, "--clinic", "est", "load", str(DEMO), check=True)
    decisions = demo_decisions(tmp_path, _pending(lake, "est"))
    run_cli("--db", lake, "--clinic", "est", "sync", "--decisions", str(decisions), check=True)
    typed = sorted(json.loads(decisions.read_text())["types"])
    monkeypatch.setattr(store, "WRITE_ATTEMPTS", 2)
    others = iter(typed[1:])
    write = history._write_services
    monkeypatch.setattr(
        history, "_write_services", lambda con, c: (_another_process_changes(lake, next(others)), write(con, c))
    )
    with pytest.raises(RefusedError) as refused:
        manual.deactivate(db, typed[0])
    assert "2" in str(refused.value) and "password" not in str(refused.value)
    assert {s["service_id"]: s["status"] for s in cli_json(lake, "services", clinic="est")}[typed[0]] == "active"


def test_a_clinic_s_file_moves_into_the_store_whole_and_loads_on(lake, tmp_path):
    file = str(tmp_path / "clinic.duckdb")
    the_flow(file, tmp_path)
    before = {step: cli_json(file, step) for step in ("services", "history", "staff")}
    moved = json.loads(run_cli("--db", file, "migrate-store", "--to", lake, "--to-clinic", "est", "--json").stdout)
    assert moved["clinic"] == "est" and moved["rows"]["emr_appointments"] == 17_500
    assert {step: cli_json(lake, step, clinic="est") for step in before} == before
    assert cli_json(lake, "audit", "--quarter", QUARTER, "--as-of", AS_OF, clinic="est") == cli_json(
        file, "audit", "--quarter", QUARTER, "--as-of", AS_OF
    )
    assert _rows(store.Location(lake, "est"))["appointments"] == _rows(store.Location(file))["appointments"]
    assert (tmp_path / "keys" / "est.key").read_text() == (tmp_path / "clinic.duckdb.key").read_text()
    reload = cli_json(lake, "load", str(DEMO), clinic="est")  # the copied key: the same pseudonyms, nothing new
    assert reload["pending"] == [] or reload["pending"] == before["services"] == []
    again = run_cli("--db", file, "migrate-store", "--to", lake, "--to-clinic", "est")
    assert again.returncode == 2 and "est" in again.stderr
    back = str(tmp_path / "back.duckdb")
    run_cli("--db", lake, "--clinic", "est", "migrate-store", "--to", back, check=True)  # the file's own clinic
    assert cli_json(back, "history") == before["history"]


def test_a_clinic_moved_onto_the_group_s_server_keeps_its_key(lake, tmp_path, monkeypatch):
    file = str(tmp_path / "clinic.duckdb")
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", "the clinic's own passphrase")
    run_cli("--db", file, "load", str(DEMO), check=True)
    run_cli("--db", file, "migrate-store", "--to", lake, "--to-clinic", "est", check=True)
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", "the group's passphrase")  # the group's server
    assert (tmp_path / "keys" / "est.key").exists()  # the clinic's key came with it
    run_cli("--db", lake, "--clinic", "est", "load", str(DEMO), check=True)  # same pseudonyms: accepted
    assert _rows(store.Location(lake, "est"))["appointments"] == _rows(store.Location(file))["appointments"]


def test_a_move_onto_a_key_of_another_is_refused_before_anything_is_written(lake, tmp_path):
    file = str(tmp_path / "clinic.duckdb")
    run_cli("--db", file, "load", str(DEMO), check=True)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "est.key").write_text("ab" * 32 + "\n")  # est already has a key of its own
    refused = run_cli("--db", file, "migrate-store", "--to", lake, "--to-clinic", "est")
    assert refused.returncode == 2 and "est" in refused.stderr
    assert not store.Location(lake, "est").exists()


def test_upkeep_keeps_every_row_and_says_what_it_did(lake, tmp_path):
    run_cli("--db", lake, "--clinic", "est", "load", str(DEMO), check=True)
    for amount in ("10", "11", "12"):
        run_cli("--db", lake, "--clinic", "est", "rates", "set", "--availability", amount, check=True)
    before = _rows(store.Location(lake, "est"))
    done = json.loads(run_cli("--db", lake, "maintain", "--keep", "1 hour", "--json", check=True).stdout)
    assert set(done) == {"flushed", "merged", "rewritten", "expired", "removed", "orphans"} and done["flushed"] > 0
    assert _rows(store.Location(lake, "est")) == before
    assert cli_json(lake, "rates", clinic="est")["rates"]["availability"] == 12
    for keep in ("a while", "0 seconds", "-2 days"):  # files younger than an hour may be in a write
        bad = run_cli("--db", lake, "maintain", "--keep", keep)
        assert bad.returncode == 2 and keep in bad.stderr, keep
    data = tmp_path / "lake-data"
    assert all(not p.stat().st_mode & 0o007 for p in data.rglob("*"))  # the group's, never others'
    assert any(p.stat().st_mode & 0o040 for p in data.rglob("*.parquet"))


def test_upkeep_never_creates_a_store(postgres):
    dsn = postgres.create_database("never_made")
    result = run_cli("--db", f"ducklake:postgres:{dsn}", "maintain")
    assert result.returncode == 2 and "never_made" in result.stderr


def test_one_read_sees_one_commit_on_the_shared_store(lake):
    from orchestrator_lib import rates

    db = store.Location(lake, "est")
    run_cli("--db", lake, "--clinic", "est", "load", str(DEMO), check=True)
    with store.reading(db) as con:
        before = store.scalar(con, "SELECT count(*) FROM rate_changes")
        rates.set_rates(db, availability=10)  # another writer commits in the middle of the read
        assert store.scalar(con, "SELECT count(*) FROM rate_changes") == before
    with store.reading(db) as con:
        assert store.scalar(con, "SELECT count(*) FROM rate_changes") == before + 1


def test_the_group_notebook_is_stored_thin_and_without_outputs():
    import nbformat

    from orchestrator_lib.report import REGION_NOTEBOOK, notebook_path

    cells = nbformat.read(notebook_path(REGION_NOTEBOOK), as_version=4).cells
    assert "parameters" in cells[0].metadata["tags"]
    for cell in cells:
        assert cell.cell_type == "code" and cell.outputs == [] and cell.execution_count is None
        assert len(cell.source.splitlines()) <= (7 if cell is cells[0] else 5), cell.source
