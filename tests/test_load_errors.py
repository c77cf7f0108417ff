"""Loading a bad EMR export (docs/export-format.md; the command line in the README): every bad input stops the load with
an ``InputError`` whose message names the file, the line and the column (or
the value), and leaves the database exactly as it was. Through the CLI: exit
code 2, the message on stderr, nothing on stdout even with ``--json``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestrator_lib.errors import InputError
from orchestrator_lib.load import load_export

from conftest import SMALL_EXPORT, run_cli, snapshot, write_export

SECRET_REF = "RAMQ-SECRET-4242"


# --- helpers ------------------------------------------------------------------------


@pytest.fixture
def before(loaded_small) -> dict:
    """The database after a good load: a bad load must leave exactly this."""
    return snapshot(loaded_small)


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def to_csv(rows: list[list], delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue()


def edited(table: str, line: int, **cells: str) -> dict[str, str]:
    """The small export's ``table`` with some cells of ``line`` (header = 1) replaced."""
    rows = rows_of(SMALL_EXPORT[table])
    for column, value in cells.items():
        rows[line - 1][rows[0].index(column)] = value
    return {table: to_csv(rows)}


def without_column(table: str, column: str) -> dict[str, str]:
    rows = rows_of(SMALL_EXPORT[table])
    position = rows[0].index(column)
    return {table: to_csv([r[:position] + r[position + 1 :] for r in rows])}


def fails(folder: Path, db: Path, before: dict) -> InputError:
    """Load ``folder`` expecting an InputError that changes nothing."""
    with pytest.raises(InputError) as info:
        load_export(folder, db)
    assert snapshot(db) == before
    return info.value


def assert_names(error: InputError, file: str, line: int, column: str | None = None, value: str | None = None) -> None:
    """The message names the file, the line and the column and/or the value."""
    message = str(error)
    assert Path(error.values["file"]).name == file
    assert file in message
    assert error.values["line"] == line
    assert f"ligne {line}" in message
    if column is not None:
        assert f"« {column} »" in message
        if "column" in error.values:
            assert error.values["column"] == column
    if value is not None:
        assert f"« {value} »" in message


# --- one bad cell -------------------------------------------------------------------------

