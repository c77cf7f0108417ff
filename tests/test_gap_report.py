"""The GAP report as it is really counted, on a clinic computed by hand: volunteers, an export
without the volunteer column, slots published before and after their service's configuration,
appointments held / missed / cancelled, the clinic's amounts set and unset, and the evidence
pack. The CLI's JSON, the report (summary.json, HTML), the workbook and the pack's items all
say what the table below says.
"""

from __future__ import annotations

import csv
import json
import shutil

import duckdb
import openpyxl
import pytest

from orchestrator_lib.audit import REASONS

from conftest import run_cli, write_export

# The clinic. SRV-A is imported and active by a sync whose reference time is 2026-07-15 00:00
# (its configuration for the report); SRV-X is excluded; SRV-GONE is absent from the export.
# STF-V active volunteer, STF-N active not a volunteer, STF-I inactive (a volunteer), STF-J inactive and
# not a volunteer.
CONFIGURED = "2026-07-15T00:00:00"
SERVICES = "service_id,name,emr_status\nSRV-A,Suivi régulier,active\nSRV-X,Pause,active\n"
STAFF = (
    "staff_id,name,status,role,specialty,responsible,volunteer\n"
    "STF-V,Dre Véro Volontaire,active,medecin,Médecine familiale,true,true\n"
    "STF-N,Dr Noël Nonvolontaire,active,medecin,Médecine familiale,false,false\n"
    "STF-I,Dr Ian Inactif,inactive,medecin,Médecine familiale,false,true\n"
    "STF-J,Dre Jo Inactive,inactive,medecin,Médecine familiale,false,false\n"
)
#  item  service   staff  status / published  expected reason         held  notes
#  A1    SRV-A     STF-V  fulfilled           counted                 yes
#  A2    SRV-A     STF-V  noshow              counted                 -
#  A3    SRV-A     STF-V  cancelled           not an item: cancelled  -     in the funnel only
#  A4    SRV-A     STF-N  fulfilled           counted                 yes   volunteers do not touch appointments
#  A5    SRV-A     STF-I  fulfilled           staff_inactive          yes
#  A6    SRV-A     STF-V  booked              counted                 -     to come or not recorded
#  A7    SRV-X     STF-V  fulfilled           service_excluded        yes   not owed, not in the funnel
#  A8    SRV-GONE  STF-V  fulfilled           service_not_imported    yes
#  V1    SRV-A     STF-V  published 07-20     counted                       after the configuration
#  V2    SRV-A     STF-V  published 07-01     counted, not eligible         before it: delete and recreate
#  V3    SRV-A     STF-N  published 07-20     staff_not_volunteer
#  V4    SRV-A     STF-I  published 07-20     staff_inactive
#  V5    SRV-A     STF-V  no publication date counted                       left to the attributes check
#  V6    SRV-A     STF-J  published 07-20     staff_inactive                activating STF-J alone would not count it
EXPECTED = {
    "A1": None,
    "A2": None,
    "A3": "cancelled",
    "A4": None,
    "A5": "staff_inactive",
    "A6": None,
    "A7": "service_excluded",
    "A8": "service_not_imported",
    "V1": None,
    "V2": None,
    "V3": "staff_not_volunteer",
    "V4": "staff_inactive",
    "V5": None,
    "V6": "staff_inactive",
}
APPOINTMENTS = [
    ("A1", "SRV-A", "STF-V", "fulfilled"),
    ("A2", "SRV-A", "STF-V", "noshow"),
    ("A3", "SRV-A", "STF-V", "cancelled"),
    ("A4", "SRV-A", "STF-N", "fulfilled"),
    ("A5", "SRV-A", "STF-I", "fulfilled"),
    ("A6", "SRV-A", "STF-V", "booked"),
    ("A7", "SRV-X", "STF-V", "fulfilled"),
    ("A8", "SRV-GONE", "STF-V", "fulfilled"),
]
AVAILABILITIES = [
    ("V1", "STF-V", "2026-07-20T09:00:00"),
    ("V2", "STF-V", "2026-07-01T09:00:00"),
    ("V3", "STF-N", "2026-07-20T09:00:00"),
    ("V4", "STF-I", "2026-07-20T09:00:00"),
    ("V5", "STF-V", ""),
    ("V6", "STF-J", "2026-07-20T09:00:00"),
]
PATIENT = "RAMQ-SECRET-{}"
# By hand, with the volunteer column: appointments 7 items (A3 cancelled), 1 excluded → 6 owed,
# 4 counted; availabilities 6 owed, 3 counted. Coverage 7 / 12.
COUNTS = {
    "appointments": {
        "total": 7,
        "owed": 6,
        "counted": 4,
        "not_counted": {
            **dict.fromkeys(REASONS, 0),
            "service_not_imported": 1,
            "service_excluded": 1,
            "staff_inactive": 1,
        },
    },
    "availabilities": {
        "total": 6,
        "owed": 6,
        "counted": 3,
        "not_counted": {**dict.fromkeys(REASONS, 0), "staff_inactive": 2, "staff_not_volunteer": 1},
    },
}
COVERAGE = 58.33  # 7 / 12
# The funnel leaves SRV-X out: offered 6; booked A1-A6 and A8 = 7; held A1 A4 A5 A8.
FUNNEL = {
    "offered": 6,
    "booked": 7,
    "held": 4,
    "noshow": 1,
    "cancelled": 1,
    "pending": 1,
    "booked_per_offered_pct": 116.67,
    "held_pct": 57.14,
    "noshow_pct": 14.29,
    "cancelled_pct": 14.29,
}
# At 50 $ per counted availability and 40 $ per appointment held: counted and eligible V1 V5
# (100 $; V2 is counted by the rule but not paid) and A1 A4 (80 $). At stake: STF-I 50 + 40,
# SRV-GONE 40, STF-N 50, V2 not eligible 50; STF-J nothing (activating her leaves V6 out: no volunteer).
AT_STAKE = {
    ("staff_inactive", "STF-I"): 90.0,
    ("staff_inactive", "STF-J"): 0.0,
    ("service_not_imported", "SRV-GONE"): 40.0,
    ("staff_not_volunteer", "STF-N"): 50.0,
    ("published_before_configuration", "SRV-A"): 50.0,
}
MONEY = {
    "estimate": True,
    "currency": "CAD",
    "rates": {"availability": 50.0, "held": 40.0},
    "counted": 180.0,
    "at_stake": 230.0,
}


