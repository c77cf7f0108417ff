"""The remuneration audit rules (docs/rules.md, counting) and its command (the command line in the README), on small
hand-made exports where every expected number can be checked by eye."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from orchestrator_lib import store
from orchestrator_lib.audit import run_audit
from orchestrator_lib.load import load_export

from conftest import run_cli, write_export

# The reasons of docs/rules.md, in their order.
REASONS = [
    "service_not_imported",
    "service_excluded",
    "service_inactive",
    "staff_missing",
    "staff_inactive",
    "staff_not_volunteer",  # availabilities only
]
CONTRACT_KEYS = {"quarter", "status", "appointments", "availabilities", "coverage_pct", "issues"}
JSON_KEYS = CONTRACT_KEYS | {"threshold", "period", "data", "funnel"}  # the contract, what the data covers, the funnel
# ("money" too, once the clinic set its amounts: tests/test_gap_report.py)

# A clinic where every state exists once. Services: IMP imported and active,
# EXC excluded, INA included and inactive, NEW active in the EMR but never
# imported, OLD deactivated in the EMR and never imported; GONE is absent from
# services.csv. Staff: ACT active, INA inactive; MIS is absent from staff.csv.
SERVICES = (
    "service_id,name,emr_status\n"
    "SRV-IMP,Consultation urgente,active\n"
    "SRV-EXC,Pause,active\n"
    "SRV-INA,Vaccination,active\n"
    "SRV-NEW,Suivi régulier,active\n"
    "SRV-OLD,Ancien service,inactive\n"
)
STAFF_HEADER = "staff_id,name,status,license,role,specialty,responsible\n"  # no volunteer column: all volunteers
STAFF = (
    STAFF_HEADER.replace("\n", ",volunteer\n")
    + "STF-ACT,Dre Émilie Tremblay,active,12345,medecin,Médecine familiale,true,true\n"
    + "STF-INA,Dr Jean Roy,inactive,23456,medecin,Médecine familiale,false,true\n"
)
DECISIONS = {"SRV-IMP": "active", "SRV-EXC": "excluded", "SRV-INA": "inactive"}
APPOINTMENTS_HEADER = "appointment_id,service_id,staff_id,start,end,status,patient_ref\n"
AVAILABILITIES_HEADER = (
    "availability_id,service_id,staff_id,start,end,published_at,reason,clientele,mode,referral_source,location\n"
)
COMPLETE = {
    "published_at": "2026-06-20T10:00:00",
    "reason": "urgent",
    "clientele": "any",
    "mode": "in_person",
    "referral_source": "gap",
    "location": "Clinique Saint-Laurent",
}
IN_Q3 = "2026-08-10T10:00:00"


def appointment(n: int, service: str, staff: str, start: str = IN_Q3, status: str = "booked") -> str:
    return f"APT-{n},{service},{staff},{start},,{status},PAT{n:04d}\n"


def availability(n: int, service: str, staff: str, start: str = IN_Q3, **attributes: str | None) -> str:
    values = {**COMPLETE, **attributes}
    cells = [
        values[name] or "" for name in ("published_at", "reason", "clientele", "mode", "referral_source", "location")
    ]
    end = (dt.datetime.fromisoformat(start.replace("Z", "+00:00")) + dt.timedelta(minutes=15)).isoformat()
    return f"AV-{n},{service},{staff},{start},{end},{','.join(cells)}\n"


def import_services(db, decisions: dict[str, str]) -> None:
    """Write the orchestrator's state of each service, as a sync would leave it."""
    states = {
        "active": (False, "active", ["urgent"]),
        "inactive": (False, "inactive", []),
        "excluded": (True, "inactive", []),
    }
    with store.writing(db) as con:
        for service_id, state in decisions.items():
            excluded, status, types = states[state]
            con.execute(
                "INSERT INTO services (service_id, name, excluded, status, types) VALUES (?, ?, ?, ?, ?)",
                [service_id, service_id, excluded, status, types],
            )


