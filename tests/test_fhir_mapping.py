"""FHIR resources -> the export's tables: what each element becomes, what is
kept and reported, and what stops the load with a message naming the resource."""

from __future__ import annotations

import pytest

from orchestrator_lib.errors import InputError
from orchestrator_lib.load import load_fhir
from orchestrator_lib.sources.fhir import EXTENSIONS, REASON_SYSTEM, ROLE_SYSTEM

from conftest import query, snapshot

HL7_ROLES = "http://terminology.hl7.org/CodeSystem/practitioner-role"


def clinic(*extra: dict) -> list[dict]:
    """A minimal valid clinic, and ``extra`` resources."""
    return [
        {"resourceType": "HealthcareService", "id": "SRV-1", "name": "Vaccination"},
        {"resourceType": "HealthcareService", "id": "SRV-2", "name": "Ancien", "active": False},
        {
            "resourceType": "Practitioner",
            "id": "STF-1",
            "active": True,
            "name": [{"family": "Tremblay", "given": ["Émilie", "Anne"]}],
            "extension": [{"url": EXTENSIONS["volunteer"], "valueBoolean": True}],
            "identifier": [
                {"system": "urn:oid:2.16.840.1.113883.4.330.124", "value": "RAMQ-1"},
                {"type": {"coding": [{"code": "MD"}]}, "value": "1-12345"},
            ],
        },
        {
            "resourceType": "PractitionerRole",
            "id": "R-1",
            "practitioner": {"reference": "Practitioner/STF-1"},
            "code": [
                {"coding": [{"system": HL7_ROLES, "code": "doctor"}, {"system": ROLE_SYSTEM, "code": "responsible"}]}
            ],
            "specialty": [
                {"coding": [{"system": "http://snomed.info/sct", "code": "419772000", "display": "Médecine familiale"}]}
            ],
        },
        {"resourceType": "Practitioner", "id": "STF-2", "active": False, "name": [{"text": "Roy, Jean"}]},
        {
            "resourceType": "Schedule",
            "id": "SCH-1",
            "actor": [{"reference": "PractitionerRole/R-1"}, {"reference": "HealthcareService/SRV-1"}],
        },
        *extra,
    ]