def export(folder, staff: str = STAFF, appointments=APPOINTMENTS):
    rows = "".join(
        f"{i},{service},{staff_id},2026-08-10T10:00:00,2026-08-10T10:15:00,{status},{PATIENT.format(i)}\n"
        for i, service, staff_id, status in appointments
    )
    slots = "".join(
        f"{i},SRV-A,{staff_id},2026-08-11T10:00:00,2026-08-11T10:15:00,{published},urgent,any,in_person,gap,Clinique\n"
        for i, staff_id, published in AVAILABILITIES
    )
    return write_export(
        folder,
        {
            "services": SERVICES,
            "staff": staff,
            "appointments": "appointment_id,service_id,staff_id,start,end,status,patient_ref\n" + rows,
            "availabilities": "availability_id,service_id,staff_id,start,end,published_at,reason,clientele,mode,"
            "referral_source,location\n" + slots,
        },
    )


def configure(tmp_path, db) -> None:
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps({"exclude": ["SRV-X"], "types": {"SRV-A": ["suivi_regulier"]}}), encoding="utf-8")
    run_cli("--db", str(db), "sync", "--decisions", str(decisions), "--as-of", CONFIGURED, check=True)


@pytest.fixture
def scenario(tmp_path):
    db = tmp_path / "clinic.duckdb"
    run_cli("--db", str(db), "load", str(export(tmp_path / "export")), check=True)
    configure(tmp_path, db)
    return db


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """The scenario with the clinic's amounts set and its report and evidence pack written
    once (papermill takes seconds); tests that change either work on copies."""
    folder = tmp_path_factory.mktemp("reported")
    db = folder / "clinic.duckdb"
    run_cli("--db", str(db), "load", str(export(folder / "export")), check=True)
    configure(folder, db)
    run_cli("--db", str(db), "rates", "set", "--availability", "50", "--held", "40", check=True)
    run_cli("--db", str(db), "audit", "--quarter", "2026Q3", "--out", str(folder / "report"), check=True)
    return db, folder / "report"


