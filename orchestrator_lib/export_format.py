"""The EMR export of docs/export-format.md, as data: its tables, their columns and the rule
each column obeys. The loader turns these rules into SQL; nothing else needs
to know them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # id | text | datetime | code | boolean | patient
    required: bool = False
    codes: tuple[str, ...] = ()  # allowed values of a ``code`` column
    default: str | None = None  # value of an empty ``code`` cell
    when_absent: str | None = None  # SQL value of every row when the file has no such column


@dataclass(frozen=True)
class Table:
    name: str  # export name: services.csv, staff.xlsx, …
    db_table: str  # where the loader writes it
    columns: tuple[Column, ...]

    @property
    def id_column(self) -> str:
        return self.columns[0].name

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column_names_with_kind(self, kind: str) -> list[str]:
        return [c.name for c in self.columns if c.kind == kind]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


REASONS = ("urgent", "semi_urgent", "suivi_grossesse", "suivi_pediatrique", "suivi_regulier")
CLIENTELES = ("own", "same_site_physician", "same_site_professional", "any")
MODES = ("in_person", "home", "video", "phone")
REFERRAL_SOURCES = ("811", "911", "gap", "hospital")
ACTIVE_INACTIVE = ("active", "inactive")
ROLES = ("medecin", "ips", "infirmiere", "gestionnaire", "autre")
APPOINTMENT_STATUSES = ("booked", "fulfilled", "noshow", "cancelled")
# How a boolean column (responsible, volunteer) may be written, any case; empty is false.
BOOLEAN_TRUE = ("true", "1", "yes", "oui", "vrai", "t", "y", "o")
BOOLEAN_FALSE = ("false", "0", "no", "non", "faux", "f", "n")


def _id(name: str) -> Column:
    return Column(name, "id", required=True)


SERVICES = Table(
    "services",
    "emr_services",
    (
        _id("service_id"),
        Column("name", required=True),
        Column("emr_status", "code", codes=ACTIVE_INACTIVE, default="active"),
        Column("created_at", "datetime"),
    ),
)

STAFF = Table(
    "staff",
    "emr_staff",
    (
        _id("staff_id"),
        Column("name", required=True),
        Column("status", "code", required=True, codes=ACTIVE_INACTIVE),
        Column("license"),
        Column("role", "code", codes=ROLES),
        Column("specialty"),
        Column("responsible", "boolean"),
        Column("volunteer", "boolean", when_absent="true"),  # no column: everyone is a volunteer
    ),
)

APPOINTMENTS = Table(
    "appointments",
    "emr_appointments",
    (
        _id("appointment_id"),
        _id("service_id"),
        _id("staff_id"),
        Column("start", "datetime", required=True),
        Column("end", "datetime"),
        Column("status", "code", codes=APPOINTMENT_STATUSES, default="booked"),
        Column("patient_ref", "patient"),
    ),
)

AVAILABILITIES = Table(
    "availabilities",
    "emr_availabilities",
    (
        _id("availability_id"),
        _id("service_id"),
        _id("staff_id"),
        Column("start", "datetime", required=True),
        Column("end", "datetime", required=True),
        Column("published_at", "datetime"),
        Column("reason", "code", codes=REASONS),
        Column("clientele", "code", codes=CLIENTELES),
        Column("mode", "code", codes=MODES),
        Column("referral_source", "code", codes=REFERRAL_SOURCES),
        Column("location"),
    ),
)

TABLES: tuple[Table, ...] = (SERVICES, STAFF, APPOINTMENTS, AVAILABILITIES)
