"""Loading an EMR export (docs/export-format.md), the happy paths: every format, encoding,
delimiter, header spelling and datetime form the contract accepts is stored
the same way; ``patient_ref`` never reaches the database in clear; loads are
idempotent and never touch an orchestrator decision."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import stat
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestrator_lib.errors import InputError
from orchestrator_lib.load import load_export

from conftest import SMALL_EXPORT, query, run_cli, snapshot, write_export

EMR_TABLES = ("emr_services", "emr_staff", "emr_appointments", "emr_availabilities")
TEST_KEY = "clé de pseudonymisation des tests"
T = dt.datetime.fromisoformat


# --- helpers ------------------------------------------------------------------------


def emr_content(db: Path) -> dict[str, list[tuple]]:
    """Every stored EMR row, sorted, hashes included."""
    return {t: sorted(query(db, f"SELECT * FROM {t}"), key=repr) for t in EMR_TABLES}


def rows_of(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def to_csv(rows: list[list], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write_xlsx(path: Path, rows: list[list], *, trailing_blank: bool = True) -> Path:
    """A workbook whose first sheet holds ``rows``; a second sheet must be ignored."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Exportation"
    for row in rows:
        sheet.append(list(row))
    if trailing_blank:
        # An empty but formatted row, as Excel leaves behind after a deleted line.
        sheet.cell(row=sheet.max_row + 1, column=1).number_format = "yyyy-mm-dd"
    workbook.create_sheet("Notes").append(["ignored", "second sheet"])
    workbook.save(path)
    return path


def csv_to_parquet(text: str, path: Path) -> Path:
    """The CSV ``text`` as a Parquet file of text columns."""
    source = path.with_suffix(".src.csv")
    source.write_text(text, encoding="utf-8")
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true, header = true)) TO '{path}' (FORMAT parquet)"
    )
    source.unlink()
    return path


def convert(folder: Path, table: str, fmt: str) -> None:
    """Replace ``folder/table.csv`` by the same table in format ``fmt``."""
    csv_path = folder / f"{table}.csv"
    text = csv_path.read_text(encoding="utf-8")
    if fmt == "xlsx":
        write_xlsx(folder / f"{table}.xlsx", rows_of(text))
    elif fmt == "parquet":
        csv_to_parquet(text, folder / f"{table}.parquet")
    else:
        return
    csv_path.unlink()


@pytest.fixture
def fixed_key(monkeypatch):
    """One pseudonymisation key for every database of the test, so hashes compare."""
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", TEST_KEY)


@pytest.fixture
def reference(tmp_path, fixed_key) -> dict[str, list[tuple]]:
    """What the small export (comma, UTF-8, LF) stores."""
    db = tmp_path / "reference.duckdb"
    load_export(write_export(tmp_path / "reference"), db)
    return emr_content(db)


# --- the small export, value by value ----------------------------------------------------


def test_small_export_is_stored_as_written(db, small_export):
    result = load_export(small_export, db)

    assert (result.services, result.staff, result.appointments, result.availabilities) == (4, 3, 4, 2)
    assert result.changed is True
    assert result.pending == ["SRV-1", "SRV-2", "SRV-3"]
    assert query(db, "SELECT * FROM emr_services ORDER BY service_id") == [
        ("SRV-1", "Vaccination", "active", T("2025-01-10")),
        ("SRV-2", "Pause", "active", T("2025-01-10")),
        ("SRV-3", "Précédent rendez-vous", "active", T("2025-02-01")),
        ("SRV-4", "Ancien service", "inactive", T("2024-05-01")),
    ]
    assert query(db, "SELECT * FROM emr_staff ORDER BY staff_id") == [
        ("STF-1", "Dre Émilie Tremblay", "active", "12345", "medecin", "Médecine familiale", True, True),
        ("STF-2", "Marc Gagnon IPS", "active", None, "ips", "Soins de première ligne", False, True),
        ("STF-3", "Dr Jean Roy", "inactive", "23456", "medecin", "Médecine familiale", False, True),
    ]
    assert query(
        db,
        'SELECT appointment_id, service_id, staff_id, start, "end", status FROM emr_appointments '
        "ORDER BY appointment_id",
    ) == [
        ("APT-1", "SRV-1", "STF-1", T("2026-07-02 09:00"), T("2026-07-02 09:15"), "fulfilled"),
        ("APT-2", "SRV-1", "STF-3", T("2026-08-10 10:00"), T("2026-08-10 10:30"), "noshow"),
        ("APT-3", "SRV-9", "STF-1", T("2026-09-30 23:30"), None, "cancelled"),
        # 03:30 UTC on 1 October is still 30 September in Montréal.
        ("APT-4", "SRV-3", "STF-9", T("2026-09-30 23:30"), None, "booked"),
    ]
    assert query(db, "SELECT * FROM emr_availabilities ORDER BY availability_id") == [
        (
            "AV-1",
            "SRV-1",
            "STF-1",
            T("2026-07-02 08:00"),
            T("2026-07-02 12:00"),
            T("2026-06-20 10:00"),
            "urgent",
            "any",
            "in_person",
            "gap",
            "Clinique Saint-Laurent",
        ),
        (
            "AV-2",
            "SRV-3",
            "STF-2",
            T("2026-07-03 13:00"),
            T("2026-07-03 16:00"),
            None,
            "suivi_regulier",
            None,
            "video",
            None,
            None,
        ),
    ]