def appointment(id_: str, status: str = "booked", start: str | None = "2026-07-02T09:00:00-04:00", **more) -> dict:
    return {
        "resourceType": "Appointment",
        "id": id_,
        "status": status,
        **({"start": start} if start else {}),
        "participant": [
            {"actor": {"reference": "HealthcareService/SRV-1"}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/STF-1"}, "status": "accepted"},
        ],
        **more,
    }


def slot(id_: str, status: str = "free", **more) -> dict:
    return {
        "resourceType": "Slot",
        "id": id_,
        "status": status,
        "schedule": {"reference": "Schedule/SCH-1"},
        "start": "2026-07-02T13:00:00Z",
        "end": "2026-07-02T14:00:00Z",
        **more,
    }


def test_each_element_lands_in_its_column(fake_fhir, db):
    fake_fhir.serve(
        clinic(
            appointment(
                "A-1",
                participant=[
                    {
                        "actor": {"reference": "http://emr.example/fhir/PractitionerRole/R-1/_history/3"},
                        "status": "accepted",
                    },
                    {"actor": {"reference": "Patient/P-77"}, "status": "accepted"},
                ],
                serviceType=[{"coding": [{"system": "urn:emr:service", "code": "SRV-2"}]}],
            ),
            slot(
                "S-1",
                appointmentType={"coding": [{"system": REASON_SYSTEM, "code": "urgent"}]},
                extension=[
                    {"url": EXTENSIONS["clientele"], "valueCode": "own"},
                    {"url": EXTENSIONS["location"], "valueString": "Clinique, 1 rue X"},
                    {"url": EXTENSIONS["published_at"], "valueDateTime": "2026-06-01T10:00:00-04:00"},
                ],
            ),
        )
    )
    result = load_fhir(fake_fhir.base, db)
    assert result.warnings == []
    assert query(db, "SELECT service_id, name, emr_status FROM emr_services ORDER BY 1") == [
        ("SRV-1", "Vaccination", "active"),
        ("SRV-2", "Ancien", "inactive"),
    ]
    assert query(db, "SELECT * FROM emr_staff ORDER BY 1") == [
        ("STF-1", "Tremblay, Émilie Anne", "active", "1-12345", "medecin", "Médecine familiale", True, True),
        ("STF-2", "Roy, Jean", "inactive", None, None, None, False, False),  # the box not ticked
    ]
    (apt,) = query(
        db,
        "SELECT appointment_id, service_id, staff_id, start::VARCHAR, status, patient_hash IS NOT NULL "
        "FROM emr_appointments",
    )
    assert apt == ("A-1", "SRV-2", "STF-1", "2026-07-02 09:00:00", "booked", True)
    assert query(db, "SELECT count(*) FROM emr_appointments WHERE patient_hash LIKE '%P-77%'") == [(0,)]
    (av,) = query(
        db,
        "SELECT availability_id, service_id, staff_id, start::VARCHAR, published_at::VARCHAR, reason, "
        "clientele, mode, location FROM emr_availabilities",
    )
    assert av == (
        "S-1",
        "SRV-1",
        "STF-1",
        "2026-07-02 09:00:00",
        "2026-06-01 10:00:00",
        "urgent",
        "own",
        None,
        "Clinique, 1 rue X",
    )


@pytest.mark.parametrize(
    ("fhir_status", "stored"),
    [
        ("cancelled", "cancelled"),
        ("entered-in-error", "cancelled"),
        ("noshow", "noshow"),
        ("fulfilled", "fulfilled"),
        ("arrived", "booked"),
        ("checked-in", "booked"),
        ("pending", "booked"),
        ("proposed", "booked"),
    ],
)
def test_appointment_statuses_follow_spec(fake_fhir, db, fhir_status, stored):
    fake_fhir.serve(clinic(appointment("A-1", fhir_status)))
    load_fhir(fake_fhir.base, db)
    assert query(db, "SELECT status FROM emr_appointments") == [(stored,)]


def test_unknown_codes_are_kept_and_reported(fake_fhir, db):
    fake_fhir.serve(
        clinic(
            appointment("A-1", "arrived-late"),
            slot(
                "S-1",
                appointmentType={
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0276", "code": "ROUTINE"}]
                },
                extension=[{"url": EXTENSIONS["mode"], "valueCode": "carrier-pigeon"}],
            ),
            {
                "resourceType": "PractitionerRole",
                "id": "R-2",
                "practitioner": {"reference": "Practitioner/STF-2"},
                "code": [{"coding": [{"system": "urn:emr:roles", "code": "secretaire"}]}],
            },
        )
    )
    result = load_fhir(fake_fhir.base, db)
    assert query(db, "SELECT status FROM emr_appointments") == [("booked",)]
    assert query(db, "SELECT reason, mode FROM emr_availabilities") == [(None, None)]
    assert query(db, "SELECT role FROM emr_staff WHERE staff_id = 'STF-2'") == [("autre",)]
    text = "\n".join(str(w) for w in result.warnings)
    for element, code in [
        ("Appointment.status", "arrived-late"),
        ("Slot.appointmentType", "ROUTINE"),
        ("Slot.extension(mode)", "carrier-pigeon"),
        ("PractitionerRole.code", "urn:emr:roles|secretaire"),
    ]:
        assert f"{element} : code « {code} »" in text


def test_blocked_slots_and_undated_proposals_are_skipped_and_counted(fake_fhir, db):
    fake_fhir.serve(
        clinic(
            slot("S-1"),
            slot("S-2", "busy"),
            slot("S-3", "busy-unavailable"),
            slot("S-4", "entered-in-error"),
            appointment("A-1", "proposed", start=None),
            appointment("A-2", "cancelled", start=None),
            appointment("A-3"),
        )
    )
    result = load_fhir(fake_fhir.base, db)
    assert (result.appointments, result.availabilities) == (1, 2)
    warnings = [str(w) for w in result.warnings]
    assert "2 rendez-vous proposés, en liste d'attente ou annulés sans date, ignorés." in warnings
    assert "1 plage bloquée (Slot busy-unavailable) ignorée : ce n'est pas une disponibilité." in warnings


def test_a_booked_appointment_without_start_names_the_resource(fake_fhir, db, tmp_path):
    fake_fhir.serve(clinic(appointment("A-1"), appointment("A-BAD", "booked", start=None)))
    with pytest.raises(InputError) as caught:
        load_fhir(fake_fhir.base, db)
    assert caught.value.key == "fhir_value_missing"
    assert "Appointment/A-BAD" in str(caught.value) and "Appointment.start" in str(caught.value)
    assert not db.exists() or snapshot(db)["emr_appointments"] == []


def test_a_slot_ending_before_it_starts_names_the_resource(fake_fhir, db):
    fake_fhir.serve(clinic(slot("S-BAD", end="2026-07-02T12:00:00Z")))
    with pytest.raises(InputError) as caught:
        load_fhir(fake_fhir.base, db)
    assert caught.value.key == "fhir_end_before_start" and "Slot/S-BAD" in str(caught.value)


def test_a_malformed_instant_names_the_resource_and_element(fake_fhir, db):
    fake_fhir.serve(clinic(appointment("A-1", start="02/07/2026 9h")))
    with pytest.raises(InputError) as caught:
        load_fhir(fake_fhir.base, db)
    assert caught.value.key == "fhir_value_datetime"
    assert "Appointment/A-1" in str(caught.value) and "02/07/2026 9h" in str(caught.value)


def test_an_appointment_without_practitioner_names_the_element(fake_fhir, db):
    fake_fhir.serve(clinic(appointment("A-1", participant=[{"actor": {"reference": "HealthcareService/SRV-1"}}])))
    with pytest.raises(InputError) as caught:
        load_fhir(fake_fhir.base, db)
    assert "Appointment/A-1" in str(caught.value) and "Practitioner" in str(caught.value)


def test_a_server_without_the_volunteer_extension_counts_everyone_a_volunteer(fake_fhir, db):
    """No practitioner carries the Volontaire box: as an export without the column."""
    resources = clinic()
    resources[2] = {k: v for k, v in resources[2].items() if k != "extension"}
    fake_fhir.serve(resources)
    load_fhir(fake_fhir.base, db)
    assert query(db, "SELECT staff_id, volunteer FROM emr_staff ORDER BY 1") == [("STF-1", True), ("STF-2", True)]
    assert query(db, "SELECT volunteer_column FROM emr_loads") == [(False,)]


def test_a_volunteer_that_is_not_a_boolean_names_the_resource_and_element(fake_fhir, db):
    resources = clinic()
    resources[2] = {**resources[2], "extension": [{"url": EXTENSIONS["volunteer"], "valueString": "oui"}]}
    fake_fhir.serve(resources)
    before = snapshot(db)
    with pytest.raises(InputError) as caught:
        load_fhir(fake_fhir.base, db)
    assert caught.value.key == "fhir_value_boolean"
    text = str(caught.value)
    assert "Practitioner/STF-1" in text and "Practitioner.extension(volunteer)" in text and "oui" in text
    assert snapshot(db) == before