def clinic(
    tmp_path,
    db,
    *,
    appointments=(),
    availabilities=(),
    staff: str = STAFF,
    services: str = SERVICES,
    decisions: dict[str, str] = DECISIONS,
):
    """Load an export made of these rows and import the services as decided; return ``db``."""
    folder = write_export(
        tmp_path / "export",
        {
            "services": services,
            "staff": staff,
            "appointments": APPOINTMENTS_HEADER + "".join(appointments),
            "availabilities": AVAILABILITIES_HEADER + "".join(availabilities),
        },
    )
    load_export(folder, db)
    import_services(db, decisions)
    return db


def audit(db, quarter: str = "2026Q3", **options):
    return run_audit(db, quarter, **options)


def issues_of(result, kind: str) -> list[dict]:
    return [issue for issue in result.issues_with_actions() if issue["kind"] == kind]


# --- counted or not, and why ------------------------------------------------------------------

# (service, staff) → the reason not counted (None: counted). Services first,
# in the order of docs/rules.md; a staff reason only when the service is fine.
MATRIX = [
    ("SRV-NEW", "STF-MIS", "service_not_imported"),  # unimported service AND missing staff
    ("SRV-NEW", "STF-INA", "service_not_imported"),
    ("SRV-NEW", "STF-ACT", "service_not_imported"),
    ("SRV-OLD", "STF-ACT", "service_not_imported"),  # deactivated in the EMR, never imported
    ("SRV-GONE", "STF-MIS", "service_not_imported"),  # id absent from the EMR export
    ("SRV-GONE", "STF-ACT", "service_not_imported"),
    ("SRV-EXC", "STF-MIS", "service_excluded"),  # excluded (hence inactive): excluded wins
    ("SRV-EXC", "STF-INA", "service_excluded"),
    ("SRV-EXC", "STF-ACT", "service_excluded"),
    ("SRV-INA", "STF-MIS", "service_inactive"),  # service before staff
    ("SRV-INA", "STF-INA", "service_inactive"),
    ("SRV-INA", "STF-ACT", "service_inactive"),
    ("SRV-IMP", "STF-MIS", "staff_missing"),
    ("SRV-IMP", "STF-INA", "staff_inactive"),
    ("SRV-IMP", "STF-ACT", None),
]


@pytest.mark.parametrize("service, staff, reason", MATRIX, ids=[f"{s}-{m}" for s, m, _ in MATRIX])
def test_first_reason_in_spec_order_for_appointments_and_availabilities(tmp_path, db, service, staff, reason):
    result = audit(
        clinic(
            tmp_path,
            db,
            appointments=[appointment(1, service, staff)],
            availabilities=[availability(1, service, staff)],
        )
    )
    for side in ("appointments", "availabilities"):  # an availability is judged like an appointment
        counts = result.counts[side]
        assert counts["total"] == 1
        assert counts["counted"] == (1 if reason is None else 0)
        assert counts["not_counted"] == {r: int(r == reason) for r in REASONS}
    # Items of an excluded service are reported but not owed: nothing owed is no coverage, never 100 %.
    assert result.coverage_pct == {None: 100.0, "service_excluded": None}.get(reason, 0.0)
    assert result.status == ("no_data" if reason == "service_excluded" else "ok")


def test_every_reason_at_once_and_all_five_listed(tmp_path, db):
    rows = [(service, staff) for service, staff, _ in MATRIX]
    result = audit(
        clinic(
            tmp_path,
            db,
            appointments=[appointment(i, *r) for i, r in enumerate(rows)],
            availabilities=[availability(i, *r) for i, r in enumerate(rows)],
        )
    )
    expected = {r: sum(1 for _, _, reason in MATRIX if reason == r) for r in REASONS}
    for side in ("appointments", "availabilities"):
        assert result.counts[side] == {
            "total": len(MATRIX),
            "owed": len(MATRIX) - expected["service_excluded"],
            "counted": 1,
            "not_counted": expected,
        }