def test_stored_datetimes_are_naive_timestamps(db, small_export):
    load_export(small_export, db)
    types = dict(
        query(
            db,
            "SELECT table_name || '.' || column_name, data_type FROM duckdb_columns() "
            "WHERE table_name LIKE 'emr_%' AND column_name IN ('start', 'end', 'created_at', 'published_at')",
        )
    )
    assert set(types.values()) == {"TIMESTAMP"}
    assert len(types) == 6


def test_unknown_service_and_staff_references_load(db, small_export):
    """APT-3 names SRV-9 and APT-4 names STF-9: the audit reports them, the load keeps them."""
    availabilities = (
        SMALL_EXPORT["availabilities"] + "AV-3,SRV-404,STF-404,2026-07-04T08:00:00,2026-07-04T09:00:00,,,,,,\n"
    )
    load_export(write_export(small_export, {"availabilities": availabilities}), db)
    assert query(
        db,
        "SELECT appointment_id, service_id, staff_id FROM emr_appointments "
        "WHERE service_id NOT IN (SELECT service_id FROM emr_services) "
        "OR staff_id NOT IN (SELECT staff_id FROM emr_staff) ORDER BY 1",
    ) == [("APT-3", "SRV-9", "STF-1"), ("APT-4", "SRV-3", "STF-9")]
    assert query(db, "SELECT service_id, staff_id FROM emr_availabilities WHERE availability_id = 'AV-3'") == [
        ("SRV-404", "STF-404")
    ]


# --- CSV dialects ----------------------------------------------------------------------


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


@pytest.mark.parametrize(
    "encoding, delimiter, transform",
    [
        pytest.param("utf-8", ";", None, id="semicolon"),
        pytest.param("utf-8", "\t", None, id="tab"),
        pytest.param("utf-8-sig", ",", None, id="utf8-bom"),
        pytest.param("cp1252", ",", None, id="windows-1252"),
        pytest.param("utf-8", ",", _crlf, id="crlf"),
        pytest.param("cp1252", ";", _crlf, id="excel-fr-cp1252-semicolon-crlf"),
        pytest.param("utf-8-sig", "\t", _crlf, id="bom-tab-crlf"),
        pytest.param("utf-8", ",", lambda t: t + "\n", id="trailing-blank-line"),
        pytest.param("utf-8", ";", lambda t: _crlf(t + "\n\n"), id="trailing-blank-lines-crlf"),
        pytest.param("utf-8", ",", lambda t: t.rstrip("\n"), id="no-final-newline"),
    ],
)
def test_csv_dialects_store_the_same_content(tmp_path, reference, encoding, delimiter, transform):
    tables = {name: transform(text) if transform else text for name, text in SMALL_EXPORT.items()}
    folder = write_export(tmp_path / "variant", tables, encoding=encoding, delimiter=delimiter)
    db = tmp_path / "variant.duckdb"

    result = load_export(folder, db)

    assert (result.services, result.staff, result.appointments, result.availabilities) == (4, 3, 4, 2)
    # Same names, same codes, same datetimes and the same pseudonyms (no stray \r or BOM).
    assert emr_content(db) == reference


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_accented_names_come_back_exactly(tmp_path, db, encoding, delimiter):
    names = {
        "SRV-1": "Cœur d’enfant – suivi",
        "SRV-2": "Thérèse à l’École",
        "SRV-3": "ŒDÈME « précoce »",
        "SRV-4": "Çà et là…",
    }
    tables = {
        "services": to_csv([["service_id", "name"], *names.items()], delimiter),
        "staff": to_csv(
            [
                ["staff_id", "name", "status", "specialty"],
                ["STF-1", "Dre Chloé L’Heureux", "active", "Médecine familiale"],
            ],
            delimiter,
        ),
    }
    folder = write_export(tmp_path / "export", delimiter=delimiter, encoding=encoding)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_bytes(text.encode(encoding))
    if encoding == "cp1252":
        raw = (folder / "services.csv").read_bytes()
        assert b"\x92" in raw and b"\x9c" in raw and b"\x8c" in raw  # ’ œ Œ as Windows-1252 bytes

    load_export(folder, db)

    assert dict(query(db, "SELECT service_id, name FROM emr_services")) == names
    assert query(db, "SELECT name, specialty FROM emr_staff") == [("Dre Chloé L’Heureux", "Médecine familiale")]


def test_header_names_ignore_case_and_surrounding_spaces(tmp_path, reference):
    headers = {
        "services": 'Service_ID , NAME,  Emr_Status ,"Created_At"',
        "staff": "STAFF_ID,Name,Status, License ,ROLE,Specialty,Responsible ",
        "appointments": " Appointment_ID,SERVICE_ID,Staff_Id, Start ,END,Status,Patient_Ref",
        "availabilities": "Availability_Id,Service_Id,Staff_Id,START,End,Published_At,REASON,"
        "Clientele,Mode,Referral_Source,Location",
    }
    tables = {name: headers[name] + "\n" + text.split("\n", 1)[1] for name, text in SMALL_EXPORT.items()}
    db = tmp_path / "headers.duckdb"
    load_export(write_export(tmp_path / "headers", tables), db)
    assert emr_content(db) == reference


