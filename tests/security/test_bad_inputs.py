"""Bad input exits 2 with a message naming the file (and line) or the value, and
changes nothing; hostile EMR names never break a report nor reach a terminal raw."""

from __future__ import annotations

import os
import subprocess
import zipfile

import pytest

from orchestrator_lib.load import load_export

from conftest import ORCHESTRATOR, SMALL_EXPORT, report_files, run_cli, snapshot, write_export


@pytest.fixture
def loaded(loaded_small):
    return loaded_small


def refused(db, *args, mention: str):
    before = snapshot(db)
    result = run_cli("--db", str(db), *args)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert mention in result.stderr and "Traceback" not in result.stderr and "inattendue" not in result.stderr
    assert snapshot(db) == before
    return result


def test_cr_only_line_endings(loaded, tmp_path):
    folder = write_export(tmp_path / "export", {"services": SMALL_EXPORT["services"].replace("\n", "\r")})
    refused(loaded, "load", str(folder), mention="services.csv")


def test_a_header_cell_over_128_kib(loaded, tmp_path):
    head, rest = SMALL_EXPORT["staff"].split("\n", 1)
    folder = write_export(tmp_path / "export", {"staff": head + "," + "x" * 200_000 + "\n" + rest})
    refused(loaded, "load", str(folder), mention="staff.csv, ligne 1")


def test_random_bytes(loaded, tmp_path):
    folder = write_export(tmp_path / "export")
    (folder / "staff.csv").write_bytes(os.urandom(50_000))
    refused(loaded, "load", str(folder), mention="staff.csv")


SERVICE_LINE = "SRV-2,Pause,active,2025-01-10"
ENCODING_ERRORS = {  # the services file's bytes -> what the message must name
    "a byte neither UTF-8 nor Windows-1252": (
        lambda text: text.encode("cp1252").replace(b"Pause", b"Pa\x81use"),
        "services.csv, ligne 3, colonne 9",
    ),
    "UTF-8 mixed with Windows-1252": (
        lambda text: text.encode("utf-8").replace(b"Pause", b"Pa\xe9use"),
        "services.csv, ligne 3, colonne 9",
    ),
    "a UTF-8 sequence cut at the end": (
        lambda text: text.encode("utf-8") + b"\xc3",
        "services.csv, ligne 6, colonne 1",
    ),
    "an unknown code in a Windows-1252 file": (
        lambda text: text.replace(SERVICE_LINE, "SRV-2,Pause,activé,2025-01-10").encode("cp1252"),
        "services.csv, ligne 3, colonne « emr_status »",
    ),
}


@pytest.mark.parametrize("case", ENCODING_ERRORS)
def test_an_encoding_error_names_its_line_and_column(loaded, tmp_path, case):
    encode, where = ENCODING_ERRORS[case]
    folder = write_export(tmp_path / "export")
    (folder / "services.csv").write_bytes(encode(SMALL_EXPORT["services"]))
    result = refused(loaded, "load", str(folder), mention=where)
    assert "ligne ?" not in result.stderr


def test_a_file_that_cannot_be_read(loaded, tmp_path):
    folder = write_export(tmp_path / "export")
    (folder / "staff.csv").unlink()
    (folder / "staff.csv").mkdir()  # unreadable even for root, unlike a chmod 000 file
    refused(loaded, "load", str(folder), mention="staff.csv")


def test_a_database_the_system_will_not_open(loaded, small_export, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    target = folder / "clinic.duckdb"
    target.write_bytes(loaded.read_bytes())
    target.with_name("clinic.duckdb.key").write_bytes(loaded.with_name(loaded.name + ".key").read_bytes())
    if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode != 0:
        pytest.fail("chattr is needed to make a file the system will not open for writing, even for root")
    try:
        result = run_cli("--db", str(target), "load", str(small_export))
        assert result.returncode == 2 and "ne peut pas être ouverte" in result.stderr, result.stderr
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=True)


def test_duplicate_keys_in_a_decisions_file_are_refused(loaded, tmp_path):
    path = tmp_path / "decisions.json"
    path.write_text('{"exclude": ["SRV-2"], "exclude": []}')
    refused(loaded, "sync", "--decisions", str(path), mention="exclude")
    path.write_text('{"types": {"SRV-1": ["urgent"], "SRV-1": ["semi_urgent"]}}')
    refused(loaded, "sync", "--decisions", str(path), mention="SRV-1")


HOSTILE_NAMES = [
    "Dr\x00 Nul",
    "Dre $\\frac{1}{$ Math",
    "$" * 40 + "x" + "$" * 40,
    "\x1b[2J\x1b[31mRouge",
    "#N/A",
    "=1+1",
]


@pytest.mark.slow
def test_hostile_names_leave_the_report_whole_and_the_terminal_clean(tmp_path, db):
    staff = "staff_id,name,status,specialty,responsible\n" + "".join(
        f'STF-{n},"{name}",active,Médecine familiale,{"true" if n == 1 else "false"}\n'
        for n, name in enumerate(HOSTILE_NAMES, start=1)
    )
    appointments = "appointment_id,service_id,staff_id,start\n" + "".join(
        f"APT-{n},SRV-1,STF-{n},2026-08-0{n}T09:00\n" for n in range(1, len(HOSTILE_NAMES) + 1)
    )
    availabilities = "availability_id,service_id,staff_id,start,end\n" + "".join(
        f"AV-{n},SRV-1,STF-{n},2026-08-0{n}T10:00,2026-08-0{n}T10:15\n" for n in range(1, len(HOSTILE_NAMES) + 1)
    )
    load_export(
        write_export(
            tmp_path / "export", {"staff": staff, "appointments": appointments, "availabilities": availabilities}
        ),
        db,
    )
    out = tmp_path / "report"
    result = run_cli("--db", str(db), "audit", "--quarter", "2026Q3", "--out", str(out), "--as-of", "2026-12-01T12:00")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == report_files()
    assert "\x1b" not in result.stdout and "\x00" not in result.stdout
    staff_list = run_cli("--db", str(db), "staff")
    assert staff_list.returncode == 0 and "\x1b" not in staff_list.stdout and "Rouge" in staff_list.stdout
    with zipfile.ZipFile(out / "audit-2026Q3.xlsx") as workbook:
        sheets = "".join(workbook.read(n).decode() for n in workbook.namelist() if n.startswith("xl/worksheets/"))
    assert 't="e"' not in sheets and "<f>" not in sheets


@pytest.mark.slow
def test_a_report_killed_half_way_leaves_no_half_written_file(tmp_path, db):
    import signal
    import time

    load_export(write_export(tmp_path / "export"), db)
    out = tmp_path / "report"
    process = subprocess.Popen(
        [ORCHESTRATOR, "--db", str(db), "audit", "--quarter", "2026Q3", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp_path.glob(".report.*/summary.json")):
        time.sleep(0.05)  # the report is being built, beside its folder
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert not out.exists() or not list(out.iterdir())  # nothing half-made where the report goes
    result = run_cli("--db", str(db), "audit", "--quarter", "2026Q3", "--out", str(out))
    assert result.returncode == 0 and sorted(p.name for p in out.iterdir()) == report_files()
