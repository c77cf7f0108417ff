"""The demo EMR export: deterministic, small at scale 1, conforming to docs/export-format.md,
and holding every special case the sync wizard and the audit must meet."""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from pathlib import Path

import pytest

from orchestrator_lib.demo import write_demo_export

TABLES = ("services", "staff", "appointments", "availabilities")
COMMITTED = Path(__file__).resolve().parents[1] / "data" / "demo"
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
RAMQ = re.compile(r"^[A-Z]{4}\d{8}$")
ADMIN = {
    "Pause",
    "Pause repas",
    "Vacances",
    "Réunion d'équipe",
    "Formation",
    "Tâches administratives",
    "Congé de maladie",
}
CODES = {
    "reason": {"urgent", "semi_urgent", "suivi_grossesse", "suivi_pediatrique", "suivi_regulier"},
    "clientele": {"own", "same_site_physician", "same_site_professional", "any"},
    "mode": {"in_person", "home", "video", "phone"},
    "referral_source": {"811", "911", "gap", "hospital"},
}


def read(folder: Path) -> dict[str, list[dict[str, str]]]:
    tables = {}
    for name in TABLES:
        with open(folder / f"{name}.csv", encoding="utf-8", newline="") as f:
            tables[name] = list(csv.DictReader(f))
    return tables


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    write_demo_export(folder)
    return folder


@pytest.fixture(scope="module")
def demo(demo_dir) -> dict[str, list[dict[str, str]]]:
    return read(demo_dir)


@pytest.fixture(scope="module")
def multi_site(tmp_path_factory) -> dict[str, list[dict[str, str]]]:
    """Three sites: the special cases must stay single and ids unique."""
    folder = tmp_path_factory.mktemp("multi")
    write_demo_export(folder, appointments=40_000)
    return read(folder)


def test_same_arguments_give_identical_bytes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    counts = write_demo_export(first, appointments=3_000, seed=7)
    assert write_demo_export(second, appointments=3_000, seed=7) == counts
    for name in TABLES:
        assert (first / f"{name}.csv").read_bytes() == (second / f"{name}.csv").read_bytes(), name


def test_other_seed_gives_other_data(tmp_path):
    write_demo_export(tmp_path / "a", appointments=3_000, seed=7)
    write_demo_export(tmp_path / "b", appointments=3_000, seed=8)
    assert (tmp_path / "a" / "appointments.csv").read_bytes() != (tmp_path / "b" / "appointments.csv").read_bytes()


def test_committed_demo_is_a_fresh_generation(demo_dir):
    if not COMMITTED.is_dir():
        pytest.skip("data/demo/ not generated yet: run write_demo_export(Path('data/demo'))")
    for name in TABLES:
        assert (COMMITTED / f"{name}.csv").read_bytes() == (demo_dir / f"{name}.csv").read_bytes(), (
            f"data/demo/{name}.csv is stale: regenerate it with write_demo_export(Path('data/demo'))"
        )


def test_scale_one_is_small_and_sized_as_documented(demo_dir, demo):
    size = sum((demo_dir / f"{name}.csv").stat().st_size for name in TABLES)
    assert size < 5_000_000
    assert 15_000 <= len(demo["appointments"]) <= 20_000
    assert abs(len(demo["availabilities"]) - len(demo["appointments"]) / 4) < 50
    assert 35 <= len(demo["services"]) <= 45
    assert 10 <= len(demo["staff"]) <= 14


def test_returned_counts_match_files(tmp_path):
    counts = write_demo_export(tmp_path, appointments=2_000)
    tables = read(tmp_path)
    assert counts == {name: len(rows) for name, rows in tables.items()}
    assert counts["appointments"] == 2_000 and counts["availabilities"] == 500


