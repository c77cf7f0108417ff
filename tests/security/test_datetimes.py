"""Datetimes (docs/export-format.md): ISO 8601 only, offsets honoured as instants across the
November fall-back, a local time that does not exist in Montreal refused."""

from __future__ import annotations

import pytest

from orchestrator_lib.load import load_export

from conftest import query, run_cli, snapshot, write_export

HEADER = "appointment_id,service_id,staff_id,start,end,status,patient_ref\n"


def appointments(*rows: str) -> dict[str, str]:
    return {"appointments": HEADER + "".join(f"{row}\n" for row in rows)}


def test_an_appointment_across_the_fall_back_loads_as_the_45_minutes_it_lasts(tmp_path, db):
    folder = write_export(
        tmp_path / "export",
        appointments("APT-1,SRV-1,STF-1,2026-11-01T01:30:00-04:00,2026-11-01T01:15:00-05:00,booked,P1"),
    )
    load_export(folder, db)
    assert query(db, 'SELECT start, "end" FROM emr_appointments')[0][0].hour == 1


def test_a_real_reversal_is_still_refused_with_its_line(tmp_path, db):
    load_export(write_export(tmp_path / "first"), db)
    before = snapshot(db)
    folder = write_export(
        tmp_path / "export",
        appointments(
            "APT-1,SRV-1,STF-1,2026-11-01T01:30:00-04:00,2026-11-01T01:15:00-05:00,booked,P1",
            "APT-2,SRV-1,STF-1,2026-11-02T10:00:00-05:00,2026-11-02T09:00:00-05:00,booked,P2",
        ),
    )
    result = run_cli("--db", str(db), "load", str(folder))
    assert result.returncode == 2 and "ligne 3" in result.stderr and "end" in result.stderr
    assert snapshot(db) == before


def test_the_hour_skipped_in_march_is_refused_naming_it(tmp_path, db):
    load_export(write_export(tmp_path / "first"), db)
    before = snapshot(db)
    folder = write_export(tmp_path / "export", appointments("APT-1,SRV-1,STF-1,2026-03-08T02:30,,booked,P1"))
    result = run_cli("--db", str(db), "load", str(folder))
    assert result.returncode == 2 and "2026-03-08T02:30" in result.stderr and "n'existe pas" in result.stderr
    assert snapshot(db) == before
    fine = write_export(
        tmp_path / "fine",
        appointments(
            "APT-1,SRV-1,STF-1,2026-03-08T03:30,,booked,P1",
            "APT-2,SRV-1,STF-1,2026-03-09T02:30,,booked,P1",
            "APT-3,SRV-1,STF-1,2026-03-08T07:30:00Z,,booked,P1",
        ),
    )
    load_export(fine, db)  # the hour after, the same hour another day, and an instant given in UTC


@pytest.mark.parametrize(
    "value",
    [
        "infinity",
        "-infinity",
        "epoch",
        "2026/01/02 08:00",
        "10000-01-01T08:00",
        "2026-1-2",
        "02/01/2026",
        "2026-07-02T9:00",
        "now",
        "2026-07-02T09:00:00 EST",
    ],
)
def test_only_iso_8601_is_a_datetime(tmp_path, db, value):
    load_export(write_export(tmp_path / "first"), db)
    before = snapshot(db)
    folder = write_export(tmp_path / "export", appointments(f"APT-1,SRV-1,STF-1,{value},,booked,P1"))
    result = run_cli("--db", str(db), "load", str(folder))
    assert result.returncode == 2 and value in result.stderr and "ISO 8601" in result.stderr, result.stderr
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "value",
    [
        "2026-07-02",
        "2026-07-02T09:00",
        "2026-07-02 09:00:00",
        "2026-07-02T09:00:00.5",
        "2026-07-02T13:00Z",
        "2026-07-02T09:00-04:00",
        "2026-07-02T09:00:00-0400",
        "2026-07-02T09:00:00-04",
    ],
)
def test_iso_8601_shapes_are_accepted(tmp_path, db, value):
    load_export(write_export(tmp_path / "export", appointments(f"APT-1,SRV-1,STF-1,{value},,booked,P1")), db)
    assert query(db, "SELECT start FROM emr_appointments")[0][0].year == 2026


def test_the_fall_back_appointment_loads_over_fhir_too(fake_fhir, tmp_path, db):
    from orchestrator_lib.load import load_fhir
    from orchestrator_lib.sources.fhir import export_resources

    served = write_export(
        tmp_path / "served",
        appointments("APT-1,SRV-1,STF-1,2026-11-01T01:30:00-04:00,2026-11-01T01:15:00-05:00,booked,P1"),
    )
    fake_fhir.serve(export_resources(served))
    load_fhir(fake_fhir.base, db)
    assert query(db, "SELECT count(*) FROM emr_appointments") == [(1,)]