VALUE_ERRORS = [
    # unparsable datetimes
    pytest.param(
        edited("appointments", 3, start="2026-13-01"),
        "value_datetime",
        "appointments.csv",
        3,
        "start",
        "2026-13-01",
        id="start-month-13",
    ),
    pytest.param(
        edited("appointments", 3, start="demain"),
        "value_datetime",
        "appointments.csv",
        3,
        "start",
        "demain",
        id="start-demain",
    ),
    pytest.param(
        edited("appointments", 4, start="2026-02-30T09:00:00"),
        "value_datetime",
        "appointments.csv",
        4,
        "start",
        "2026-02-30T09:00:00",
        id="start-30-february",
    ),
    pytest.param(
        edited("appointments", 2, end="2026-07-02T25:00"),
        "value_datetime",
        "appointments.csv",
        2,
        "end",
        "2026-07-02T25:00",
        id="end-hour-25",
    ),
    pytest.param(
        edited("availabilities", 2, published_at="hier"),
        "value_datetime",
        "availabilities.csv",
        2,
        "published_at",
        "hier",
        id="published_at-hier",
    ),
    pytest.param(
        edited("availabilities", 3, start="03/07/2026 13:00"),
        "value_datetime",
        "availabilities.csv",
        3,
        "start",
        "03/07/2026 13:00",
        id="availability-start-dd-mm-yyyy",
    ),
    pytest.param(
        edited("services", 5, created_at="01/05/2024"),
        "value_datetime",
        "services.csv",
        5,
        "created_at",
        "01/05/2024",
        id="created_at-dd-mm-yyyy",
    ),
    # required values left empty
    pytest.param(
        edited("appointments", 3, start=""), "value_missing", "appointments.csv", 3, "start", None, id="start-empty"
    ),
    pytest.param(
        edited("appointments", 3, start="   "), "value_missing", "appointments.csv", 3, "start", None, id="start-blank"
    ),
    pytest.param(
        edited("availabilities", 3, end=""),
        "value_missing",
        "availabilities.csv",
        3,
        "end",
        None,
        id="availability-end-empty",
    ),
    pytest.param(
        edited("services", 3, name=""), "value_missing", "services.csv", 3, "name", None, id="service-name-empty"
    ),
    pytest.param(
        edited("staff", 3, staff_id=""), "value_missing", "staff.csv", 3, "staff_id", None, id="staff_id-empty"
    ),
    pytest.param(
        edited("staff", 4, status=""), "value_missing", "staff.csv", 4, "status", None, id="staff-status-empty"
    ),
    pytest.param(
        edited("appointments", 4, service_id=""),
        "value_missing",
        "appointments.csv",
        4,
        "service_id",
        None,
        id="appointment-service_id-empty",
    ),
    # unknown codes, one per code column
    pytest.param(
        edited("services", 5, emr_status="archived"),
        "value_code",
        "services.csv",
        5,
        "emr_status",
        "archived",
        id="emr_status",
    ),
    pytest.param(
        edited("staff", 4, status="retired"), "value_code", "staff.csv", 4, "status", "retired", id="staff-status"
    ),
    pytest.param(edited("staff", 3, role="nurse"), "value_code", "staff.csv", 3, "role", "nurse", id="role"),
    pytest.param(
        edited("appointments", 2, status="done"),
        "value_code",
        "appointments.csv",
        2,
        "status",
        "done",
        id="appointment-status",
    ),
    pytest.param(
        edited("availabilities", 2, reason="urgence"),
        "value_code",
        "availabilities.csv",
        2,
        "reason",
        "urgence",
        id="reason",
    ),
    pytest.param(
        edited("availabilities", 2, clientele="tous"),
        "value_code",
        "availabilities.csv",
        2,
        "clientele",
        "tous",
        id="clientele",
    ),
    pytest.param(
        edited("availabilities", 3, mode="présentiel"),
        "value_code",
        "availabilities.csv",
        3,
        "mode",
        "présentiel",
        id="mode",
    ),
    pytest.param(
        edited("availabilities", 2, referral_source="112"),
        "value_code",
        "availabilities.csv",
        2,
        "referral_source",
        "112",
        id="referral_source",
    ),
    # booleans
    pytest.param(
        edited("staff", 3, responsible="peut-être"),
        "value_boolean",
        "staff.csv",
        3,
        "responsible",
        "peut-être",
        id="responsible",
    ),
    pytest.param(
        edited("staff", 2, responsible="2"), "value_boolean", "staff.csv", 2, "responsible", "2", id="responsible-2"
    ),
]


@pytest.mark.parametrize("tables, key, file, line, column, value", VALUE_ERRORS)
def test_bad_value(tmp_path, db, before, tables, key, file, line, column, value):
    error = fails(write_export(tmp_path / "bad", tables), db, before)
    assert error.key == key
    assert_names(error, file, line, column, value)


def test_unknown_code_message_lists_the_allowed_codes(tmp_path, db, before):
    error = fails(write_export(tmp_path / "bad", edited("availabilities", 2, mode="visio")), db, before)
    for code in ("in_person", "home", "video", "phone"):
        assert code in str(error)


@pytest.mark.parametrize(
    "tables, file, line",
    [
        pytest.param(edited("appointments", 3, end="2026-08-10T09:00:00"), "appointments.csv", 3, id="appointment"),
        pytest.param(
            edited("availabilities", 3, end="2026-07-03T12:00:00"), "availabilities.csv", 3, id="availability"
        ),
        # 12:30 UTC is 08:30 in Montréal: before the 09:00 start.
        pytest.param(
            edited("appointments", 2, end="2026-07-02T12:30:00+00:00"),
            "appointments.csv",
            2,
            id="appointment-end-with-offset",
        ),
    ],
)
def test_end_before_start(tmp_path, db, before, tables, file, line):
    error = fails(write_export(tmp_path / "bad", tables), db, before)
    assert error.key == "end_before_start"
    assert_names(error, file, line, column="end")