def test_files_are_plain_utf8_csv_with_headers(demo_dir):
    first = (demo_dir / "appointments.csv").read_bytes().split(b"\n", 1)[0]
    assert first == b"appointment_id,service_id,staff_id,start,end,status,patient_ref"
    assert not (demo_dir / "services.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\r\n" not in (demo_dir / "staff.csv").read_bytes()


@pytest.mark.parametrize("tables", ["demo", "multi_site"])
def test_ids_are_unique(tables, request):
    data = request.getfixturevalue(tables)
    for name, key in zip(TABLES, ("service_id", "staff_id", "appointment_id", "availability_id")):
        ids = [row[key] for row in data[name]]
        assert len(ids) == len(set(ids)), name


@pytest.mark.parametrize("tables", ["demo", "multi_site"])
def test_special_cases_are_present_once(tables, request):
    data = request.getfixturevalue(tables)
    staff = {row["staff_id"]: row for row in data["staff"]}
    services = {row["service_id"] for row in data["services"]}
    used_staff = {row["staff_id"] for row in data["appointments"]}
    slot_staff = {row["staff_id"] for row in data["availabilities"]}

    inactive = [s for s in staff.values() if s["status"] == "inactive"]
    assert len(inactive) == 1
    assert inactive[0]["staff_id"] in used_staff and inactive[0]["staff_id"] in slot_staff

    missing = (used_staff | slot_staff) - staff.keys()
    assert len(missing) == 1
    assert missing <= used_staff and missing <= slot_staff

    unknown = {row["service_id"] for row in data["appointments"]} - services
    assert 1 <= len(unknown) <= 2
    assert 3 <= sum(row["service_id"] in unknown for row in data["appointments"]) <= 50

    responsible = [s for s in staff.values() if s["responsible"] == "true"]
    assert len(responsible) == 1
    assert responsible[0]["role"] == "medecin" and responsible[0]["status"] == "active"
    assert any(s["role"] == "ips" for s in staff.values())
    assert any(s["role"] == "medecin" and s["specialty"] not in ("", "Médecine familiale") for s in staff.values())
    # An active member whose Volontaire box is not ticked, with availabilities the GAP report leaves out.
    not_volunteer = {s["staff_id"] for s in staff.values() if s["status"] == "active" and s["volunteer"] == "false"}
    assert len(not_volunteer) == 1
    assert any(row["staff_id"] in not_volunteer for row in data["availabilities"])


def test_services_cover_the_wizard_cases(demo):
    names = {row["service_id"]: row["name"] for row in demo["services"]}
    assert set(names.values()) >= ADMIN
    booked = Counter(row["service_id"] for row in demo["appointments"])
    future = {
        row["service_id"]
        for row in demo["appointments"]
        if row["start"] >= "2026-12-01" and row["status"] != "cancelled"
    }
    by_name = {name: sid for sid, name in names.items()}
    assert booked[by_name["Pause"]] > 0 and booked[by_name["Réunion d'équipe"]] > 0
    assert by_name["Pause"] in future  # an administrative service that would be reactivated
    active = {row["service_id"] for row in demo["services"] if row["emr_status"] == "active"}
    inactive = set(names) - active
    assert 2 <= len(inactive) <= 3
    assert any(booked[sid] == 0 for sid in active), "an active service with no appointment"
    assert any(booked[sid] > 0 and sid not in future for sid in active), "an active service with only past appointments"
    assert any(c in name for name in names.values() for c in "éèàô'"), "accented names"


def test_only_allowed_codes(demo):
    assert {row["emr_status"] for row in demo["services"]} <= {"active", "inactive"}
    assert {row["status"] for row in demo["staff"]} <= {"active", "inactive"}
    assert {row["role"] for row in demo["staff"]} <= {"medecin", "ips", "infirmiere", "gestionnaire", "autre"}
    assert {row["responsible"] for row in demo["staff"]} <= {"true", "false"}
    assert {row["status"] for row in demo["appointments"]} == {"booked", "fulfilled", "noshow", "cancelled"}
    for column, allowed in CODES.items():
        values = {row[column] for row in demo["availabilities"]}
        assert values - {""} <= allowed, column
        assert "" in values, f"{column} is sometimes missing"


def test_regulatory_attributes_are_partly_filled(demo):
    slots = demo["availabilities"]
    for column in ("reason", "clientele", "mode", "location", "published_at"):
        filled = sum(bool(row[column]) for row in slots) / len(slots)
        assert 0.8 < filled < 1.0, column
    referred = [row for row in slots if row["referral_source"]]
    assert referred and len(referred) < len(slots) / 4
    assert {row["reason"] for row in referred} - {""} <= {"urgent", "semi_urgent"}


def test_datetimes_are_local_iso_and_ordered(demo):
    for name, columns in (("appointments", ("start", "end")), ("availabilities", ("start", "end", "published_at"))):
        for row in demo[name]:
            for column in columns:
                assert (row[column] == "" and column == "published_at") or ISO.match(row[column])
            assert row["end"] > row["start"]
            assert row["start"][11:] >= "08:00:00" and row["end"][11:] <= "17:00:00"
            assert row["start"][14:16] in ("00", "15", "30", "45")
            if name == "availabilities" and row["published_at"]:
                assert row["published_at"] < row["start"]
    for row in demo["services"]:
        assert ISO.match(row["created_at"])


def test_timeline_reaches_into_2027(demo):
    appointments = demo["appointments"]
    assert min(row["start"] for row in appointments) >= "2026-01-01"
    assert max(row["start"] for row in appointments) < "2027-04-01"
    late = [row for row in appointments if row["start"] >= "2026-12-01" and row["status"] != "cancelled"]
    assert sum(row["start"] >= "2027-01-01" for row in late) > 100
    for row in appointments:
        future = row["start"] >= "2027-01-01"
        assert (row["status"] in ("booked", "cancelled")) if future else (row["status"] != "booked")


def test_no_member_is_double_booked(demo):
    by_member: dict[str, list[tuple[str, str]]] = {}
    for name in ("appointments", "availabilities"):
        for row in demo[name]:
            by_member.setdefault(row["staff_id"], []).append((row["start"], row["end"]))
    for member, spans in by_member.items():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), member


def test_patient_refs_look_like_ramq_and_repeat(demo):
    refs = [row["patient_ref"] for row in demo["appointments"]]
    present = [r for r in refs if r]
    assert all(RAMQ.match(r) for r in present)
    assert len(present) < len(refs), "some appointments have no patient"
    assert len(set(present)) < len(present) / 2, "patients come back"