def test_not_counted_lists_the_five_reasons_with_zeros(tmp_path, db):
    result = audit(clinic(tmp_path, db, appointments=[appointment(1, "SRV-IMP", "STF-ACT")]))
    assert result.counts["appointments"] == {
        "total": 1,
        "owed": 1,
        "counted": 1,
        "not_counted": dict.fromkeys(REASONS, 0),
    }
    assert result.counts["availabilities"] == {
        "total": 0,
        "owed": 0,
        "counted": 0,
        "not_counted": dict.fromkeys(REASONS, 0),
    }


def test_cancelled_appointments_are_ignored_and_no_shows_counted(tmp_path, db):
    result = audit(
        clinic(
            tmp_path,
            db,
            appointments=[
                appointment(1, "SRV-IMP", "STF-ACT", status="booked"),
                appointment(2, "SRV-IMP", "STF-ACT", status="fulfilled"),
                appointment(3, "SRV-IMP", "STF-ACT", status="noshow"),
                appointment(4, "SRV-IMP", "STF-ACT", status="cancelled"),
                appointment(5, "SRV-GONE", "STF-MIS", status="cancelled"),  # would be a problem, were it not cancelled
            ],
        )
    )
    assert result.counts["appointments"]["total"] == 3
    assert result.counts["appointments"]["counted"] == 3
    assert not [i for i in result.issues if i["subject_id"] in ("SRV-GONE", "STF-MIS")]


def test_unknown_service_and_staff_ids_are_reported_with_their_items(tmp_path, db):
    result = audit(
        clinic(
            tmp_path,
            db,
            appointments=[
                appointment(1, "SRV-GONE", "STF-ACT"),
                appointment(2, "SRV-GONE", "STF-ACT"),
                appointment(3, "SRV-IMP", "STF-MIS"),
            ],
            availabilities=[availability(1, "SRV-GONE", "STF-ACT"), availability(2, "SRV-IMP", "STF-MIS")],
        )
    )
    (gone,) = issues_of(result, "service_not_imported")
    assert (gone["subject_id"], gone["appointments"], gone["availabilities"], gone["affects_count"]) == (
        "SRV-GONE",
        2,
        1,
        True,
    )
    assert "SRV-GONE" in gone["action"]
    (missing,) = issues_of(result, "staff_missing")
    assert (missing["subject_id"], missing["appointments"], missing["availabilities"], missing["affects_count"]) == (
        "STF-MIS",
        1,
        1,
        True,
    )
    assert "STF-MIS" in missing["action"]


def test_every_counting_issue_says_what_to_do_in_french_or_english(tmp_path, db):
    rows = [(service, staff) for service, staff, reason in MATRIX if reason]
    clinic(tmp_path, db, appointments=[appointment(i, *r) for i, r in enumerate(rows)])
    french = {i["kind"]: i["action"] for i in audit(db).issues_with_actions() if i["affects_count"] and i["action"]}
    # Excluded on purpose is not a problem that loses owed items: it is a check (still receiving appointments).
    assert set(french) == set(REASONS) - {"service_excluded", "staff_not_volunteer"}  # appointments here
    english = json.loads(
        run_cli(
            "--db", str(db), "audit", "--quarter", "2026Q3", "--json", env={"ORCHESTRATOR_LANG": "en"}, check=True
        ).stdout
    )
    actions = {i["kind"]: i["action"] for i in english["issues"] if i["affects_count"] and i["action"]}
    assert set(actions) == set(REASONS) - {"service_excluded", "staff_not_volunteer"}
    assert not set(actions.values()) & set(french.values())


def test_coverage_is_counted_over_total_of_both_sides(tmp_path, db):
    result = audit(
        clinic(
            tmp_path,
            db,
            appointments=[
                appointment(1, "SRV-IMP", "STF-ACT"),
                appointment(2, "SRV-IMP", "STF-ACT"),
                appointment(3, "SRV-IMP", "STF-ACT"),
                appointment(4, "SRV-INA", "STF-ACT"),
            ],
            availabilities=[availability(1, "SRV-IMP", "STF-ACT"), availability(2, "SRV-IMP", "STF-INA")],
        )
    )
    assert result.coverage_pct == pytest.approx(100 * (3 + 1) / (4 + 2), abs=0.01)