def test_columns_in_another_order_with_unknown_extra_columns(tmp_path, reference):
    def shuffle(text: str, order: list[str], extra: dict[str, str]) -> str:
        rows = rows_of(text)
        header = rows[0]
        out = [order + list(extra)]
        for row in rows[1:]:
            cells = dict(zip(header, row))
            out.append([cells[c] for c in order] + list(extra.values()))
        return to_csv(out)

    tables = {
        "services": shuffle(
            SMALL_EXPORT["services"],
            ["created_at", "name", "emr_status", "service_id"],
            {"couleur": "bleu", "Notes internes": "à revoir, vite"},
        ),
        "staff": shuffle(
            SMALL_EXPORT["staff"],
            ["responsible", "role", "staff_id", "status", "specialty", "name", "license"],
            {"courriel": "x@example.org"},
        ),
        "appointments": shuffle(
            SMALL_EXPORT["appointments"],
            ["patient_ref", "status", "end", "start", "staff_id", "service_id", "appointment_id"],
            {"salle": "B-12", "": "sans nom"},
        ),
        "availabilities": shuffle(
            SMALL_EXPORT["availabilities"],
            [
                "location",
                "referral_source",
                "mode",
                "clientele",
                "reason",
                "published_at",
                "end",
                "start",
                "staff_id",
                "service_id",
                "availability_id",
            ],
            {"capacité": "3"},
        ),
    }
    db = tmp_path / "shuffled.duckdb"
    load_export(write_export(tmp_path / "shuffled", tables), db)
    assert emr_content(db) == reference


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_quoted_fields_may_hold_the_delimiter_quotes_and_newlines(tmp_path, db, delimiter):
    names = {
        "SRV-1": "Vaccination, grippe",
        "SRV-2": "Suivi; adulte",
        "SRV-3": "Onglet\tinterne",
        "SRV-4": 'Dit « Doc » et "Docteur"',
        "SRV-5": "Deux\nlignes",
    }
    rows = [["service_id", "name", "emr_status"], *[[k, v, "active"] for k, v in names.items()]]
    folder = write_export(tmp_path / "export", delimiter=delimiter)
    (folder / "services.csv").write_text(to_csv(rows, delimiter), encoding="utf-8")

    result = load_export(folder, db)

    assert result.services == 5
    assert dict(query(db, "SELECT service_id, name FROM emr_services")) == names


def test_unquoted_comma_is_plain_text_in_a_semicolon_file(tmp_path, db):
    folder = write_export(tmp_path / "export", delimiter=";")
    (folder / "services.csv").write_text("service_id;name\nSRV-1;Vaccination, grippe\n", encoding="utf-8")
    load_export(folder, db)
    assert query(db, "SELECT name FROM emr_services") == [("Vaccination, grippe",)]


def test_blank_line_between_rows_is_skipped(tmp_path, db):
    text = SMALL_EXPORT["services"].replace("SRV-2", "\nSRV-2")
    load_export(write_export(tmp_path / "export", {"services": text}), db)
    assert query(db, "SELECT count(*) FROM emr_services") == [(4,)]


def test_header_only_tables_load_empty(tmp_path, db):
    tables = {name: text.split("\n", 1)[0] + "\n" for name, text in SMALL_EXPORT.items()}
    result = load_export(write_export(tmp_path / "export", tables), db)
    assert (result.services, result.staff, result.appointments, result.availabilities) == (0, 0, 0, 0)


def test_other_files_in_the_folder_are_ignored(tmp_path, db, reference):
    folder = write_export(tmp_path / "export")
    (folder / "notes.csv").write_text("n'importe quoi\n", encoding="utf-8")
    (folder / "README.txt").write_text("Exportation du DMÉ", encoding="utf-8")
    (folder / "~$services.xlsx").write_bytes(b"Excel lock file")
    (folder / "archive").mkdir()
    write_export(folder / "archive", {"services": "garbage"})
    load_export(folder, db)
    assert emr_content(db) == reference


# --- optional columns and codes -------------------------------------------------------


def test_optional_columns_may_be_absent(tmp_path, db):
    tables = {
        "services": "service_id,name\nSRV-1,Vaccination\n",
        "staff": "staff_id,name,status\nSTF-1,Dre Émilie Tremblay,active\n",
        "appointments": "appointment_id,service_id,staff_id,start\nAPT-1,SRV-1,STF-1,2026-07-02T09:00:00\n",
        "availabilities": "availability_id,service_id,staff_id,start,end\n"
        "AV-1,SRV-1,STF-1,2026-07-02T08:00:00,2026-07-02T12:00:00\n",
    }
    load_export(write_export(tmp_path / "export", tables), db)

    assert query(db, "SELECT * FROM emr_services") == [("SRV-1", "Vaccination", "active", None)]
    assert query(db, "SELECT * FROM emr_staff") == [
        ("STF-1", "Dre Émilie Tremblay", "active", None, None, None, False, True)
    ]  # no volunteer column: a volunteer
    assert query(db, "SELECT * FROM emr_appointments") == [
        ("APT-1", "SRV-1", "STF-1", T("2026-07-02 09:00"), None, "booked", None)
    ]
    assert query(db, "SELECT * FROM emr_availabilities") == [
        ("AV-1", "SRV-1", "STF-1", T("2026-07-02 08:00"), T("2026-07-02 12:00"), None, None, None, None, None, None)
    ]


