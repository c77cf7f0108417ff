"""An EMR reached over FHIR R4, read into the four tables of the export (docs/export-format.md).

Resources are fetched first, entirely, before the database is opened: a
failure on the way (network, server, bad answer) leaves nothing to undo. What
was fetched is written as four temporary CSV files in the export's canonical
format and handed to the same loader as an export folder, so every cell rule,
the pseudonymisation of patients and the single transaction are shared. Only
the messages differ: they name the resource (``Appointment/123``) and its
element instead of a file, line and column.

The mapping (``docs/fhir.md`` shows it as a table):

- ``HealthcareService`` → services; ``Practitioner`` with its
  ``PractitionerRole``\\ s → staff; ``Appointment`` → appointments; ``Slot``
  with its ``Schedule`` → availabilities.
- A code the mapping does not know is kept where the export allows it (an
  appointment status counts as ``booked``, a role as ``autre``) or left empty,
  and reported; it never stops the load.

Incremental refresh: services, staff and schedules are few and always read
whole; appointments and slots are read since the previous load of the same
server (``_lastUpdated``), with the slots of every schedule that changed, and
merged by id into what the database holds.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..export_format import (
    APPOINTMENTS,
    AVAILABILITIES,
    BOOLEAN_TRUE,
    CLIENTELES,
    MODES,
    REASONS,
    REFERRAL_SOURCES,
    ROLES,
    SERVICES,
    STAFF,
    TABLES,
    Table,
)
from ..i18n import N_, Message, _, number
from .fhir_client import FhirClient, display_url
from .files import TableFile, open_table

# Where FHIR has no element for a column of the export, an extension carries
# it; codes of the export's own value sets use these systems.
NAMESPACE = "urn:orchestrator-lib:"
ROLE_SYSTEM = NAMESPACE + "role"  # ROLES, plus "responsible"
REASON_SYSTEM = NAMESPACE + "reason"  # REASONS, in Slot.appointmentType
EXTENSIONS = {
    "created_at": NAMESPACE + "created-at",  # HealthcareService, valueDateTime
    "volunteer": NAMESPACE + "volunteer",  # Practitioner, valueBoolean: the Volontaire box
    "published_at": NAMESPACE + "published-at",  # Slot, valueDateTime
    "clientele": NAMESPACE + "clientele",  # Slot, valueCode
    "mode": NAMESPACE + "mode",  # Slot, valueCode
    "referral_source": NAMESPACE + "referral-source",  # Slot, valueCode
    "location": NAMESPACE + "location",  # Slot, valueString
}
HL7_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/practitioner-role"
HL7_ROLES = {
    "doctor": "medecin",
    "nurse": "infirmiere",
    "pharmacist": "autre",
    "researcher": "autre",
    "teacher": "autre",
    "ict": "autre",
}
LICENCE_TYPES = ("MD", "LN")  # HL7 v2-0203: medical licence number, licence number
RESPONSIBLE = "responsible"

# Appointment.status (R4 value set) -> the export's status.
APPOINTMENT_STATUS = {
    "cancelled": "cancelled",
    "entered-in-error": "cancelled",
    "noshow": "noshow",
    "fulfilled": "fulfilled",
    "proposed": "booked",
    "pending": "booked",
    "booked": "booked",
    "arrived": "booked",
    "checked-in": "booked",
    "waitlist": "booked",
}
UNDATED_OK = ("proposed", "waitlist", "cancelled", "entered-in-error")  # FHIR allows these without start
SLOT_KEPT = ("free", "busy", "busy-tentative")  # published time, booked or not
SLOT_SKIPPED = ("busy-unavailable", "entered-in-error")  # blocked time is no availability

RESOURCE_OF = {
    "services": "HealthcareService",
    "staff": "Practitioner",
    "appointments": "Appointment",
    "availabilities": "Slot",
}

# What a load skips, and what it tells the user about it (a plural entry each).
SKIPPED = {
    "undated": N_("fhir_skipped_undated"),
    "busy_unavailable": N_("fhir_skipped_busy_unavailable"),
    "entered_in_error": N_("fhir_skipped_entered_in_error"),
}

# A bad value, said of a FHIR resource rather than of a file's line.
FHIR_ERRORS = {
    "value_missing": N_("fhir_value_missing"),
    "value_datetime": N_("fhir_value_datetime"),
    "value_nonexistent": N_("fhir_value_nonexistent"),
    "value_code": N_("fhir_value_code"),
    "value_boolean": N_("fhir_value_boolean"),
    "end_before_start": N_("fhir_end_before_start"),
}

# Where each column comes from: named in messages and in docs/fhir.md.
ELEMENTS = {
    "services": {
        "service_id": "HealthcareService.id",
        "name": "HealthcareService.name",
        "emr_status": "HealthcareService.active",
        "created_at": "HealthcareService.extension(created-at)",
    },
    "staff": {
        "staff_id": "Practitioner.id",
        "name": "Practitioner.name",
        "status": "Practitioner.active",
        "license": "Practitioner.identifier",
        "role": "PractitionerRole.code",
        "specialty": "PractitionerRole.specialty",
        "responsible": "PractitionerRole.code",
        "volunteer": "Practitioner.extension(volunteer)",
    },
    "appointments": {
        "appointment_id": "Appointment.id",
        "service_id": "Appointment.participant.actor (HealthcareService) | Appointment.serviceType",
        "staff_id": "Appointment.participant.actor (Practitioner | PractitionerRole)",
        "start": "Appointment.start",
        "end": "Appointment.end",
        "status": "Appointment.status",
        "patient_ref": "Appointment.participant.actor (Patient)",
    },
    "availabilities": {
        "availability_id": "Slot.id",
        "service_id": "Schedule.actor (HealthcareService) | Slot.serviceType",
        "staff_id": "Schedule.actor (Practitioner | PractitionerRole)",
        "start": "Slot.start",
        "end": "Slot.end",
        "published_at": "Slot.extension(published-at)",
        "reason": "Slot.appointmentType",
        "clientele": "Slot.extension(clientele)",
        "mode": "Slot.extension(mode)",
        "referral_source": "Slot.extension(referral-source)",
        "location": "Slot.extension(location)",
    },
}

# An incremental read starts this long before the previous load began (server
# clock): a write stamped just before that load but committed after its searches
# ran is read next time. Reading a resource twice is harmless: rows merge by id.
INCREMENTAL_MARGIN = dt.timedelta(seconds=30)


# --- the result of a fetch ---------------------------------------------------------


@dataclass
class FhirExport:
    """Everything read from the server, as rows of the export's four tables."""

    server: str
    rows: dict[str, dict[str, tuple]]  # table -> id -> row (the table's columns, in order)
    since: dt.datetime | None = None  # None: a full read
    high_water: dt.datetime | None = None  # where the next incremental read starts: this read's start
    unknown: Counter = field(default_factory=Counter)  # (element, code) -> resources
    skipped: Counter = field(default_factory=Counter)  # why -> resources
    fetched: Counter = field(default_factory=Counter)  # resource type -> resources read
    # Resources read but not kept (a slot now blocked, an appointment now undated):
    # an incremental read removes the rows an earlier read made of them.
    dropped: dict[str, set] = field(default_factory=dict)

    @property
    def incremental(self) -> bool:
        return self.since is not None

    def table_files(self, folder: Path) -> list[FhirTable]:
        """Write each table as a canonical CSV in ``folder``, ready for the loader."""
        files = []
        for table in TABLES:
            path = folder / f"{table.name}.csv"  # in the load's private scratch folder: owner only
            rows = self.rows[table.name].values()
            kept = _columns_given(table, rows)
            with open(
                os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8", newline=""
            ) as out:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow([table.columns[i].name for i in kept])
                writer.writerows(_csv_row([row[i] for i in kept]) for row in rows)
            opened = open_table(table, path, folder)
            merge = self.incremental and table in (APPOINTMENTS, AVAILABILITIES)
            files.append(
                FhirTable(
                    **{
                        **vars(opened),
                        "merge": merge,
                        "dropped": sorted(self.dropped.get(table.name, ())) if merge else [],
                    },
                    server=self.server,
                )
            )
        return files

    def summary(self) -> Message:
        """What was read from where: one line for the user."""
        counts = ", ".join(f"{resource_type} {number(n)}" for resource_type, n in self.fetched.items()) or "0"
        if self.incremental and self.since is not None:
            return Message("fhir_read_incremental", server=self.server, counts=counts, since=self.since)
        return Message("fhir_read_full", server=self.server, counts=counts)

    def warnings(self) -> list[Message]:
        """What the load kept but could not map, for the user to check in the EMR."""
        notes = [
            Message("fhir_unknown_code", n=count, element=element, code=code)
            for (element, code), count in sorted(self.unknown.items())
        ]
        notes += [Message(SKIPPED[why], n=count) for why, count in sorted(self.skipped.items())]
        return notes