@pytest.mark.parametrize(
    "tables, file, line, first_line, value",
    [
        pytest.param(edited("services", 4, service_id="SRV-2"), "services.csv", 4, 3, "SRV-2", id="services"),
        pytest.param(edited("staff", 4, staff_id=" STF-1 "), "staff.csv", 4, 2, "STF-1", id="staff-with-spaces"),
        pytest.param(
            edited("appointments", 5, appointment_id="APT-1"), "appointments.csv", 5, 2, "APT-1", id="appointments"
        ),
        pytest.param(
            edited("availabilities", 3, availability_id="AV-1"), "availabilities.csv", 3, 2, "AV-1", id="availabilities"
        ),
    ],
)
def test_duplicate_id_names_both_lines(tmp_path, db, before, tables, file, line, first_line, value):
    error = fails(write_export(tmp_path / "bad", tables), db, before)
    assert error.key == "duplicate_id"
    assert_names(error, file, line, value=value)
    assert error.values["first_line"] == first_line
    assert f"ligne {first_line}" in str(error)


# --- headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, column",
    [
        ("services", "service_id"),
        ("services", "name"),
        ("staff", "status"),
        ("appointments", "start"),
        ("appointments", "staff_id"),
        ("availabilities", "end"),
    ],
)
def test_missing_required_column(tmp_path, db, before, table, column):
    error = fails(write_export(tmp_path / "bad", without_column(table, column)), db, before)
    assert error.key == "column_missing"
    assert error.values["column"] == column
    assert f"{table}.csv, ligne 1" in str(error)
    assert f"« {column} »" in str(error)


@pytest.mark.parametrize(
    "header_extra, duplicate", [(",NAME", "NAME"), (",service_id", "service_id"), (", Emr_Status ", " Emr_Status ")]
)
def test_duplicate_column(tmp_path, db, before, header_extra, duplicate):
    lines = SMALL_EXPORT["services"].splitlines()
    services = "\n".join([lines[0] + header_extra] + [line + ",x" for line in lines[1:]]) + "\n"
    error = fails(write_export(tmp_path / "bad", {"services": services}), db, before)
    assert error.key == "column_duplicate"
    assert "services.csv, ligne 1" in str(error)
    assert duplicate.strip() in str(error)


# --- files and folders --------------------------------------------------------------------


@pytest.mark.parametrize("table", list(SMALL_EXPORT))
def test_missing_table_file(tmp_path, db, before, table):
    folder = write_export(tmp_path / "bad")
    (folder / f"{table}.csv").unlink()
    error = fails(folder, db, before)
    assert error.key == "table_missing"
    assert f"« {table} »" in str(error) and str(folder) in str(error)


def test_two_files_for_one_table(tmp_path, db, before):
    folder = write_export(tmp_path / "bad")
    workbook = openpyxl.Workbook()
    for row in rows_of(SMALL_EXPORT["services"]):
        workbook.active.append(row)
    workbook.save(folder / "services.xlsx")
    error = fails(folder, db, before)
    assert error.key == "table_ambiguous"
    assert "services.csv" in str(error) and "services.xlsx" in str(error)


def test_missing_export_folder(tmp_path, db, before):
    error = fails(tmp_path / "nowhere", db, before)
    assert error.key == "folder_missing"
    assert str(tmp_path / "nowhere") in str(error)


def test_export_path_is_a_file(tmp_path, db, before):
    path = tmp_path / "export.zip"
    path.write_bytes(b"PK\x03\x04")
    error = fails(path, db, before)
    assert error.key == "folder_missing"
    assert str(path) in str(error)


@pytest.mark.parametrize("table", list(SMALL_EXPORT))
def test_empty_file(tmp_path, db, before, table):
    folder = write_export(tmp_path / "bad")
    (folder / f"{table}.csv").write_bytes(b"")
    error = fails(folder, db, before)
    assert error.key == "file_empty"
    assert f"{table}.csv" in str(error)