@pytest.fixture
def pack_copy(reported, tmp_path):
    """A copy of the reported database (with its patient key) and of its pack, to change."""
    db, out = reported
    for made in (db, db.with_name(db.name + ".key")):
        shutil.copy(made, tmp_path / made.name)
    shutil.copytree(out, tmp_path / "report")
    return tmp_path / "clinic.duckdb", tmp_path / "report"


def audit_json(db) -> dict:
    return json.loads(run_cli("--db", str(db), "audit", "--quarter", "2026Q3", "--json", check=True).stdout)


def by_kind(document: dict, kind: str) -> list[dict]:
    return [i for i in document["issues"] if i["kind"] == kind]


def test_the_scenario_counts_as_computed_by_hand(scenario):
    document = audit_json(scenario)
    assert {side: document[side] for side in COUNTS} == COUNTS
    assert document["coverage_pct"] == COVERAGE
    funnel = {k: v for k, v in document["funnel"].items() if not k.startswith("by_")}
    assert funnel == FUNNEL
    by_staff = {row["staff_id"]: (row["offered"], row["booked"], row["held"]) for row in document["funnel"]["by_staff"]}
    assert by_staff == {"STF-V": (3, 5, 2), "STF-N": (1, 1, 1), "STF-I": (1, 1, 1), "STF-J": (1, 0, 0)}  # not A7
    (early,) = by_kind(document, "published_before_configuration")
    assert (early["subject_id"], early["availabilities"], early["affects_count"]) == ("SRV-A", 1, False)
    assert early["staff"] == [{"staff_id": "STF-V", "name": "Dre Véro Volontaire", "availabilities": 1}]
    assert early["detail"] == "2026-07-15T00:00"
    assert "recréer" in early["action"] and "Dre Véro Volontaire : 1" in early["action"]
    (volunteer,) = by_kind(document, "staff_not_volunteer")
    assert (volunteer["subject_id"], volunteer["availabilities"], volunteer["appointments"]) == ("STF-N", 1, 0)
    assert not by_kind(document, "volunteer_column_absent")
    # Without amounts, nothing monetary anywhere.
    assert "money" not in document and not any("amount_at_stake" in i for i in document["issues"])
    assert "$" not in run_cli("--db", str(scenario), "audit", "--quarter", "2026Q3", check=True).stdout


def test_an_export_without_the_volunteer_column_counts_everyone_and_says_so_once(scenario, tmp_path):
    no_column = "\n".join(line.rsplit(",", 1)[0] for line in STAFF.splitlines()) + "\n"
    run_cli("--db", str(scenario), "load", str(export(tmp_path / "again", staff=no_column)), check=True)
    document = audit_json(scenario)
    assert (
        document["availabilities"]["counted"] == 4
        and document["availabilities"]["not_counted"]["staff_not_volunteer"] == 0
    )
    assert document["availabilities"]["not_counted"]["staff_inactive"] == 2  # V4, and V6: STF-J inactive
    assert document["appointments"] == COUNTS["appointments"]  # appointments never depended on it
    assert document["coverage_pct"] == 66.67  # 8 / 12
    assert len(by_kind(document, "volunteer_column_absent")) == 1


def test_an_availability_published_after_a_later_activation_is_eligible_again(scenario):
    """The configuration moment is the last activation: deactivated then activated again, V1 and
    V3 (published on 07-20) become too old as well if the new activation is later."""
    run_cli("--db", str(scenario), "service", "deactivate", "SRV-A", check=True)
    run_cli("--db", str(scenario), "service", "activate", "SRV-A", "--type", "urgent", check=True)
    (early,) = by_kind(audit_json(scenario), "published_before_configuration")
    assert early["availabilities"] == 2  # V1 and V2 (V3 is not counted, V5 has no date): activated now