@dataclass
class FhirTable(TableFile):
    """A table read from a FHIR server: its messages name resources, not lines."""

    server: str = ""  # merge (an incremental read) and dropped are TableFile's

    def error(self, key: str, match: dict, **values) -> InputError:
        resource = f"{RESOURCE_OF[self.table.name]}/{match.get(self.table.id_column)}"
        column = str(values.get("column") or "")
        element = ELEMENTS[self.table.name].get(column, column)
        return InputError(
            FHIR_ERRORS[key],
            resource=resource,
            server=self.server,
            element=element,
            **{k: v for k, v in values.items() if k != "column"},
        )


def _columns_given(table: Table, rows) -> list[int]:
    """The table's columns to write: all but a column that has a meaning when absent (the
    Volontaire box) and that no resource carries: the server does not hold it, as an export
    without the column."""
    return [
        i
        for i, column in enumerate(table.columns)
        if column.when_absent is None or any(row[i] is not None for row in rows)
    ]


def _csv_row(row: list) -> list:
    return ["true" if v is True else "false" if v is False else v for v in row]


# --- fetching ---------------------------------------------------------------------------


def fetch_export(
    url: str, *, since: dt.datetime | None = None, progress: bool | Callable[[int, int], None] = False
) -> FhirExport:
    """Read the server's services, staff, appointments and availabilities.

    ``since``: read appointments and slots changed since then only (an
    incremental refresh). ``progress``: True for a bar per resource type on the
    terminal, or a function called with (resources read, resources expected)."""
    with FhirClient(url) as client:
        reader = _Reader(client, since, progress)
        export = FhirExport(display_url(client.base), {t.name: {} for t in TABLES}, since=since)
        for service in reader.read("HealthcareService"):
            _keep(export, SERVICES, service["id"], service_row(service))
        practitioners = list(reader.read("Practitioner"))
        roles = list(reader.read("PractitionerRole"))
        role_holder = {r["id"]: ref_id(r.get("practitioner"), "Practitioner") for r in roles}
        for row in staff_rows(practitioners, roles, export.unknown):
            _keep(export, STAFF, row["staff_id"], row)
        schedules = {s["id"]: s for s in reader.read("Schedule")}
        for appointment in reader.read("Appointment", changed_only=True):
            booked = appointment_row(appointment, role_holder, export.unknown, export.skipped)
            _keep(export, APPOINTMENTS, appointment["id"], booked)
        for slot in _slots(reader, schedules):
            free = availability_row(slot, schedules, role_holder, export.unknown, export.skipped)
            _keep(export, AVAILABILITIES, slot["id"], free)
        export.high_water = client.started_at or reader.high_water
        export.fetched = reader.fetched
        return export