# --- the quarter, in local time ---------------------------------------------------------------


def test_quarter_bounds_are_local_dates(tmp_path, db):
    starts = {
        "2026Q2": [
            "2026-06-30T23:30:00",  # local, last half hour of June
            "2026-07-01T03:30:00+00:00",  # 23:30 on 30 June in Montreal (UTC-4)
            "2026-07-01T03:59:59Z",
        ],
        "2026Q3": [
            "2026-07-01T00:00:00",
            "2026-07-01T04:00:00+00:00",  # midnight, 1 July, in Montreal
            "2026-09-30T23:59:59",
            "2026-10-01T03:30:00+00:00",
        ],  # 23:30 on 30 September in Montreal
        "2026Q4": ["2026-10-01T00:00:00", "2026-10-01T04:00:00Z"],
    }
    flat = [start for values in starts.values() for start in values]
    clinic(
        tmp_path,
        db,
        appointments=[appointment(i, "SRV-IMP", "STF-ACT", s) for i, s in enumerate(flat)],
        availabilities=[availability(i, "SRV-IMP", "STF-ACT", s) for i, s in enumerate(flat)],
    )
    for quarter, values in starts.items():
        result = audit(db, quarter)
        assert result.counts["appointments"]["total"] == len(values), quarter
        assert result.counts["appointments"]["counted"] == len(values), quarter
        assert result.counts["availabilities"]["total"] == len(values), quarter


def test_spec_example_appointment_at_2330_local_is_in_q2_not_q3(tmp_path, db):
    clinic(
        tmp_path,
        db,
        appointments=[
            appointment(1, "SRV-IMP", "STF-ACT", "2026-06-30T23:30:00"),
            appointment(2, "SRV-IMP", "STF-ACT", "2026-10-01T03:30:00+00:00"),
        ],
    )
    assert audit(db, "2026Q2").counts["appointments"]["total"] == 1
    assert audit(db, "2026Q3").counts["appointments"]["total"] == 1
    assert audit(db, "2026Q4").counts["appointments"]["total"] == 0


# --- checks that do not change the counts ------------------------------------------------------


def counts_without_checks(tmp_path, db, staff: str):
    """Counts of one counted appointment and availability per active staff member."""
    ids = [line.split(",")[0] for line in staff.splitlines()[1:]]
    result = audit(
        clinic(
            tmp_path,
            db,
            staff=staff,
            appointments=[appointment(i, "SRV-IMP", s) for i, s in enumerate(ids)],
            availabilities=[availability(i, "SRV-IMP", s) for i, s in enumerate(ids)],
        )
    )
    return result


def test_responsible_physician_missing(tmp_path, db):
    result = counts_without_checks(tmp_path, db, STAFF.replace(",true,true\n", ",false,true\n"))
    (missing,) = issues_of(result, "responsible_missing")
    assert missing["affects_count"] is False and missing["action"]
    assert not issues_of(result, "responsible_inactive") and not issues_of(result, "responsible_several")
    assert result.counts["appointments"]["counted"] == 1  # STF-ACT still counted


def test_responsible_physician_inactive(tmp_path, db):
    staff = (
        STAFF_HEADER + "STF-ACT,Dre Émilie Tremblay,active,12345,medecin,Médecine familiale,false\n"
        "STF-INA,Dr Jean Roy,inactive,23456,medecin,Médecine familiale,true\n"
    )
    result = counts_without_checks(tmp_path, db, staff)
    (inactive,) = issues_of(result, "responsible_inactive")
    assert inactive["subject_id"] == "STF-INA" and inactive["affects_count"] is False
    assert not issues_of(result, "responsible_missing")


def test_several_responsible_physicians(tmp_path, db):
    staff = STAFF + "STF-TWO,Dr Paul Côté,active,34567,medecin,Médecine familiale,true,true\n"
    result = counts_without_checks(tmp_path, db, staff)
    (several,) = issues_of(result, "responsible_several")
    assert several["affects_count"] is False
    assert "Tremblay" in several["action"] and "Côté" in several["action"]
    assert not issues_of(result, "responsible_missing")


