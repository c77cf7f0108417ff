"""The local FHIR R4 server of tests/fhir_server: what the other tests and the benchmarks rely on."""

from __future__ import annotations

import time
import uuid

import requests

# Until tests/conftest.py lists it, the plugin is requested here (harmless once it does).
pytest_plugins = ["fhir_fixtures"]

FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


def put_batch(base: str, resources: list[dict], **kwargs) -> requests.Response:
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}, "resource": r} for r in resources
        ],
    }
    return requests.post(base, json=bundle, headers=FHIR_JSON, timeout=30, **kwargs)


def search_all(url: str) -> tuple[list[dict], int]:
    """Every resource of a search, following the ``next`` links; and the number of pages."""
    resources, pages = [], 0
    while url:
        response = requests.get(url, headers=FHIR_JSON, timeout=30)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/fhir+json")
        bundle = response.json()
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
        pages += 1
        resources += [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]
        url = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)
    return resources, pages


def test_metadata_is_r4(fhir_server):
    response = requests.get(f"{fhir_server}/metadata", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    statement = response.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {
        "HealthcareService",
        "Practitioner",
        "PractitionerRole",
        "Appointment",
        "Slot",
        "Schedule",
        "Patient",
        "Location",
    } <= types


def test_batch_of_puts_then_paging_returns_each_once(fhir_server):
    run = uuid.uuid4().hex[:8]
    tag = {"system": "urn:test:run", "code": run}
    resources = [
        {
            "resourceType": "HealthcareService",
            "id": f"SRV-{run}",
            "active": True,
            "name": "Vaccination",
            "meta": {"tag": [tag]},
        },
        {
            "resourceType": "Practitioner",
            "id": f"STF-{run}",
            "active": True,
            "name": [{"family": "Tremblay", "given": ["Émilie"]}],
            "meta": {"tag": [tag]},
        },
    ] + [
        {
            "resourceType": "Appointment",
            "id": f"APT-{run}-{i}",
            "status": "booked",
            "start": f"2026-07-02T09:{i:02d}:00-04:00",
            "end": f"2026-07-02T09:{i + 15:02d}:00-04:00",
            "meta": {"tag": [tag]},
            "participant": [{"actor": {"reference": f"Practitioner/STF-{run}"}, "status": "accepted"}],
        }
        for i in range(5)
    ]
    response = put_batch(fhir_server, resources)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["type"] == "batch-response"
    assert [e["response"]["status"] for e in result["entry"]] == ["201"] * len(resources)

    # Updating one again answers 200 and keeps the client's id.
    again = put_batch(fhir_server, resources[2:3]).json()
    assert again["entry"][0]["response"]["status"] == "200"
    stored = requests.get(f"{fhir_server}/Appointment/APT-{run}-0", timeout=10).json()
    assert stored["id"] == f"APT-{run}-0"
    assert stored["meta"]["lastUpdated"] and stored["meta"]["versionId"]

    found, pages = search_all(f"{fhir_server}/Appointment?_tag=urn:test:run|{run}&_count=2")
    assert sorted(r["id"] for r in found) == sorted(f"APT-{run}-{i}" for i in range(5))
    assert pages == 3
    first = requests.get(f"{fhir_server}/Appointment?_tag=urn:test:run|{run}&_count=2", timeout=10).json()
    assert first["total"] == 5
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert links["self"].startswith("http://127.0.0.1:") and "_count=2" in links["self"]
    assert "_offset=2" in links["next"] and f"_tag=urn%3Atest%3Arun%7C{run}" in links["next"]
    assert all(e["fullUrl"].endswith(f"/Appointment/{e['resource']['id']}") for e in first["entry"])

    both, _ = search_all(f"{fhir_server}/HealthcareService?_id=SRV-{run},nope-{run}")
    assert [r["id"] for r in both] == [f"SRV-{run}"]


def test_last_updated_gt_sees_only_later_writes(fhir_server):
    run = uuid.uuid4().hex[:8]
    put_batch(fhir_server, [{"resourceType": "Practitioner", "id": f"OLD-{run}", "active": True}])
    since = requests.get(f"{fhir_server}/Practitioner/OLD-{run}", timeout=10).json()["meta"]["lastUpdated"]
    time.sleep(0.01)  # lastUpdated has millisecond precision
    put_batch(fhir_server, [{"resourceType": "Practitioner", "id": f"NEW-{run}", "active": True}])
    later, _ = search_all(f"{fhir_server}/Practitioner?_lastUpdated=gt{since}&_id=OLD-{run},NEW-{run}")
    assert [r["id"] for r in later] == [f"NEW-{run}"]
    since_both, _ = search_all(f"{fhir_server}/Practitioner?_lastUpdated=ge{since}&_id=OLD-{run},NEW-{run}")
    assert sorted(r["id"] for r in since_both) == [f"NEW-{run}", f"OLD-{run}"]


def test_slot_include_schedule_and_reference_search(fhir_server):
    run = uuid.uuid4().hex[:8]
    put_batch(
        fhir_server,
        [
            {
                "resourceType": "Schedule",
                "id": f"SCH-{run}",
                "active": True,
                "actor": [{"reference": f"Practitioner/STF-{run}"}],
            },
            {
                "resourceType": "Slot",
                "id": f"SLOT-{run}-1",
                "schedule": {"reference": f"Schedule/SCH-{run}"},
                "status": "free",
                "start": "2026-07-02T09:00:00-04:00",
                "end": "2026-07-02T09:30:00-04:00",
            },
            {
                "resourceType": "Slot",
                "id": f"SLOT-{run}-2",
                "schedule": {"reference": f"Schedule/SCH-{run}"},
                "status": "busy",
                "start": "2026-07-02T10:00:00-04:00",
                "end": "2026-07-02T10:30:00-04:00",
            },
        ],
    )
    bundle = requests.get(f"{fhir_server}/Slot?schedule=Schedule/SCH-{run}&_include=Slot:schedule", timeout=10).json()
    modes = sorted((e["search"]["mode"], e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"])
    assert modes == [
        ("include", "Schedule", f"SCH-{run}"),
        ("match", "Slot", f"SLOT-{run}-1"),
        ("match", "Slot", f"SLOT-{run}-2"),
    ]
    assert bundle["total"] == 2
    # Dates with an offset compare as instants (09:00-04:00 is 13:00Z).
    late = requests.get(
        f"{fhir_server}/Slot?schedule=Schedule/SCH-{run}&start=ge2026-07-02T13:30:00Z", timeout=10
    ).json()
    assert [e["resource"]["id"] for e in late["entry"]] == [f"SLOT-{run}-2"]


def test_unknown_search_parameter_is_refused(fhir_server):
    response = requests.get(f"{fhir_server}/Slot?no-such-param=1", timeout=10)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_token_is_required(fhir_server_with_token):
    base, token = fhir_server_with_token
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
        response = requests.get(f"{base}/metadata", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["resourceType"] == "OperationOutcome"
    assert put_batch(base, [{"resourceType": "Patient", "id": "P1"}]).status_code == 401
    ok = requests.get(f"{base}/metadata", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["fhirVersion"] == "4.0.1"