def _keep(export: FhirExport, table: Table, resource_id: str, row: dict | None) -> None:
    """Keep ``row`` as a tuple of the table's columns (a third of a dict's memory).
    The latest version of a resource wins: a page may repeat one updated meanwhile."""
    rows, dropped = export.rows[table.name], export.dropped.setdefault(table.name, set())
    if row:
        rows[resource_id] = tuple(row.get(c.name) for c in table.columns)
        dropped.discard(resource_id)
    else:
        rows.pop(resource_id, None)
        dropped.add(resource_id)


def _slots(reader: _Reader, schedules: dict[str, dict]) -> Iterator[dict]:
    """Slots changed since the last read, and every slot of a schedule that
    changed (its actor gives the slots their service and staff member)."""
    yield from reader.read("Slot", changed_only=True)
    if reader.since is None:
        return
    since = reader.since - INCREMENTAL_MARGIN
    changed = sorted(s["id"] for s in schedules.values() if (_last_updated(s) or since) > since)
    for start in range(0, len(changed), 50):
        refs = ",".join(f"Schedule/{sid}" for sid in changed[start : start + 50])
        yield from reader.read("Slot", {"schedule": refs})


class _Reader:
    """Searches of one fetch: progress bars, and the newest ``meta.lastUpdated``
    seen (the high-water mark when the server gives no time of its own)."""

    def __init__(self, client: FhirClient, since: dt.datetime | None, progress):
        self.client, self.since, self.progress = client, since, progress
        self.high_water: dt.datetime | None = None
        self.fetched: Counter = Counter()

    def read(self, resource_type: str, params: dict | None = None, changed_only: bool = False) -> Iterator[dict]:
        """The resources of one search, as they arrive (a page at a time in memory)."""
        from tqdm import tqdm

        params = dict(params or {})
        if changed_only and self.since is not None:
            params["_lastUpdated"] = "ge" + (self.since - INCREMENTAL_MARGIN).astimezone(dt.UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        with tqdm(
            desc=resource_type, unit=_("progress_resources"), disable=self.progress is not True, leave=False
        ) as bar:

            def on_page(count: int, total: int | None) -> None:
                if total is not None:
                    bar.total = total
                bar.update(count)
                if callable(self.progress):
                    self.progress(bar.n, max(bar.total or 0, bar.n))

            for resource in self.client.search(resource_type, params, on_page=on_page):
                if resource.get("resourceType") == resource_type and resource.get("id"):
                    self.fetched[resource_type] += 1
                    if self.client.started_at is None:  # only then is the newest change needed
                        stamp = _last_updated(resource)
                        if stamp and (self.high_water is None or stamp > self.high_water):
                            self.high_water = stamp
                    yield resource


def _last_updated(resource: dict) -> dt.datetime | None:
    text = (resource.get("meta") or {}).get("lastUpdated")
    try:
        stamp = dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return stamp if stamp is None or stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


# --- resources -> rows ------------------------------------------------------------------


def service_row(service: dict) -> dict:
    return {
        "service_id": service["id"],
        "name": service.get("name"),
        "emr_status": "inactive" if service.get("active") is False else "active",
        "created_at": extension(service, "created_at"),
    }


def staff_rows(practitioners: list[dict], roles: list[dict], unknown: Counter) -> Iterator[dict]:
    roles_of: dict[str, list[dict]] = {}
    for role in roles:
        holder = ref_id(role.get("practitioner"), "Practitioner")
        if role.get("active") is not False and holder is not None:
            roles_of.setdefault(holder, []).append(role)
    for practitioner in practitioners:
        mine = roles_of.get(practitioner["id"], [])
        codings = [c for r in mine for concept in r.get("code") or [] for c in concept.get("coding") or []]
        role_code = next((code for c in codings if (code := _role(c, unknown))), None)
        yield {
            "staff_id": practitioner["id"],
            "name": person_name(practitioner.get("name") or []),
            "status": "inactive" if practitioner.get("active") is False else "active",
            "license": licence(practitioner.get("identifier") or []),
            "role": role_code,
            "specialty": next((concept_text(s) for r in mine for s in r.get("specialty") or []), None),
            "responsible": any(c.get("system") == ROLE_SYSTEM and c.get("code") == RESPONSIBLE for c in codings),
            "volunteer": _boolean(extension(practitioner, "volunteer")),
        }


def _boolean(value):
    """A FHIR boolean as is; anything else as its JSON text, which the loader refuses
    naming the resource and element (``"yes"`` is not a FHIR boolean)."""
    return value if value is None or isinstance(value, bool) else json.dumps(value)


def _role(coding: dict, unknown: Counter) -> str | None:
    system, code = coding.get("system"), coding.get("code")
    if system == ROLE_SYSTEM and code == RESPONSIBLE:
        return None
    if system == ROLE_SYSTEM and code in ROLES:
        return code
    if system == HL7_ROLE_SYSTEM and code in HL7_ROLES:
        return HL7_ROLES[code]
    unknown[("PractitionerRole.code", f"{system}|{code}")] += 1
    return "autre"


def appointment_row(appointment: dict, role_holder: dict, unknown: Counter, skipped: Counter) -> dict | None:
    status = appointment.get("status")
    if not appointment.get("start") and status in UNDATED_OK:
        skipped["undated"] += 1
        return None
    if status not in APPOINTMENT_STATUS:
        unknown[("Appointment.status", str(status))] += 1
    actors = [(p.get("actor") or {}) for p in appointment.get("participant") or []]
    return {
        "appointment_id": appointment["id"],
        "service_id": _service_of(actors, appointment),
        "staff_id": _staff_of(actors, role_holder),
        "start": appointment.get("start"),
        "end": appointment.get("end"),
        "status": APPOINTMENT_STATUS.get(status or "", "booked"),
        "patient_ref": _first(ref_id(a, "Patient") for a in actors),
    }


def availability_row(slot: dict, schedules: dict, role_holder: dict, unknown: Counter, skipped: Counter) -> dict | None:
    status = slot.get("status")
    if status in SLOT_SKIPPED:
        skipped[status.replace("-", "_")] += 1
        return None
    if status not in SLOT_KEPT:
        unknown[("Slot.status", str(status))] += 1
    schedule = schedules.get(ref_id(slot.get("schedule"), "Schedule")) or {}
    actors = schedule.get("actor") or []
    reasons = [c.get("code") for c in (slot.get("appointmentType") or {}).get("coding") or []]
    return {
        "availability_id": slot["id"],
        "service_id": _service_of(actors, slot),
        "staff_id": _staff_of(actors, role_holder),
        "start": slot.get("start"),
        "end": slot.get("end"),
        "published_at": extension(slot, "published_at"),
        "reason": _known(reasons, REASONS, "Slot.appointmentType", unknown),
        "clientele": _known([extension(slot, "clientele")], CLIENTELES, "Slot.extension(clientele)", unknown),
        "mode": _known([extension(slot, "mode")], MODES, "Slot.extension(mode)", unknown),
        "referral_source": _known(
            [extension(slot, "referral_source")], REFERRAL_SOURCES, "Slot.extension(referral-source)", unknown
        ),
        "location": extension(slot, "location"),
    }


def _known(codes: list, allowed: tuple[str, ...], element: str, unknown: Counter) -> str | None:
    """The first allowed code; any other is reported and the cell left empty."""
    codes = [c for c in codes if c]
    for code in codes:
        if code in allowed:
            return code
    if codes:
        unknown[(element, codes[0])] += 1
    return None


def _service_of(actors: list[dict], resource: dict) -> str | None:
    """The HealthcareService among ``actors``, else the code of the resource's serviceType."""
    return _first(ref_id(a, "HealthcareService") for a in actors) or _first(
        c.get("code") for concept in resource.get("serviceType") or [] for c in concept.get("coding") or []
    )


def _staff_of(actors: list[dict], role_holder: dict) -> str | None:
    return _first(ref_id(a, "Practitioner") for a in actors) or _first(
        role_holder.get(ref_id(a, "PractitionerRole")) for a in actors
    )


# --- small readers of FHIR datatypes -----------------------------------------------------


def ref_id(reference: dict | None, resource_type: str) -> str | None:
    """The id in a Reference to ``resource_type`` (relative or absolute, with or without history)."""
    text = (reference or {}).get("reference") or ""
    parts = text.split("/_history/")[0].rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == resource_type and parts[-1]:
        return parts[-1]
    return None


def extension(resource: dict, column: str):
    url = EXTENSIONS[column]
    for ext in resource.get("extension") or []:
        if ext.get("url") == url:
            return next((v for k, v in ext.items() if k.startswith("value")), None)
    return None


def person_name(names: list[dict]) -> str | None:
    """'Family, Given' as the export writes it (``text`` when the server gives it)."""
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else None)
    if not name:
        return None
    if name.get("text"):
        return name["text"]
    family, given = name.get("family") or "", " ".join(name.get("given") or [])
    return ", ".join(p for p in (family, given) if p) or None