def test_active_staff_outside_primary_care(tmp_path, db):
    staff = (
        STAFF
        + "STF-DER,Dre Sophie Bélanger,active,45678,medecin,Dermatologie,false,true\n"
        + "STF-OLD,Dr Luc Cyr,inactive,56789,medecin,Cardiologie,false,true\n"  # inactive: not reported
        + "STF-GEN,Dr Éric Roy,active,67890,medecin,MÉDECINE GÉNÉRALE,false,true\n"  # primary care, any case
        + "STF-IPS,Marc Gagnon,active,,ips,Soins de première ligne,false,true\n"
        + "STF-INF,Julie Gauthier,active,,infirmiere,,false,true\n"
    )  # no specialty
    result = counts_without_checks(tmp_path, db, staff)
    (flagged,) = issues_of(result, "specialty_not_primary_care")
    assert (flagged["subject_id"], flagged["detail"], flagged["affects_count"]) == ("STF-DER", "Dermatologie", False)
    assert result.counts["appointments"]["counted"] == 5  # the dermatologist's appointment still counts


def test_availabilities_missing_a_regulatory_attribute_per_staff_member(tmp_path, db):
    result = audit(
        clinic(
            tmp_path,
            db,
            availabilities=[
                availability(1, "SRV-IMP", "STF-ACT"),  # complete
                availability(2, "SRV-IMP", "STF-ACT", published_at=None),
                availability(3, "SRV-IMP", "STF-ACT", clientele=None),
                availability(4, "SRV-IMP", "STF-ACT", reason=None),
                availability(5, "SRV-IMP", "STF-ACT", mode=None),
                availability(6, "SRV-IMP", "STF-ACT", mode=None),
                availability(7, "SRV-IMP", "STF-ACT", mode=None, location=None),
                availability(8, "SRV-IMP", "STF-ACT", referral_source=None),  # "where applicable": not required
                availability(9, "SRV-IMP", "STF-ACT", "2026-05-04T09:00:00", location=None),  # another quarter
                availability(10, "SRV-IMP", "STF-INA", location=None),
            ],
        )
    )
    # One row per staff member: how many availabilities lack something, and which attributes.
    found = {
        i["subject_id"]: (i["availabilities"], i["detail"]) for i in issues_of(result, "availability_attribute_missing")
    }
    assert found == {
        "STF-ACT": (6, ["published_at", "clientele", "reason", "mode", "location"]),
        "STF-INA": (1, ["location"]),
    }
    assert all(not i["affects_count"] and i["action"] for i in issues_of(result, "availability_attribute_missing"))
    (act,) = (i for i in issues_of(result, "availability_attribute_missing") if i["subject_id"] == "STF-ACT")
    assert (
        "date d'ouverture à la réservation, clientèle visée, raison de consultation, mode de consultation, lieu"
        in act["action"]
    )
    assert result.counts["availabilities"] == {
        "total": 9,
        "owed": 9,
        "counted": 8,
        "not_counted": {**dict.fromkeys(REASONS, 0), "staff_inactive": 1},
    }


def test_excluded_service_still_receiving_appointments(tmp_path, db):
    result = audit(
        clinic(
            tmp_path,
            db,
            appointments=[
                appointment(1, "SRV-EXC", "STF-ACT"),
                appointment(2, "SRV-EXC", "STF-INA"),
                appointment(3, "SRV-EXC", "STF-ACT", status="cancelled"),
                appointment(4, "SRV-EXC", "STF-ACT", "2026-11-02T09:00:00"),  # next quarter
                appointment(5, "SRV-INA", "STF-ACT"),
            ],
        )
    )
    (flagged,) = issues_of(result, "excluded_with_appointments")
    assert (flagged["subject_id"], flagged["appointments"], flagged["affects_count"]) == ("SRV-EXC", 2, False)
    assert result.counts["appointments"]["not_counted"]["service_excluded"] == 2  # the counts, unchanged