@pytest.mark.parametrize(
    "content",
    [b"\n", b"\r\n", b"   \n", b"\n" + SMALL_EXPORT["services"].encode()],
    ids=["lf", "crlf", "spaces", "blank-line-then-header"],
)
def test_blank_first_line(tmp_path, db, before, content):
    folder = write_export(tmp_path / "bad")
    (folder / "services.csv").write_bytes(content)
    error = fails(folder, db, before)
    assert error.key in ("file_empty", "header_not_first")
    assert "services.csv" in str(error)


def test_blank_first_line_before_header_names_line_1(tmp_path, db, before):
    folder = write_export(tmp_path / "bad")
    (folder / "services.csv").write_text("\n" + SMALL_EXPORT["services"], encoding="utf-8")
    error = fails(folder, db, before)
    assert "est vide" not in str(error)
    assert "ligne 1" in str(error)


# --- CSV structure -----------------------------------------------------------------------


def test_wrong_delimiter_on_one_line(tmp_path, db, before):
    lines = SMALL_EXPORT["services"].replace(",", ";").splitlines()
    lines[3] = lines[3].replace(";", ",")  # line 4 of the file
    error = fails(write_export(tmp_path / "bad", {"services": "\n".join(lines) + "\n"}), db, before)
    assert error.key == "field_count"
    assert_names(error, "services.csv", 4)
    assert error.message.n == 1 and error.values["expected"] == 4
    assert "1 champ au lieu de 4" in str(error)  # the singular: one field
    assert "« ; »" in str(error)


@pytest.mark.parametrize(
    "row, found",
    [
        ("SRV-2,Pause, café,active,2025-01-10", 5),
        ("SRV-2,Pause,active", 3),
    ],
)
def test_wrong_field_count(tmp_path, db, before, row, found):
    lines = SMALL_EXPORT["services"].splitlines()
    lines[2] = row
    error = fails(write_export(tmp_path / "bad", {"services": "\n".join(lines) + "\n"}), db, before)
    assert error.key == "field_count"
    assert_names(error, "services.csv", 3)
    assert f"{found} champs au lieu de 4" in str(error)


def test_unterminated_quote(tmp_path, db, before):
    services = SMALL_EXPORT["services"].replace("SRV-2,Pause,", 'SRV-2,"Pause,')
    error = fails(write_export(tmp_path / "bad", {"services": services}), db, before)
    assert error.key == "csv_unterminated_quote"
    assert_names(error, "services.csv", 3)


@pytest.mark.parametrize(
    "data, line, column, utf8_line",
    [
        pytest.param(
            b"service_id,name\nSRV-1,Th\xc3\xa9r\xc3\xa8se\nSRV-2,Pause\nSRV-3,Ren\xe9e\n",
            4,
            10,
            2,
            id="utf8-then-cp1252",
        ),
        pytest.param(
            b"service_id,name\nSRV-1,Ren\xe9e\nSRV-2,Pause\nSRV-3,Th\xc3\xa9r\xc3\xa8se\n",
            2,
            10,
            4,
            id="cp1252-then-utf8",
        ),
        pytest.param(
            b"\xef\xbb\xbfservice_id,name\r\nSRV-1,Pause\r\nSRV-2,Caf\xe9\r\n", 3, 10, 1, id="bom-then-cp1252"
        ),
    ],
)
def test_mixed_encodings(tmp_path, db, before, data, line, column, utf8_line):
    folder = write_export(tmp_path / "bad")
    (folder / "services.csv").write_bytes(data)
    error = fails(folder, db, before)
    assert error.key == "encoding_mixed"
    assert_names(error, "services.csv", line)
    assert error.values["column"] == column and f"colonne {column}" in str(error)
    assert error.values["utf8_line"] == utf8_line
    assert "0xE9" in str(error)


def test_undefined_windows_1252_byte(tmp_path, db, before):
    folder = write_export(tmp_path / "bad")
    (folder / "staff.csv").write_bytes(b"staff_id,name,status\nSTF-1,Dre \xc9milie,active\nSTF-2,Marc\x81,active\n")
    error = fails(folder, db, before)
    assert error.key == "encoding_invalid"
    assert_names(error, "staff.csv", 3)
    assert error.values["column"] == 11 and "colonne 11" in str(error)
    assert "0x81" in str(error)