def test_empty_optional_cells_take_the_defaults(tmp_path, db):
    tables = {
        "services": "service_id,name,emr_status\nSRV-1,Vaccination,\n",
        "staff": "staff_id,name,status,role,responsible\nSTF-1,Dre Tremblay,active,,\n",
        "appointments": "appointment_id,service_id,staff_id,start,end,status,patient_ref\n"
        "APT-1,SRV-1,STF-1,2026-07-02T09:00:00,,  ,   \n",
    }
    load_export(write_export(tmp_path / "export", tables), db)
    assert query(db, "SELECT emr_status FROM emr_services") == [("active",)]
    assert query(db, "SELECT role, responsible FROM emr_staff") == [(None, False)]
    assert query(db, 'SELECT "end", status, patient_hash FROM emr_appointments') == [(None, "booked", None)]


def test_codes_ignore_case_and_role_accents(tmp_path, db):
    tables = {
        "services": "service_id,name,emr_status\nSRV-1,A,Active\nSRV-2,B,INACTIVE\nSRV-3,C, active \n",
        "staff": "staff_id,name,status,role,responsible\n"
        "STF-1,A,ACTIVE,médecin,TRUE\n"
        "STF-2,B,Inactive,MÉDECIN,Oui\n"
        "STF-3,C,active,IPS,non\n"
        "STF-4,D,active,Infirmière,False\n"
        "STF-5,E,active,Gestionnaire,0\n"
        "STF-6,F,active,AUTRE,1\n"
        "STF-7,G,active,Medecin,vrai\n",
        "appointments": "appointment_id,service_id,staff_id,start,status\n"
        "APT-1,SRV-1,STF-1,2026-07-02T09:00:00,FULFILLED\n"
        "APT-2,SRV-1,STF-1,2026-07-02T10:00:00,NoShow\n"
        "APT-3,SRV-1,STF-1,2026-07-02T11:00:00,Cancelled\n"
        "APT-4,SRV-1,STF-1,2026-07-02T12:00:00,BOOKED\n",
        "availabilities": "availability_id,service_id,staff_id,start,end,reason,clientele,mode,referral_source\n"
        "AV-1,SRV-1,STF-1,2026-07-02T08:00,2026-07-02T12:00,URGENT,Any,In_Person,GAP\n"
        "AV-2,SRV-1,STF-1,2026-07-03T08:00,2026-07-03T12:00,Suivi_Grossesse,SAME_SITE_PHYSICIAN,VIDEO,811\n"
        "AV-3,SRV-1,STF-1,2026-07-04T08:00,2026-07-04T12:00,Semi_Urgent,Own,Home,Hospital\n",
    }
    load_export(write_export(tmp_path / "export", tables), db)

    assert query(db, "SELECT emr_status FROM emr_services ORDER BY 1") == [("active",), ("active",), ("inactive",)]
    assert query(db, "SELECT staff_id, status, role, responsible FROM emr_staff ORDER BY 1") == [
        ("STF-1", "active", "medecin", True),
        ("STF-2", "inactive", "medecin", True),
        ("STF-3", "active", "ips", False),
        ("STF-4", "active", "infirmiere", False),
        ("STF-5", "active", "gestionnaire", False),
        ("STF-6", "active", "autre", True),
        ("STF-7", "active", "medecin", True),
    ]
    assert query(db, "SELECT status FROM emr_appointments ORDER BY appointment_id") == [
        ("fulfilled",),
        ("noshow",),
        ("cancelled",),
        ("booked",),
    ]
    assert query(db, "SELECT reason, clientele, mode, referral_source FROM emr_availabilities ORDER BY 1 DESC") == [
        ("urgent", "any", "in_person", "gap"),
        ("suivi_grossesse", "same_site_physician", "video", "811"),
        ("semi_urgent", "own", "home", "hospital"),
    ]


# --- Excel and Parquet -----------------------------------------------------------------


