"""The store: migrations, and short-lived connections shared between processes."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from orchestrator_lib import store
from orchestrator_lib.errors import DatabaseBusyError, DatabaseMissingError, SchemaTooNewError
from orchestrator_lib.load import load_export

from conftest import query, snapshot


def test_a_database_is_created_at_latest_version_only_when_asked(missing_db):
    db = missing_db
    with pytest.raises(DatabaseMissingError, match=str(db)), store.reading(db):
        pass
    with pytest.raises(DatabaseMissingError), store.writing(db):
        pass
    assert not db.exists()
    with store.writing(db, create=True):
        pass
    with store.reading(db) as con:
        assert store.schema_version(con) == store.latest_version() >= 2
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {
        "emr_services",
        "emr_staff",
        "emr_appointments",
        "emr_availabilities",
        "services",
        "service_types",
        "emr_loads",
        "schema_migrations",
    } <= tables


def test_older_schema_upgrades_itself_and_keeps_its_data(missing_db, small_export):
    db = missing_db
    con = duckdb.connect(str(db))
    assert store.migrate(con, upto=1) == 1
    con.execute("INSERT INTO emr_services VALUES ('SRV-OLD', 'Ancien', 'active', NULL)")
    con.close()

    with store.reading(db) as con:  # a reader is enough to trigger the upgrade
        assert store.schema_version(con) == store.latest_version()
        assert con.execute("SELECT name FROM emr_services").fetchall() == [("Ancien",)]
        assert con.execute("SELECT count(*) FROM service_types").fetchone()[0] == 5
        assert con.execute("SELECT service_id FROM pending_services").fetchall() == [("SRV-OLD",)]
    load_export(small_export, db)  # and the upgraded database works as a new one


def test_migrations_are_numbered_without_gaps():
    numbers = [n for n, _ in store.migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_database_from_a_newer_version_is_refused(db):
    with store.writing(db, create=True) as con:
        con.execute("INSERT INTO schema_migrations VALUES (999, 'future', current_timestamp)")
    with pytest.raises(SchemaTooNewError, match="999"), store.reading(db):
        pass


def test_failed_write_rolls_back_everything(db):
    with store.writing(db, create=True):
        pass
    before = snapshot(db)
    with pytest.raises(RuntimeError), store.writing(db) as con:
        con.execute("INSERT INTO emr_services VALUES ('X', 'x', 'active', NULL)")
        raise RuntimeError("boom")
    assert snapshot(db) == before


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold(db, seconds: float) -> subprocess.Popen:
    """Another process holding the database read-write for ``seconds``."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.mark.slow
def test_reader_waits_for_a_writer_in_another_process(db, small_export):
    load_export(small_export, db)
    holder = _hold(db, 1.0)
    started = time.monotonic()
    with store.reading(db) as con:
        waited = time.monotonic() - started
        assert con.execute("SELECT count(*) FROM emr_services").fetchone()[0] == 4
    holder.wait()
    assert 0.5 < waited < 10


@pytest.mark.slow
def test_busy_database_names_the_holder_after_the_timeout(db, small_export, monkeypatch):
    load_export(small_export, db)
    monkeypatch.setenv("ORCHESTRATOR_LOCK_TIMEOUT", "1")
    holder = _hold(db, 5.0)
    try:
        with pytest.raises(DatabaseBusyError) as info, store.writing(db):
            pass
        assert f"PID {holder.pid}" in str(info.value)
        assert "occupée" in str(info.value)
    finally:
        holder.kill()
        holder.wait()


READERS = """
import sys, time
from orchestrator_lib import store
deadline = time.monotonic() + float(sys.argv[2])
print("reading", flush=True)
while time.monotonic() < deadline:
    with store.reading(sys.argv[1]) as con:
        con.execute("SELECT count(*) FROM emr_services").fetchone()
        time.sleep(0.15)  # a reader that takes its time: with three of them the file is never free
"""


@pytest.mark.slow
def test_a_writer_gets_in_while_readers_keep_coming(loaded_small, monkeypatch):
    """Three processes reading one after another without a gap: DuckDB alone would
    never let the writer in; the turnstile lets it pass once the readers already in leave."""
    monkeypatch.setenv("ORCHESTRATOR_LOCK_TIMEOUT", "10")
    readers = []
    for offset in (0, 0.05, 0.1):
        readers.append(
            subprocess.Popen(
                [sys.executable, "-c", READERS, str(loaded_small), "14"], stdout=subprocess.PIPE, text=True
            )
        )
        assert readers[-1].stdout.readline().strip() == "reading"
        time.sleep(offset)
    try:
        with store.writing(loaded_small) as con:  # DatabaseBusyError after 10 s without the turnstile
            con.execute("UPDATE emr_services SET name = 'écrit' WHERE service_id = 'SRV-1'")
    finally:
        for reader in readers:
            reader.wait(timeout=60)
    assert all(reader.returncode == 0 for reader in readers)
    assert query(loaded_small, "SELECT name FROM emr_services WHERE service_id = 'SRV-1'") == [("écrit",)]