# --- line numbers far from the header -------------------------------------------------------


def _hundred_appointments() -> list[list[str]]:
    rows = [["appointment_id", "service_id", "staff_id", "start", "end", "status", "patient_ref"]]
    for i in range(1, 101):  # lines 2 to 101
        rows.append(
            [
                f"APT-{i:03}",
                "SRV-1",
                "STF-1",
                f"2026-07-{1 + i % 28:02}T09:00:00",
                f"2026-07-{1 + i % 28:02}T09:30:00",
                "fulfilled",
                f"PAT-{i}",
            ]
        )
    return rows


LINE_57 = 57  # the 56th data row


PLAIN = dict(delimiter=",", newline="\n", encoding="utf-8")
BOM_SEMICOLON_CRLF = dict(delimiter=";", newline="\r\n", encoding="utf-8-sig")
CP1252_TAB_CRLF = dict(delimiter="\t", newline="\r\n", encoding="cp1252")
CHANGES = {
    "code": ({"status": "fulfiled"}, "value_code", "status"),
    "datetime": ({"start": "2026-07-32T09:00:00"}, "value_datetime", "start"),
    "missing": ({"start": ""}, "value_missing", "start"),
    "end-before-start": ({"end": "2026-06-01T09:00:00"}, "end_before_start", "end"),
    "duplicate": ({"appointment_id": "APT-019"}, "duplicate_id", "appointment_id"),
    "field-count": (None, "field_count", None),
}


@pytest.mark.parametrize(
    "dialect, case",
    [
        *[pytest.param(PLAIN, case, id=f"plain-{case}") for case in CHANGES],
        *[
            pytest.param(BOM_SEMICOLON_CRLF, case, id=f"bom-semicolon-crlf-{case}")
            for case in ("code", "duplicate", "field-count")
        ],
        *[
            pytest.param(CP1252_TAB_CRLF, case, id=f"cp1252-tab-crlf-{case}")
            for case in ("datetime", "end-before-start", "field-count")
        ],
    ],
)
def test_error_on_line_57_of_100(tmp_path, db, before, dialect, case):
    change, key, column = CHANGES[case]
    rows = _hundred_appointments()
    if change is None:
        rows[LINE_57 - 1].append("extra")
    else:
        for name, value in change.items():
            rows[LINE_57 - 1][rows[0].index(name)] = value
    rows[10][1] = "SRV-Œ’é"  # non-ASCII text, so that each encoding really differs
    folder = write_export(tmp_path / "bad")
    text = to_csv(rows, dialect["delimiter"], dialect["newline"])
    (folder / "appointments.csv").write_bytes(text.encode(dialect["encoding"]))

    error = fails(folder, db, before)

    assert error.key == key
    assert_names(error, "appointments.csv", LINE_57, column)
    if key == "duplicate_id":
        assert error.values["first_line"] == 20 and "ligne 20" in str(error)


@pytest.mark.parametrize(
    "kind",
    [
        "rule",
        "field_count",
        "unterminated",
    ],
)
def test_line_numbers_count_newlines_inside_quoted_fields(tmp_path, db, before, kind):
    lines = [
        "service_id,name,emr_status",
        'SRV-1,"Vaccination',  # line 2: a name on two lines
        'grippe",active',  # line 3
        "SRV-2,Pause,active",  # line 4
        {
            "rule": "SRV-3,Suivi,bogus",  # line 5
            "field_count": "SRV-3,Suivi",
            "unterminated": 'SRV-3,"Suivi,active',
        }[kind],
        "SRV-4,Ancien,inactive",
    ]
    error = fails(write_export(tmp_path / "bad", {"services": "\n".join(lines) + "\n"}), db, before)
    assert error.values["line"] == 5
    assert "ligne 5" in str(error)


# --- Excel and Parquet -------------------------------------------------------------------


def _staff_xlsx(path: Path, rows: list[list]) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Personnel médical"
    workbook.active.append(["staff_id", "name", "status", "role", "responsible"])
    for row in rows:
        workbook.active.append(row)
    workbook.create_sheet("Autre").append(["staff_id"])
    workbook.save(path)