def test_the_clinic_amounts_give_the_estimates_and_are_kept_in_the_history(scenario):
    run_cli("--db", str(scenario), "rates", "set", "--availability", "50", "--held", "40,00", check=True)
    document = audit_json(scenario)
    assert document["money"] == MONEY
    priced = {(i["kind"], i["subject_id"]): i["amount_at_stake"] for i in document["issues"] if "amount_at_stake" in i}
    assert priced == AT_STAKE
    assert sum(AT_STAKE.values()) == MONEY["at_stake"]
    text = run_cli("--db", str(scenario), "audit", "--quarter", "2026Q3", check=True).stdout
    assert (
        "180,00\u00a0$" in text and "230,00\u00a0$" in text and "estimation" in text.lower()
    )  # Babel: a no-break space before $
    refused = run_cli("--db", str(scenario), "rates", "set", "--held", "-1")
    assert refused.returncode == 2 and "-1" in refused.stderr
    run_cli("--db", str(scenario), "rates", "clear", check=True)
    assert "money" not in audit_json(scenario)
    history = run_cli("--db", str(scenario), "history", check=True).stdout  # beside the runs, in words
    assert "Montants de la clinique" in history and "par rendez-vous réalisé 40,00\u00a0$ → —" in history
    changes = json.loads(run_cli("--db", str(scenario), "rates", "--json", check=True).stdout)["changes"]
    assert [(c["kind"], c["before"], c["after"]) for c in reversed(changes)] == [
        ("availability", None, 50.0),
        ("held", None, 40.0),
        ("availability", 50.0, None),
        ("held", 40.0, None),
    ]


def test_json_report_workbook_and_pack_agree_with_the_table(reported):
    db, out = reported
    cli = audit_json(db)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("appointments", "availabilities", "coverage_pct", "funnel", "money"):
        assert summary[key] == cli[key], key

    workbook = openpyxl.load_workbook(out / "audit-2026Q3.xlsx")
    resume = {row[0]: row[1:] for row in workbook["Résumé"].iter_rows(min_row=2, values_only=True)}
    assert resume["Dus"] == (6, 6, 12) and resume["Comptés"] == (4, 3, 7)
    funnel = list(workbook["Offre, rendez-vous par membre"].iter_rows(values_only=True))
    header, total = funnel[0], dict(zip(funnel[0], funnel[1]))
    assert (total["Disponibilités offertes"], total["Rendez-vous pris"], total["Réalisés"]) == (6, 7, 4)
    assert (total["Absences"], total["Annulés"], total["À venir ou non saisis"]) == (1, 1, 1) and header[0] == "Membre"
    money = dict(workbook["Estimation en dollars"].iter_rows(min_row=2, values_only=True))
    assert money["Pour ce qui est compté"] == 180 and money["En jeu dans les points à régler"] == 230
    issues = list(workbook["Problèmes"].iter_rows(values_only=True))
    stake = issues[0].index("En jeu (estimation, $)")
    assert sorted(r[stake] for r in issues[1:] if r[stake] is not None) == sorted(AT_STAKE.values())

    html = (out / "audit-2026Q3.html").read_text(encoding="utf-8")
    assert "58,3" in html and "Disponibilités offertes : 6" in html and "180,00" in html and "230,00" in html

    with open(out / "items.csv", encoding="utf-8", newline="") as f:
        items = {row["item_id"]: row for row in csv.DictReader(f)}
    assert {i: (row["reason"] or None) for i, row in items.items()} == EXPECTED
    assert [i for i, row in items.items() if row["not_eligible"] == "true"] == ["V2"]
    parquet = duckdb.sql(f"SELECT item_id, reason FROM '{out / 'items.parquet'}'").fetchall()
    assert dict(parquet) == EXPECTED
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["quarter"] == "2026Q3" and manifest["items"] == {"appointments": 8, "availabilities": 6}
    assert set(manifest["tables"]) >= {"emr_appointments", "emr_availabilities", "emr_staff", "services"}


def test_no_patient_reference_in_clear_in_any_file_of_the_pack(reported):
    _db, out = reported
    with open(out / "items.csv", encoding="utf-8", newline="") as f:
        pseudonyms = [row["patient_pseudonym"] for row in csv.DictReader(f)]
    assert sum(bool(p) for p in pseudonyms) == len(APPOINTMENTS)  # each appointment keeps its pseudonym
    for made in out.iterdir():
        data = made.read_bytes()
        assert b"RAMQ-SECRET" not in data, made.name
    assert b"RAMQ-SECRET" not in duckdb.sql(f"SELECT * FROM '{out / 'items.parquet'}'").fetchall().__repr__().encode()