def licence(identifiers: list[dict]) -> str | None:
    """The licence number: the identifier typed MD or LN, else the first one."""

    def typed(identifier: dict) -> bool:
        return any(c.get("code") in LICENCE_TYPES for c in (identifier.get("type") or {}).get("coding") or [])

    chosen = next((i for i in identifiers if typed(i)), identifiers[0] if identifiers else None)
    return (chosen or {}).get("value")


def concept_text(concept: dict) -> str | None:
    codings = concept.get("coding") or []
    return concept.get("text") or _first(c.get("display") for c in codings) or _first(c.get("code") for c in codings)


def _first(values: Iterable):
    return next((v for v in values if v), None)


# --- rows -> resources: seeding a server from an export (tests, benchmarks, demos) ----------


def export_resources(folder: str | os.PathLike) -> Iterator[dict]:
    """The FHIR resources an EMR would serve for the canonical CSV export in
    ``folder``: the inverse of the mapping above, resource for resource."""
    folder = Path(folder)

    def rows(table: Table) -> Iterator[dict]:
        with open(folder / f"{table.name}.csv", encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                yield {k: (v or None) for k, v in row.items()}

    for row in rows(SERVICES):
        yield {
            "resourceType": "HealthcareService",
            "id": row["service_id"],
            "name": row["name"],
            "active": row.get("emr_status") != "inactive",
            **_extensions({"created_at": ("valueDateTime", _instant(row.get("created_at")))}),
        }
    for row in rows(STAFF):
        yield from _staff_resources(row)
    schedules: set[tuple[str, str]] = set()
    for row in rows(AVAILABILITIES):
        key = (row["staff_id"], row["service_id"])
        if key not in schedules:
            schedules.add(key)
            yield {
                "resourceType": "Schedule",
                "id": _schedule_id(*key),
                "active": True,
                "actor": [{"reference": f"Practitioner/{key[0]}"}, {"reference": f"HealthcareService/{key[1]}"}],
            }
        yield {
            "resourceType": "Slot",
            "id": row["availability_id"],
            "status": "free",
            "schedule": {"reference": f"Schedule/{_schedule_id(*key)}"},
            "start": _instant(row["start"]),
            "end": _instant(row["end"]),
            **(
                {"appointmentType": {"coding": [{"system": REASON_SYSTEM, "code": row["reason"]}]}}
                if row.get("reason")
                else {}
            ),
            **_extensions(
                {
                    "published_at": ("valueDateTime", _instant(row.get("published_at"))),
                    **{k: ("valueCode", row.get(k)) for k in ("clientele", "mode", "referral_source")},
                    "location": ("valueString", row.get("location")),
                }
            ),
        }
    for row in rows(APPOINTMENTS):
        actors = [f"HealthcareService/{row['service_id']}", f"Practitioner/{row['staff_id']}"]
        if row.get("patient_ref"):
            actors.append(f"Patient/{row['patient_ref']}")
        yield {
            "resourceType": "Appointment",
            "id": row["appointment_id"],
            "status": row.get("status") or "booked",
            "start": _instant(row["start"]),
            **({"end": _instant(row["end"])} if row.get("end") else {}),
            "participant": [{"actor": {"reference": a}, "status": "accepted"} for a in actors],
        }


def _staff_resources(row: dict) -> Iterator[dict]:
    family, _comma, given = (row["name"] or "").partition(", ")
    # With the column, every practitioner carries the box (an empty cell is "not ticked");
    # without it, none does: the server then reads as an export without the column.
    has_box = "volunteer" in row
    volunteer = (row.get("volunteer") or "").strip().lower() in BOOLEAN_TRUE
    yield {
        "resourceType": "Practitioner",
        "id": row["staff_id"],
        "active": row["status"] == "active",
        **({"extension": [{"url": EXTENSIONS["volunteer"], "valueBoolean": volunteer}]} if has_box else {}),
        "name": [
            {"use": "official", "text": row["name"], "family": family, **({"given": given.split(" ")} if given else {})}
        ],
        **(
            {
                "identifier": [
                    {
                        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MD"}]},
                        "value": row["license"],
                    }
                ]
            }
            if row.get("license")
            else {}
        ),
    }
    codes = [{"system": ROLE_SYSTEM, "code": row["role"]}] if row.get("role") else []
    if (row.get("responsible") or "").strip().lower() in BOOLEAN_TRUE:
        codes.append({"system": ROLE_SYSTEM, "code": RESPONSIBLE})
    yield {
        "resourceType": "PractitionerRole",
        "id": f"{row['staff_id']}-role",
        "active": True,
        "practitioner": {"reference": f"Practitioner/{row['staff_id']}"},
        **({"code": [{"coding": codes}]} if codes else {}),
        **({"specialty": [{"text": row["specialty"]}]} if row.get("specialty") else {}),
    }


def _schedule_id(staff_id: str, service_id: str) -> str:
    return f"{staff_id}.{service_id}"


def _extensions(values: dict[str, tuple[str, str | None]]) -> dict:
    """``{"extension": [...]}`` for the columns given as (value[x] name, value), empty ones left out."""
    found = [{"url": EXTENSIONS[column], kind: value} for column, (kind, value) in values.items() if value]
    return {"extension": found} if found else {}


def _instant(text: str | None) -> str | None:
    """Export local time (America/Montreal, no offset) as a FHIR instant."""
    if not text:
        return None
    from zoneinfo import ZoneInfo

    from ..store import LOCAL_TIMEZONE

    stamp = dt.datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=ZoneInfo(LOCAL_TIMEZONE))
    return stamp.isoformat(timespec="seconds")


def seed_server(url: str, folder: str | os.PathLike, batch: int = 5000, token: str | None = None) -> int:
    """PUT every resource of the export in ``folder`` on the server; the count."""
    resources = iter(export_resources(folder))
    count = 0
    with FhirClient(url, token=token) as client:
        while chunk := list(itertools.islice(resources, batch)):
            client.post_batch(chunk)
            count += len(chunk)
    return count