@pytest.mark.parametrize(
    "rows, key, line, column, value",
    [
        pytest.param(
            [[i, f"Membre {i}", "active", "medecin", i == 1] for i in range(1, 6)]
            + [[6, "Membre 6", "active", "medecin", "peut-être"]],
            "value_boolean",
            7,
            "responsible",
            "peut-être",
            id="bad-boolean-row-7",
        ),
        pytest.param(
            [[i, f"Membre {i}", "active", "medecin", False] for i in range(1, 4)]
            + [[4, "Membre 4", "active", "chirurgien", False]],
            "value_code",
            5,
            "role",
            "chirurgien",
            id="bad-code-row-5",
        ),
        pytest.param(
            [[i, f"Membre {i}", "active", None, False] for i in range(1, 4)]
            + [[None, "Sans numéro", "active", None, False]],
            "value_missing",
            5,
            "staff_id",
            None,
            id="missing-id-row-5",
        ),
    ],
)
def test_xlsx_error_names_the_sheet_row(tmp_path, db, before, rows, key, line, column, value):
    folder = write_export(tmp_path / "bad")
    (folder / "staff.csv").unlink()
    _staff_xlsx(folder / "staff.xlsx", rows)
    error = fails(folder, db, before)
    assert error.key == key
    assert_names(error, "staff.xlsx", line, column, value)


def test_xlsx_duplicate_id_names_both_sheet_rows(tmp_path, db, before):
    folder = write_export(tmp_path / "bad")
    (folder / "staff.csv").unlink()
    ids = [10, 11, 12, 13, 11, 14]  # sheet rows 2 to 7: row 6 repeats row 3
    _staff_xlsx(folder / "staff.xlsx", [[i, f"Membre {i}", "active", None, False] for i in ids])
    error = fails(folder, db, before)
    assert error.key == "duplicate_id"
    assert_names(error, "staff.xlsx", 6, value="11")
    assert error.values["first_line"] == 3


def test_xlsx_end_before_start_with_datetime_cells(tmp_path, db, before):
    import datetime as dt

    folder = write_export(tmp_path / "bad")
    (folder / "availabilities.csv").unlink()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["availability_id", "service_id", "staff_id", "start", "end"])
    sheet.append(["AV-1", "SRV-1", "STF-1", dt.datetime(2026, 7, 2, 8), dt.datetime(2026, 7, 2, 12)])
    sheet.append(["AV-2", "SRV-1", "STF-1", dt.datetime(2026, 7, 3, 13), dt.datetime(2026, 7, 3, 12)])
    workbook.save(folder / "availabilities.xlsx")
    error = fails(folder, db, before)
    assert error.key == "end_before_start"
    assert_names(error, "availabilities.xlsx", 3, column="end")


def test_unreadable_xlsx(tmp_path, db, before):
    folder = write_export(tmp_path / "bad")
    (folder / "services.csv").unlink()
    (folder / "services.xlsx").write_bytes(b"this is not a workbook")
    error = fails(folder, db, before)
    assert error.key == "excel_unreadable"
    assert "services.xlsx" in str(error)


def _appointments_parquet(path: Path, select: str) -> None:
    duckdb.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")