def test_included_inactive_service_with_future_appointments(tmp_path, db):
    clinic(
        tmp_path,
        db,
        appointments=[
            appointment(1, "SRV-INA", "STF-ACT", "2026-08-03T09:00:00"),  # before as_of
            appointment(2, "SRV-INA", "STF-ACT", "2026-09-14T09:00:00"),
            appointment(3, "SRV-INA", "STF-ACT", "2027-01-11T09:00:00"),
            appointment(4, "SRV-INA", "STF-ACT", "2026-09-15T09:00:00", status="cancelled"),
            appointment(5, "SRV-EXC", "STF-ACT", "2026-09-14T09:00:00"),  # excluded: never reactivated
            appointment(6, "SRV-IMP", "STF-ACT", "2026-09-14T09:00:00"),  # already active
        ],
    )
    result = audit(db, as_of="2026-09-01T00:00:00")
    (flagged,) = issues_of(result, "will_reactivate")
    assert (flagged["subject_id"], flagged["appointments"], flagged["affects_count"]) == ("SRV-INA", 2, False)
    assert not issues_of(audit(db, as_of="2027-02-01T00:00:00"), "will_reactivate")


def test_checks_leave_counts_as_they_are(tmp_path, db):
    """Every check fires, and the counts are those of the counting rule alone."""
    staff = (
        STAFF.replace(",true,true\n", ",false,true\n")
        + "STF-DER,Dre Sophie Bélanger,active,45678,medecin,Dermatologie,false,true\n"
    )
    result = audit(
        clinic(
            tmp_path,
            db,
            staff=staff,
            appointments=[
                appointment(1, "SRV-IMP", "STF-DER"),
                appointment(2, "SRV-EXC", "STF-ACT"),
                appointment(3, "SRV-INA", "STF-ACT", "2027-01-11T09:00:00"),
            ],
            availabilities=[availability(1, "SRV-IMP", "STF-DER", mode=None)],
        ),
        as_of="2026-09-01T00:00:00",
    )
    kinds = {i["kind"] for i in result.issues if not i["affects_count"]}
    assert kinds == {
        "responsible_missing",
        "specialty_not_primary_care",
        "availability_attribute_missing",
        "excluded_with_appointments",
        "will_reactivate",
    }
    assert result.counts["appointments"] == {
        "total": 2,
        "owed": 1,
        "counted": 1,
        "not_counted": {**dict.fromkeys(REASONS, 0), "service_excluded": 1},
    }
    assert result.counts["availabilities"]["counted"] == 1


# --- the command --------------------------------------------------------------------------------


@pytest.fixture
def half_counted(tmp_path, db):
    """Coverage exactly 50 %: one appointment counted, one not."""
    return clinic(
        tmp_path, db, appointments=[appointment(1, "SRV-IMP", "STF-ACT"), appointment(2, "SRV-IMP", "STF-INA")]
    )


def test_audit_json_has_exactly_the_spec_keys(half_counted):
    result = run_cli("--db", str(half_counted), "audit", "--quarter", "2026Q3", "--json", check=True)
    document = json.loads(result.stdout)  # one document, nothing else on stdout
    assert set(document) == JSON_KEYS
    assert document["quarter"] == "2026Q3" and document["status"] == "ok"
    for side in ("appointments", "availabilities"):
        assert set(document[side]) == {"total", "owed", "counted", "not_counted"}
        assert set(document[side]["not_counted"]) == set(REASONS)
    assert document["appointments"] == {
        "total": 2,
        "owed": 2,
        "counted": 1,
        "not_counted": {**dict.fromkeys(REASONS, 0), "staff_inactive": 1},
    }
    assert isinstance(document["coverage_pct"], float) and document["coverage_pct"] == 50.0
    assert isinstance(document["issues"], list) and document["issues"]
    for issue in document["issues"]:
        assert {
            "kind",
            "affects_count",
            "subject_id",
            "subject_name",
            "appointments",
            "availabilities",
            "action",
        } <= set(issue)