def test_xlsx_with_typed_cells(tmp_path, db):
    folder = write_export(tmp_path / "export")
    for name in ("services", "staff", "appointments"):
        (folder / f"{name}.csv").unlink()
    write_xlsx(
        folder / "services.xlsx",
        [
            ["Service_ID", "Name", "EMR_Status", "Created_At"],
            [101, "Vaccination", "active", dt.datetime(2025, 1, 10, 8, 30)],
            [102.0, "Cœur d’enfant", "Inactive", dt.date(2025, 1, 11)],
            [103, "Pause", None, None],
        ],
    )
    write_xlsx(
        folder / "staff.xlsx",
        [
            ["staff_id", "name", "status", "license", "role", "specialty", "responsible"],
            [7, "Dre Émilie Tremblay", "active", 12345, "médecin", "Médecine familiale", True],
            [8, "Marc Gagnon", "active", None, "ips", None, False],
        ],
    )
    write_xlsx(
        folder / "appointments.xlsx",
        [
            ["appointment_id", "service_id", "staff_id", "start", "end", "status", "patient_ref"],
            [1, 101, 7, dt.datetime(2026, 7, 2, 9, 0), dt.datetime(2026, 7, 2, 9, 15), "FULFILLED", "RAMQ-1"],
            [2, 102, 8, dt.datetime(2026, 7, 3, 10, 0, 30), None, None, None],
            [3, 103, 7, "2026-10-01T03:30:00+00:00", None, "booked", "RAMQ-1"],
        ],
    )

    result = load_export(folder, db)

    assert (result.services, result.staff, result.appointments) == (3, 2, 3)
    assert result.pending == ["101", "103"]
    assert query(db, "SELECT * FROM emr_services ORDER BY 1") == [
        ("101", "Vaccination", "active", T("2025-01-10 08:30")),
        ("102", "Cœur d’enfant", "inactive", T("2025-01-11")),
        ("103", "Pause", "active", None),
    ]
    assert query(db, "SELECT * FROM emr_staff ORDER BY 1") == [
        ("7", "Dre Émilie Tremblay", "active", "12345", "medecin", "Médecine familiale", True, True),
        ("8", "Marc Gagnon", "active", None, "ips", None, False, True),
    ]
    rows = query(
        db,
        'SELECT appointment_id, service_id, staff_id, start, "end", status, patient_hash '
        "FROM emr_appointments ORDER BY 1",
    )
    assert [r[:6] for r in rows] == [
        ("1", "101", "7", T("2026-07-02 09:00"), T("2026-07-02 09:15"), "fulfilled"),
        ("2", "102", "8", T("2026-07-03 10:00:30"), None, "booked"),
        ("3", "103", "7", T("2026-09-30 23:30"), None, "booked"),
    ]
    assert rows[0][6] == rows[2][6] is not None and rows[1][6] is None


def test_parquet_with_typed_columns(tmp_path, db):
    folder = write_export(tmp_path / "export")
    for name in ("appointments", "availabilities"):
        (folder / f"{name}.csv").unlink()
    duckdb.execute(f"""
        COPY (SELECT * FROM (VALUES
                (1, 'SRV-1', 'STF-1', TIMESTAMP '2026-07-02 09:00:00', TIMESTAMPTZ '2026-07-02 13:15:00+00',
                 'FULFILLED', 'RAMQ-1'),
                (2, 'SRV-2', 'STF-2', TIMESTAMP '2026-07-02 10:00:00.5', TIMESTAMPTZ '2026-07-02 10:30:00-04',
                 NULL, NULL),
                (3, 'SRV-3', 'STF-1', TIMESTAMP '2026-10-01 03:30:00', TIMESTAMPTZ '2026-10-01 08:00:00+00',
                 'noshow', 'RAMQ-1'))
              AS t("Appointment_ID", service_id, staff_id, start, "end", status, patient_ref))
        TO '{folder / "appointments.parquet"}' (FORMAT parquet)""")
    duckdb.execute(f"""
        COPY (SELECT 'AV-1' AS availability_id, 'SRV-1' AS service_id, 'STF-1' AS staff_id,
                     TIMESTAMPTZ '2026-01-15 13:00:00+00' AS start, TIMESTAMPTZ '2026-01-15 17:00:00+00' AS "end",
                     DATE '2026-01-02' AS published_at, 'Urgent' AS reason, 'any' AS clientele,
                     'phone' AS mode, 811 AS referral_source, 'Clinique' AS location)
        TO '{folder / "availabilities.parquet"}' (FORMAT parquet)""")

    result = load_export(folder, db)

    assert (result.appointments, result.availabilities) == (3, 1)
    rows = query(db, 'SELECT appointment_id, start, "end", status, patient_hash FROM emr_appointments ORDER BY 1')
    assert [r[:4] for r in rows] == [
        ("1", T("2026-07-02 09:00"), T("2026-07-02 09:15"), "fulfilled"),
        ("2", T("2026-07-02 10:00:00.5"), T("2026-07-02 10:30"), "booked"),
        # A naive TIMESTAMP is local wall time; a TIMESTAMPTZ is an instant.
        ("3", T("2026-10-01 03:30"), T("2026-10-01 04:00"), "noshow"),
    ]
    assert rows[0][4] == rows[2][4] is not None and rows[1][4] is None
    assert query(db, "SELECT * FROM emr_availabilities") == [
        (
            "AV-1",
            "SRV-1",
            "STF-1",
            T("2026-01-15 08:00"),
            T("2026-01-15 12:00"),
            T("2026-01-02"),
            "urgent",
            "any",
            "phone",
            "811",
            "Clinique",
        )
    ]


@pytest.mark.parametrize(
    "formats",
    [
        pytest.param(
            {"services": "xlsx", "staff": "csv", "appointments": "parquet", "availabilities": "xlsx"},
            id="xlsx-csv-parquet-xlsx",
        ),
        pytest.param(dict.fromkeys(SMALL_EXPORT, "xlsx"), id="all-xlsx"),
        pytest.param(dict.fromkeys(SMALL_EXPORT, "parquet"), id="all-parquet"),
        pytest.param(
            {"services": "parquet", "staff": "xlsx", "appointments": "csv", "availabilities": "parquet"},
            id="parquet-xlsx-csv-parquet",
        ),
    ],
)
def test_a_folder_may_mix_formats(tmp_path, reference, formats):
    folder = write_export(tmp_path / "mixed")
    for table, fmt in formats.items():
        convert(folder, table, fmt)
    assert sorted(p.suffix for p in folder.iterdir()) == sorted(f".{f}" for f in formats.values())
    db = tmp_path / "mixed.duckdb"
    load_export(folder, db)
    assert emr_content(db) == reference