@pytest.mark.parametrize(
    "select, key, line, column, value",
    [
        pytest.param(
            "SELECT i AS appointment_id, 'SRV-1' AS service_id, 'STF-1' AS staff_id, "
            "TIMESTAMP '2026-07-02 09:00' + to_minutes(i) AS start, "
            "CASE WHEN i = 5 THEN 'bogus' ELSE 'booked' END AS status FROM range(10) t(i)",
            "value_code",
            7,
            "status",
            "bogus",
            id="bad-code",
        ),
        pytest.param(
            "SELECT i AS appointment_id, 'SRV-1' AS service_id, 'STF-1' AS staff_id, "
            "CASE WHEN i = 3 THEN 'demain' ELSE '2026-07-02T09:00:00' END AS start FROM range(10) t(i)",
            "value_datetime",
            5,
            "start",
            "demain",
            id="bad-datetime-text",
        ),
        pytest.param(
            "SELECT i AS appointment_id, 'SRV-1' AS service_id, 'STF-1' AS staff_id, "
            "CASE WHEN i <> 8 THEN TIMESTAMP '2026-07-02 09:00' END AS start FROM range(10) t(i)",
            "value_missing",
            10,
            "start",
            None,
            id="null-start",
        ),
        pytest.param(
            "SELECT i AS appointment_id, 'SRV-1' AS service_id, 'STF-1' AS staff_id, "
            "TIMESTAMP '2026-07-02 09:00' AS start, "
            "CASE WHEN i = 6 THEN TIMESTAMPTZ '2026-07-02 12:30:00+00' END AS \"end\" FROM range(10) t(i)",
            "end_before_start",
            8,
            "end",
            None,
            id="end-before-start-timestamptz",
        ),
        pytest.param(
            "SELECT CASE WHEN i = 7 THEN 0 ELSE i END AS appointment_id, 'SRV-1' AS service_id, 'STF-1' AS staff_id, "
            "TIMESTAMP '2026-07-02 09:00' AS start FROM range(10) t(i)",
            "duplicate_id",
            9,
            None,
            "0",
            id="duplicate-integer-id",
        ),
    ],
)
def test_parquet_error_names_the_row(tmp_path, db, before, select, key, line, column, value):
    folder = write_export(tmp_path / "bad")
    (folder / "appointments.csv").unlink()
    _appointments_parquet(folder / "appointments.parquet", select)
    error = fails(folder, db, before)
    assert error.key == key
    assert_names(error, "appointments.parquet", line, column, value)


def test_parquet_missing_column(tmp_path, db, before):
    folder = write_export(tmp_path / "bad")
    (folder / "appointments.csv").unlink()
    _appointments_parquet(
        folder / "appointments.parquet", "SELECT 'APT-1' AS appointment_id, 'SRV-1' AS service_id, 'STF-1' AS staff_id"
    )
    error = fails(folder, db, before)
    assert error.key == "column_missing"
    assert "appointments.parquet, ligne 1" in str(error) and "« start »" in str(error)


def test_unreadable_parquet(tmp_path, db, before):
    folder = write_export(tmp_path / "bad")
    (folder / "appointments.csv").unlink()
    (folder / "appointments.parquet").write_bytes(b"PAR1 but not really")
    error = fails(folder, db, before)
    assert error.key == "parquet_unreadable"
    assert "appointments.parquet" in str(error)


# --- patient_ref never in a message --------------------------------------------------------


def _with_secret(line3: str) -> dict[str, str]:
    lines = SMALL_EXPORT["appointments"].splitlines()
    lines[2] = line3
    return {"appointments": "\n".join(lines) + "\n"}


@pytest.mark.parametrize(
    "line3",
    [
        pytest.param(f"APT-2,SRV-1,STF-3,2026-08-10T10:00:00,2026-08-10T10:30:00,absent,{SECRET_REF}", id="bad-code"),
        pytest.param(f"APT-2,SRV-1,STF-3,demain,2026-08-10T10:30:00,noshow,{SECRET_REF}", id="bad-datetime"),
        pytest.param(f"APT-2,SRV-1,STF-3,,2026-08-10T10:30:00,noshow,{SECRET_REF}", id="missing-start"),
        pytest.param(
            f"APT-2,SRV-1,STF-3,2026-08-10T10:00:00,2026-08-10T09:30:00,noshow,{SECRET_REF}", id="end-before-start"
        ),
        pytest.param(f"APT-1,SRV-1,STF-3,2026-08-10T10:00:00,2026-08-10T10:30:00,noshow,{SECRET_REF}", id="duplicate"),
        pytest.param(
            f"APT-2,SRV-1,STF-3,2026-08-10T10:00:00,2026-08-10T10:30:00,noshow,{SECRET_REF},extra", id="too-many-fields"
        ),
        pytest.param(f"APT-2,SRV-1,STF-3,2026-08-10T10:00:00,noshow,{SECRET_REF}", id="too-few-fields"),
        pytest.param(
            f'APT-2,SRV-1,STF-3,2026-08-10T10:00:00,2026-08-10T10:30:00,"noshow,{SECRET_REF}', id="unterminated-quote"
        ),
    ],
)
def test_messages_never_hold_a_patient_ref(tmp_path, db, before, line3):
    error = fails(write_export(tmp_path / "bad", _with_secret(line3)), db, before)
    assert error.values["line"] == 3
    assert SECRET_REF not in str(error)
    assert SECRET_REF not in repr(error.values)


