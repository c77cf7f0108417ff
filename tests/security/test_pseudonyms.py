"""Patient pseudonyms that cannot fail open: HMAC-SHA256 with a 256-bit key
made atomically, checked on every read, never a clear reference left on disk."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from orchestrator_lib import scratch, store
from orchestrator_lib.load import load_export, pseudonym

from conftest import query, run_cli, snapshot, write_export

REFERENCE = "TREM52031512"  # APT-1's patient in the small export


def stored_pseudonym(db: Path) -> str:
    return query(db, "SELECT patient_hash FROM emr_appointments WHERE appointment_id = 'APT-1'")[0][0]


def test_the_pseudonym_is_hmac_sha256_of_the_reference_with_the_key_file(small_export, db):
    load_export(small_export, db)
    key = bytes.fromhex(store.key_file(db).read_text().strip())
    assert len(key) == 32
    expected = hmac.new(key, REFERENCE.encode(), hashlib.sha256).hexdigest()[:32]
    assert stored_pseudonym(db) == expected == pseudonym(key, REFERENCE)
    assert stored_pseudonym(db) != hashlib.sha256(REFERENCE.encode()).hexdigest()[:32]
    assert REFERENCE not in db.read_bytes().decode("latin-1")


def test_database_and_key_are_readable_by_their_owner_only(small_export, db):
    load_export(small_export, db)
    for path in (db, store.key_file(db)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.parametrize("content", [b"", b"00\n", b"zz" * 32, b"ab" * 31 + b"\n", b"ab" * 33])
def test_a_key_file_that_is_not_64_hex_digits_is_refused_and_nothing_changes(small_export, db, content):
    load_export(small_export, db)
    store.key_file(db).write_bytes(content)
    before = snapshot(db)
    result = run_cli("--db", str(db), "load", str(small_export))
    assert result.returncode == 2 and str(store.key_file(db)) in result.stderr and "64" in result.stderr
    assert snapshot(db) == before


def test_a_new_database_with_an_empty_key_file_is_refused_too(small_export, db):
    store.key_file(db).write_bytes(b"")
    result = run_cli("--db", str(db), "load", str(small_export))
    assert result.returncode == 2 and "64" in result.stderr


def test_a_kill_between_creating_and_writing_the_key_leaves_no_key_and_the_next_load_is_keyed(small_export, db):
    result = run_cli("--db", str(db), "load", str(small_export), env={"ORCHESTRATOR_FAILPOINT": "key_written"})
    assert result.returncode == -9
    assert not store.key_file(db).exists()  # never an empty or half-written key in place
    leftovers = list(db.parent.glob(f".{store.key_file(db).name}.*.tmp"))
    assert leftovers  # the private temporary file of the killed process (0600), never read as a key
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in leftovers)
    run_cli("--db", str(db), "load", str(small_export), check=True)
    key = store.read_key_file(store.key_file(db))
    assert stored_pseudonym(db) == pseudonym(key, REFERENCE)


def test_a_passphrase_is_stretched_by_scrypt_and_nothing_stored_tests_a_guess_faster(small_export, db, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", "clinique2026")
    load_export(small_export, db)
    assert not store.key_file(db).exists()
    settings = dict(query(db, "SELECT key, value FROM settings"))
    salt = store.PASSPHRASE_SALT
    fast = hashlib.sha256(b"clinique2026").digest()  # how the key was derived before
    assert hmac.new(fast, store.KEY_CHECK, hashlib.sha256).hexdigest() != settings["patient_key_check"]
    assert hashlib.sha256(b"orchestrator-key-fingerprint:" + fast).hexdigest()[:16] not in settings.values()
    slow = hashlib.scrypt(b"clinique2026", salt=salt, **store.SCRYPT)
    assert hmac.new(slow, store.KEY_CHECK, hashlib.sha256).hexdigest() == settings["patient_key_check"]
    assert stored_pseudonym(db) == pseudonym(slow, REFERENCE)
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", "clinique2027")
    before = snapshot(db)
    with pytest.raises(Exception, match="ne correspond pas"):
        load_export(small_export, db)
    assert snapshot(db) == before


def test_a_64_hex_digit_key_in_the_environment_is_used_as_it_is(small_export, db, monkeypatch):
    key = os.urandom(32)
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", key.hex())
    load_export(small_export, db)
    assert stored_pseudonym(db) == pseudonym(key, REFERENCE)


def test_migrating_an_old_database_erases_its_old_pseudonyms_and_guessable_fingerprint(small_export, missing_db):
    db = missing_db
    con = duckdb.connect(str(db))
    store.migrate(con, upto=6)
    con.execute(
        "INSERT INTO emr_appointments VALUES ('APT-1', 'SRV-1', 'STF-1', '2026-07-02 09:00', NULL, 'booked', ?)",
        [hashlib.sha256(REFERENCE.encode()).hexdigest()[:32]],
    )  # what an empty key file used to give
    con.execute("INSERT INTO settings VALUES ('patient_key_fingerprint', 'abcdef0123456789')")
    con.close()
    with store.reading(db):
        pass  # a reader migrates
    assert query(db, "SELECT patient_hash FROM emr_appointments") == [(None,)]
    assert query(db, "SELECT count(*) FROM settings WHERE key = 'patient_key_fingerprint'") == [(0,)]
    load_export(small_export, db)
    assert stored_pseudonym(db) == pseudonym(store.read_key_file(store.key_file(db)), REFERENCE)


# --- never a clear reference left on disk ---------------------------------------------------------------


def test_scratch_folders_are_private_and_removed(tmp_path):
    with scratch.folder() as work:
        assert stat.S_IMODE(work.stat().st_mode) == 0o700
        handle, path = scratch.new_file(work, "appointments-", ".csv")
        os.close(handle)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not work.exists()


def test_a_killed_load_leaves_its_scratch_folder_and_the_next_load_removes_it(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    leftover = Path(tempfile.gettempdir()) / f"{scratch.PREFIX}{dead}-abc"
    leftover.mkdir()
    (leftover / "appointments.csv").write_text("appointment_id,patient_ref\nAPT-1,TREM52031512\n")
    with scratch.folder():
        pass
    assert not leftover.exists()


@pytest.mark.parametrize("kind", ["xlsx", "cp1252"])
def test_excel_and_windows_1252_loads_leave_no_copy_behind(tmp_path, db, kind, monkeypatch):
    # A temporary folder of this test's own: the other test processes write in the shared one.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    folder = write_export(tmp_path / "export", encoding="cp1252" if kind == "cp1252" else "utf-8")
    if kind == "xlsx":
        import csv

        from openpyxl import Workbook

        workbook = Workbook()
        for row in csv.reader((folder / "appointments.csv").read_text().splitlines()):
            workbook.active.append(row)
        workbook.save(folder / "appointments.xlsx")
        (folder / "appointments.csv").unlink()
    before = set(Path(tempfile.gettempdir()).iterdir())
    load_export(folder, db)
    assert set(Path(tempfile.gettempdir()).iterdir()) <= before
    assert stored_pseudonym(db) == pseudonym(store.read_key_file(store.key_file(db)), REFERENCE)