def test_upper_case_file_extension(tmp_path, reference):
    folder = write_export(tmp_path / "upper")
    (folder / "services.csv").rename(folder / "services.CSV")
    db = tmp_path / "upper.duckdb"
    load_export(folder, db)
    assert emr_content(db) == reference


def test_xlsx_blank_row_between_data_rows_is_skipped(tmp_path, db):
    folder = write_export(tmp_path / "export")
    (folder / "services.csv").unlink()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["service_id", "name"])
    sheet.append(["SRV-1", "Vaccination"])
    sheet.cell(row=4, column=1).value = "SRV-2"  # row 3 left blank
    sheet.cell(row=4, column=2).value = "Pause"
    workbook.save(folder / "services.xlsx")

    load_export(folder, db)
    assert query(db, "SELECT service_id FROM emr_services ORDER BY 1") == [("SRV-1",), ("SRV-2",)]


# --- datetimes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, stored",
    [
        ("2026-07-02T09:00:00", "2026-07-02 09:00:00"),
        ("2026-07-02 09:00:00", "2026-07-02 09:00:00"),
        ("2026-07-02T09:00", "2026-07-02 09:00:00"),
        ("2026-07-02", "2026-07-02 00:00:00"),
        ("2026-10-01T03:30:00+00:00", "2026-09-30 23:30:00"),
        ("2026-10-01T03:30:00Z", "2026-09-30 23:30:00"),
        ("2026-01-15T14:00:00Z", "2026-01-15 09:00:00"),  # winter: UTC-5
        ("2026-07-02T09:00:00-04:00", "2026-07-02 09:00:00"),
        ("2026-07-02T09:00:00-05:00", "2026-07-02 10:00:00"),
        ("2026-07-02T15:00:00+02:00", "2026-07-02 09:00:00"),
        ("2026-07-02T09:00:00-04", "2026-07-02 09:00:00"),
        ("2026-07-02T09:00:00.250", "2026-07-02 09:00:00.250"),
        ("2026-07-02T09:00:00.123456", "2026-07-02 09:00:00.123456"),
        ("2026-07-02T13:00:00.5Z", "2026-07-02 09:00:00.500"),
        ("2026-07-02T09:00:00.5-04:00", "2026-07-02 09:00:00.500"),
        ("2026-11-01T05:30:00Z", "2026-11-01 01:30:00"),  # first 01:30 (EDT)
        ("2026-11-01T06:30:00Z", "2026-11-01 01:30:00"),  # second 01:30 (EST)
        (" 2026-07-02T09:00:00 ", "2026-07-02 09:00:00"),
        ("2026-07-02T09:00-04:00", "2026-07-02 09:00:00"),
        ("2026-07-02T13:00Z", "2026-07-02 09:00:00"),
    ],
)
def test_datetime_forms(tmp_path, db, text, stored):
    appointments = f"appointment_id,service_id,staff_id,start\nAPT-1,SRV-1,STF-1,{text}\n"
    load_export(write_export(tmp_path / "export", {"appointments": appointments}), db)
    assert query(db, "SELECT start FROM emr_appointments") == [(T(stored),)]


def test_naive_time_is_stored_the_same_with_or_without_fraction(tmp_path, db):
    appointments = (
        "appointment_id,service_id,staff_id,start\n"
        "APT-1,SRV-1,STF-1,2026-03-09T02:30:00\n"
        "APT-2,SRV-1,STF-1,2026-03-09T02:30:00.000\n"
    )
    load_export(write_export(tmp_path / "export", {"appointments": appointments}), db)
    (first,), (second,) = query(db, "SELECT start FROM emr_appointments ORDER BY appointment_id")
    assert first == second


def test_offsets_apply_to_every_datetime_column(tmp_path, db):
    tables = {
        "services": "service_id,name,created_at\nSRV-1,A,2025-01-10T08:00:00Z\n",
        "availabilities": "availability_id,service_id,staff_id,start,end,published_at\n"
        "AV-1,SRV-1,STF-1,2026-07-02T12:00:00Z,2026-07-02T16:00:00+00:00,2026-06-20T14:00:00.5Z\n",
        "appointments": "appointment_id,service_id,staff_id,start,end\n"
        "APT-1,SRV-1,STF-1,2026-07-02T13:00:00Z,2026-07-02T09:15:00\n",
    }
    load_export(write_export(tmp_path / "export", tables), db)
    assert query(db, "SELECT created_at FROM emr_services") == [(T("2025-01-10 03:00"),)]
    assert query(db, 'SELECT start, "end", published_at FROM emr_availabilities') == [
        (T("2026-07-02 08:00"), T("2026-07-02 12:00"), T("2026-06-20 10:00:00.5"))
    ]
    assert query(db, 'SELECT start, "end" FROM emr_appointments') == [(T("2026-07-02 09:00"), T("2026-07-02 09:15"))]


def test_datetime_storage_does_not_depend_on_the_process_time_zone(tmp_path, reference):
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    try:
        db = tmp_path / "tokyo.duckdb"
        load_export(write_export(tmp_path / "tokyo"), db)
        assert emr_content(db) == reference
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


# --- patient_ref ------------------------------------------------------------------------