def test_headerless_file_message_does_not_leak_the_patient_ref(tmp_path, db, before):
    rows = SMALL_EXPORT["appointments"].splitlines()[1:]
    rows[0] = rows[0].replace("TREM52031512", SECRET_REF)
    error = fails(write_export(tmp_path / "bad", {"appointments": "\n".join(rows) + "\n"}), db, before)
    assert error.key == "column_missing"
    assert SECRET_REF not in str(error)


# --- through the CLI -----------------------------------------------------------------------


def _cli_case(tmp_path: Path, case: str) -> tuple[Path, list[str]]:
    """(folder, fragments the stderr message must hold)."""
    if case == "missing-folder":
        return tmp_path / "nowhere", [str(tmp_path / "nowhere")]
    if case == "missing-column":
        return write_export(tmp_path / "bad", without_column("services", "name")), ["services.csv", "ligne 1", "name"]
    if case == "bad-code":
        return (
            write_export(tmp_path / "bad", edited("appointments", 3, status="absent")),
            ["appointments.csv", "ligne 3", "status", "absent"],
        )
    if case == "wrong-delimiter":
        lines = SMALL_EXPORT["staff"].replace(",", ";").splitlines()
        lines[2] = lines[2].replace(";", ",")
        return (
            write_export(tmp_path / "bad", {"staff": "\n".join(lines) + "\n"}),
            ["staff.csv", "ligne 3", "1 champ au lieu de 7"],
        )
    if case == "duplicate-id":
        return (
            write_export(tmp_path / "bad", edited("services", 4, service_id="SRV-1")),
            ["services.csv", "ligne 4", "ligne 2", "SRV-1"],
        )
    if case == "mixed-encoding":
        folder = write_export(tmp_path / "bad")
        (folder / "services.csv").write_bytes(b"service_id,name\nSRV-1,Caf\xc3\xa9\nSRV-2,Caf\xe9\n")
        return folder, ["services.csv", "ligne 3", "colonne 10"]
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case", ["missing-folder", "missing-column", "bad-code", "wrong-delimiter", "duplicate-id", "mixed-encoding"]
)
def test_cli_bad_input_exits_2_with_the_message_on_stderr(tmp_path, db, before, case):
    folder, fragments = _cli_case(tmp_path, case)
    result = run_cli("--db", str(db), "load", str(folder), "--json")
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(db) == before


def test_cli_message_never_holds_a_patient_ref(tmp_path, db, before):
    folder = write_export(
        tmp_path / "bad", _with_secret(f"APT-2,SRV-1,STF-3,2026-08-10T10:00:00,2026-08-10T10:30:00,absent,{SECRET_REF}")
    )
    result = run_cli("--db", str(db), "load", str(folder), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "ligne 3" in result.stderr and SECRET_REF not in result.stderr


def test_cli_key_mismatch_exits_2(tmp_path, db, before, small_export):
    result = run_cli(
        "--db", str(db), "load", str(small_export), "--json", env={"ORCHESTRATOR_PATIENT_KEY": "une autre clé"}
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "ORCHESTRATOR_PATIENT_KEY" in result.stderr
    assert snapshot(db) == before


def test_cli_message_in_english(tmp_path, db, before):
    folder = write_export(tmp_path / "bad", edited("appointments", 3, status="absent"))
    result = run_cli("--db", str(db), "load", str(folder), "--json", env={"ORCHESTRATOR_LANG": "en"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert "appointments.csv, line 3, column 'status'" in result.stderr
    assert snapshot(db) == before