def test_audit_json_matches_the_library(half_counted):
    cli = json.loads(
        run_cli(
            "--db",
            str(half_counted),
            "audit",
            "--quarter",
            "2026Q3",
            "--json",
            "--as-of",
            "2026-09-01T00:00:00",
            check=True,
        ).stdout
    )
    assert cli == json.loads(json.dumps(audit(half_counted, as_of="2026-09-01T00:00:00").to_json(), default=str))


@pytest.mark.parametrize("threshold, code", [("0", 0), ("49.99", 0), ("50", 0), ("50.01", 3), ("100", 3)])
def test_fail_under_exits_3_below_and_0_at_or_above(half_counted, threshold, code):
    result = run_cli("--db", str(half_counted), "audit", "--quarter", "2026Q3", "--fail-under", threshold, "--json")
    assert result.returncode == code, result.stderr
    assert json.loads(result.stdout)["coverage_pct"] == 50.0  # the document is printed either way


def test_without_fail_under_low_coverage_is_still_success(half_counted):
    assert run_cli("--db", str(half_counted), "audit", "--quarter", "2026Q3").returncode == 0


@pytest.mark.parametrize("quarter", ["2026Q5", "2026Q0", "Q3", "26Q3", "2026-07", "T5 2026", ""])
def test_bad_quarter_exits_2_with_a_message_listing_the_forms(half_counted, quarter):
    result = run_cli("--db", str(half_counted), "audit", "--quarter", quarter, "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "--quarter" in result.stderr and "Traceback" not in result.stderr
    for form in ("2026Q3", "2026T3", "2026-Q3", "T3 2026", "previous", "current"):
        assert form in result.stderr


@pytest.mark.parametrize("quarter", ["2026Q3", "2026q3", "2026T3", "2026-Q3", "T3 2026", "Q3 2026", " t3-2026 "])
def test_quarter_is_accepted_as_people_write_it(quarter):
    from orchestrator_lib.periods import Quarter

    assert Quarter.parse(quarter) == Quarter(2026, 3)


def test_fail_under_out_of_range_is_bad_input(half_counted):
    result = run_cli("--db", str(half_counted), "audit", "--quarter", "2026Q3", "--fail-under", "101", "--json")
    assert result.returncode == 2 and result.stdout == ""


# --- volunteers (issue 15) --------------------------------------------------------------------------------


def test_only_volunteers_availabilities_count_and_appointments_are_not_affected(tmp_path, db):
    staff = STAFF + "STF-NOV,Dre Anne Côté,active,34567,medecin,Médecine familiale,false,false\n"
    clinic(
        tmp_path,
        db,
        staff=staff,
        appointments=[appointment(1, "SRV-IMP", "STF-NOV")],
        availabilities=[availability(1, "SRV-IMP", "STF-NOV"), availability(2, "SRV-IMP", "STF-ACT")],
    )
    result = audit(db)
    assert result.counts["appointments"]["counted"] == 1  # the box does not touch appointments
    assert result.counts["availabilities"]["counted"] == 1
    assert result.counts["availabilities"]["not_counted"]["staff_not_volunteer"] == 1
    (issue,) = issues_of(result, "staff_not_volunteer")
    assert (issue["subject_id"], issue["availabilities"], issue["appointments"]) == ("STF-NOV", 1, 0)
    assert "Volontaire" in issue["action"] and "STF-NOV" in issue["action"]
    assert issues_of(result, "volunteer_column_absent") == []


def test_an_export_without_the_column_counts_everyone_and_says_so_once(tmp_path, db):
    no_column = STAFF.replace(",volunteer\n", "\n").replace(",true\n", "\n")
    assert "volunteer" not in no_column
    clinic(tmp_path, db, staff=no_column, availabilities=[availability(1, "SRV-IMP", "STF-ACT")])
    result = audit(db)
    assert result.counts["availabilities"]["counted"] == 1
    (said,) = issues_of(result, "volunteer_column_absent")
    assert not said["affects_count"] and "volunteer" in said["action"]