REFS = ("RAMQ-TREM52031512", "RAMQ-GAGM60010199", "RAMQ-ROYJ45120388")


def _appointments_with_refs() -> str:
    return (
        "appointment_id,service_id,staff_id,start,status,patient_ref\n"
        f"APPT-CONTROL-1,SRV-1,STF-1,2026-07-02T09:00:00,booked,{REFS[0]}\n"
        f"APPT-CONTROL-2,SRV-1,STF-1,2026-07-02T10:00:00,booked,{REFS[1]}\n"
        f"APPT-CONTROL-3,SRV-1,STF-1,2026-07-02T11:00:00,booked,{REFS[0]}\n"
        f"APPT-CONTROL-4,SRV-1,STF-1,2026-07-02T12:00:00,booked,{REFS[2]}\n"
        "APPT-CONTROL-5,SRV-1,STF-1,2026-07-02T13:00:00,booked,\n"
    )


def _hashes(db: Path) -> dict[str, str | None]:
    return dict(query(db, "SELECT appointment_id, patient_hash FROM emr_appointments"))


def test_patient_ref_never_reaches_the_database_file(tmp_path, db):
    load_export(write_export(tmp_path / "export", {"appointments": _appointments_with_refs()}), db)
    con = duckdb.connect(str(db))
    con.execute("CHECKPOINT")
    con.close()

    raw = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name) and p.is_file())
    assert b"APPT-CONTROL-4" in raw  # the search does see plain stored text
    for ref in REFS:
        assert ref.encode() not in raw
        assert ref.encode("utf-16-le") not in raw

    con = duckdb.connect(str(db), read_only=True)
    try:
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            for row in con.execute(f'SELECT * FROM "{table}"').fetchall():
                assert not any(ref in repr(row) for ref in REFS), (table, row)
    finally:
        con.close()


def test_patient_hash_is_one_pseudonym_per_ref(tmp_path, db):
    load_export(write_export(tmp_path / "export", {"appointments": _appointments_with_refs()}), db)
    hashes = _hashes(db)
    assert hashes["APPT-CONTROL-1"] == hashes["APPT-CONTROL-3"]
    assert len({hashes["APPT-CONTROL-1"], hashes["APPT-CONTROL-2"], hashes["APPT-CONTROL-4"]}) == 3
    assert hashes["APPT-CONTROL-5"] is None
    for value in hashes.values():
        assert value is None or (value not in REFS and len(value) >= 16)


def test_key_file_is_created_private_beside_the_database(db, small_export):
    load_export(small_export, db)
    key_file = db.with_name(db.name + ".key")
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key_text = key_file.read_text()
    assert key_text.strip() and key_text.strip() not in db.read_bytes().decode("latin-1")


def test_the_key_file_is_reused(tmp_path, db, small_export):
    load_export(small_export, db)
    first = _hashes(db)
    key = db.with_name(db.name + ".key").read_bytes()
    changed = write_export(tmp_path / "changed", {"services": SMALL_EXPORT["services"] + "SRV-5,Nouveau,active,\n"})
    load_export(changed, db)
    assert _hashes(db) == first
    assert db.with_name(db.name + ".key").read_bytes() == key


def test_environment_key_gives_other_pseudonyms(tmp_path, monkeypatch, small_export):
    load_export(small_export, tmp_path / "file-key.duckdb")
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", TEST_KEY)
    load_export(small_export, tmp_path / "env-key-1.duckdb")
    load_export(small_export, tmp_path / "env-key-2.duckdb")

    file_key = _hashes(tmp_path / "file-key.duckdb")
    env_key = _hashes(tmp_path / "env-key-1.duckdb")
    assert env_key == _hashes(tmp_path / "env-key-2.duckdb")  # the same key, the same pseudonyms
    for appointment in ("APT-1", "APT-2", "APT-4"):
        assert env_key[appointment] != file_key[appointment]
    assert env_key["APT-1"] == env_key["APT-4"]


@pytest.mark.parametrize("how", ["environment", "other-key-file", "key-file-deleted"])
def test_loading_with_another_key_is_refused(tmp_path, monkeypatch, db, small_export, how):
    load_export(small_export, db)
    before = snapshot(db)
    key_file = db.with_name(db.name + ".key")
    if how == "environment":
        monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", TEST_KEY)
    elif how == "other-key-file":
        key_file.write_text("ab" * 32 + "\n")
    else:
        key_file.unlink()
    newer = write_export(tmp_path / "newer", {"services": SMALL_EXPORT["services"] + "SRV-5,Nouveau,active,\n"})

    with pytest.raises(InputError) as info:
        load_export(newer, db)

    assert info.value.key == ("key_missing" if how == "key-file-deleted" else "key_mismatch")
    assert not (how == "key-file-deleted" and key_file.exists())  # no stray new key left behind
    assert str(db) in str(info.value)
    assert snapshot(db) == before


# --- idempotence and the orchestrator side -------------------------------------------------


def test_same_export_twice_changes_nothing(db, small_export):
    first = load_export(small_export, db)
    before = snapshot(db)

    second = load_export(small_export, db)

    assert snapshot(db) == before
    assert second.changed is False
    assert second.to_json() == first.to_json()