def test_verify_passes_on_a_fresh_pack_and_names_the_table_a_new_load_changed(pack_copy, tmp_path):
    scenario, out = pack_copy
    fresh = run_cli("--db", str(scenario), "audit", "--verify", str(out), "--json")
    assert fresh.returncode == 0 and json.loads(fresh.stdout)["matches"] is True
    changed = [(i, s, m, "noshow" if i == "A1" else status) for i, s, m, status in APPOINTMENTS]
    run_cli("--db", str(scenario), "load", str(export(tmp_path / "changed", appointments=changed)), check=True)
    found = run_cli("--db", str(scenario), "audit", "--verify", str(out), "--json")
    assert found.returncode == 3
    document = json.loads(found.stdout)
    assert document["matches"] is False and document["tables_changed"] == ["emr_appointments"]
    assert document["files_changed"] == []
    said = run_cli("--db", str(scenario), "audit", "--verify", str(out))
    assert said.returncode == 3 and "rendez-vous du trimestre" in said.stdout and "emr_appointments" in said.stdout


def test_verify_names_an_items_file_changed_by_hand_and_refuses_a_folder_without_manifest(pack_copy, tmp_path):
    scenario, out = pack_copy
    with open(out / "items.csv", "a", encoding="utf-8") as f:
        f.write("appointment,A99,SRV-A,,STF-V,,2026-08-10 10:00:00,,fulfilled,,,false,\n")
    document = json.loads(run_cli("--db", str(scenario), "audit", "--verify", str(out), "--json").stdout)
    assert document["files_changed"] == ["items.csv"] and document["tables_changed"] == []
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = run_cli("--db", str(scenario), "audit", "--verify", str(empty))
    assert refused.returncode == 2 and "manifest.json" in refused.stderr


def test_an_export_that_gains_the_volunteer_column_with_everyone_ticked_is_a_new_load(tmp_path):
    """Same rows, but now the export says who volunteers: the audit stops saying the column is absent."""
    db = tmp_path / "clinic.duckdb"
    everyone = STAFF.replace(",false\n", ",true\n")
    without = "\n".join(line.rsplit(",", 1)[0] for line in everyone.splitlines()) + "\n"
    run_cli("--db", str(db), "load", str(export(tmp_path / "without", staff=without)), check=True)
    assert len(by_kind(audit_json(db), "volunteer_column_absent")) == 1
    again = json.loads(
        run_cli("--db", str(db), "load", str(export(tmp_path / "with", staff=everyone)), "--json").stdout
    )
    assert again["staff"] == 4
    assert by_kind(audit_json(db), "volunteer_column_absent") == []


def test_verify_still_matches_when_a_table_changes_without_changing_the_items(pack_copy, tmp_path):
    """A new member with no item of the quarter: the pack holds, and verify says what changed."""
    scenario, out = pack_copy
    staff = STAFF + "STF-NEW,Dre Nouvelle,active,medecin,Médecine familiale,false,true\n"
    run_cli("--db", str(scenario), "load", str(export(tmp_path / "more", staff=staff)), check=True)
    found = run_cli("--db", str(scenario), "audit", "--verify", str(out), "--json")
    document = json.loads(found.stdout)
    assert found.returncode == 0 and document["matches"] is True and document["items_changed"] is False
    assert document["tables_changed"] == ["emr_staff"]


@pytest.mark.parametrize(
    "manifest",
    [
        "not json",
        "[]",
        '{"quarter": 2026, "items_digest": "1:2", "tables": {}, "files": {}}',
        '{"quarter": "2026Q9", "items_digest": "1:2", "tables": {}, "files": {}}',
        '{"quarter": "2026Q3", "items_digest": "1:2", "tables": {}, "files": ["items.csv"]}',
        '{"quarter": "2026Q3", "items_digest": "1:2", "tables": {}, "files": {"../../etc/passwd": "x"}}',
    ],
)
def test_a_bad_manifest_is_refused_naming_it(reported, tmp_path, manifest):
    db, _out = reported
    (tmp_path / "manifest.json").write_text(manifest, encoding="utf-8")
    refused = run_cli("--db", str(db), "audit", "--verify", str(tmp_path))
    assert refused.returncode == 2 and "manifest.json" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr and "inattendue" not in refused.stderr


def test_verify_is_given_alone(reported):
    db, out = reported
    refused = run_cli("--db", str(db), "audit", "--verify", str(out), "--quarter", "2026Q3")
    assert refused.returncode == 2 and "--verify" in refused.stderr