@pytest.mark.parametrize("variant", ["copied-folder", "semicolon-cp1252", "xlsx"])
def test_same_content_in_another_form_changes_nothing(tmp_path, db, small_export, variant):
    load_export(small_export, db)
    before = snapshot(db)
    if variant == "copied-folder":
        folder = Path(shutil.copytree(small_export, tmp_path / "copy"))
    elif variant == "semicolon-cp1252":
        folder = write_export(tmp_path / "fr", encoding="cp1252", delimiter=";")
    else:
        folder = write_export(tmp_path / "xlsx")
        for table in SMALL_EXPORT:
            convert(folder, table, "xlsx")

    assert load_export(folder, db).changed is False
    assert snapshot(db) == before


def test_newer_export_replaces_the_emr_side_and_keeps_decisions(tmp_path, db, small_export):
    load_export(small_export, db)
    con = duckdb.connect(str(db))
    con.execute(
        "INSERT INTO services (service_id, name, status, types) VALUES ('SRV-1', 'Vaccination', 'active', ['urgent'])"
    )
    con.close()
    before = snapshot(db)

    newer = write_export(
        tmp_path / "newer",
        {
            "services": "service_id,name,emr_status\n"
            "SRV-1,Vaccination (grippe),active\n"
            "SRV-3,Précédent rendez-vous,inactive\n"
            "SRV-5,Nouveau service,active\n",
            "appointments": "appointment_id,service_id,staff_id,start,status\n"
            "APT-1,SRV-1,STF-1,2026-07-02T09:00:00,fulfilled\n"
            "APT-9,SRV-5,STF-2,2026-07-09T09:00:00,booked\n",
        },
    )
    result = load_export(newer, db)
    after = snapshot(db)

    assert result.changed is True
    assert result.pending == ["SRV-5"]  # SRV-1 is imported, SRV-3 is inactive in the EMR
    assert query(db, "SELECT service_id, name, emr_status FROM emr_services ORDER BY 1") == [
        ("SRV-1", "Vaccination (grippe)", "active"),
        ("SRV-3", "Précédent rendez-vous", "inactive"),
        ("SRV-5", "Nouveau service", "active"),
    ]
    assert query(db, "SELECT appointment_id FROM emr_appointments ORDER BY 1") == [("APT-1",), ("APT-9",)]
    assert query(db, "SELECT count(*) FROM emr_loads") == [(2,)]
    # Every orchestrator table, the decision row included, is byte-for-byte the same.
    for table in set(before) - set(EMR_TABLES) - {"emr_loads"}:
        assert after[table] == before[table], table
    assert query(db, "SELECT service_id, name, excluded, status, types FROM services") == [
        ("SRV-1", "Vaccination", False, "active", ["urgent"])
    ]


def test_reloading_the_first_export_after_a_newer_one_restores_it(tmp_path, db, small_export):
    load_export(small_export, db)
    first = emr_content(db)
    load_export(write_export(tmp_path / "newer", {"staff": "staff_id,name,status\nSTF-1,Dre Tremblay,active\n"}), db)
    assert emr_content(db) != first
    assert load_export(small_export, db).changed is True
    assert emr_content(db) == first


def test_cli_load_prints_one_json_document(db, small_export):
    first = run_cli("--db", str(db), "load", str(small_export), "--json")
    second = run_cli("--db", str(db), "load", str(small_export), "--json")

    expected = {
        "services": 4,
        "staff": 3,
        "appointments": 4,
        "availabilities": 2,
        "pending": ["SRV-1", "SRV-2", "SRV-3"],
    }
    for result in (first, second):
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == expected


# --- volume -------------------------------------------------------------------------------


def test_two_hundred_thousand_appointments(tmp_path, db):
    folder = write_export(tmp_path / "big")
    duckdb.execute(f"""
        COPY (SELECT 'APT-' || i AS appointment_id, 'SRV-' || (1 + i % 4) AS service_id,
                     'STF-' || (1 + i % 3) AS staff_id,
                     strftime(TIMESTAMP '2026-01-05 08:00' + to_days(i // 40) + to_minutes(15 * (i % 40)), '%Y-%m-%dT%H:%M:%S') AS start,
                     strftime(TIMESTAMP '2026-01-05 08:15' + to_days(i // 40) + to_minutes(15 * (i % 40)), '%Y-%m-%dT%H:%M:%S') AS "end",
                     ['booked', 'fulfilled', 'noshow', 'cancelled'][1 + i % 4] AS status,
                     'PAT' || (i % 5000) AS patient_ref
              FROM range(200000) t(i))
        TO '{folder / "appointments.csv"}' (HEADER, DELIMITER ',')""")

    result = load_export(folder, db)  # its speed is bench/load.py's business

    assert result.appointments == 200_000
    assert query(
        db,
        "SELECT count(*), count(DISTINCT appointment_id), count(DISTINCT patient_hash), "
        "min(start), max(start) FROM emr_appointments",
    ) == [
        (
            200_000,
            200_000,
            5000,
            T("2026-01-05 08:00"),
            T("2026-01-05 08:00") + dt.timedelta(days=199_999 // 40, minutes=15 * (199_999 % 40)),
        )
    ]
    assert query(db, "SELECT status, count(*) FROM emr_appointments GROUP BY 1 ORDER BY 1") == [
        ("booked", 50_000),
        ("cancelled", 50_000),
        ("fulfilled", 50_000),
        ("noshow", 50_000),
    ]
