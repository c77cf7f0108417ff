"""A load killed with SIGKILL at any point leaves the database whole: it opens
with exactly its previous content, or (once committed) exactly the new one."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import duckdb
import pytest

from orchestrator_lib.load import _fingerprint as load_fingerprint
from orchestrator_lib.load import load_export

from conftest import ORCHESTRATOR, snapshot, write_export

pytestmark = pytest.mark.slow  # real processes, servers or notebooks: left out of make test-fast

APPOINTMENTS = 300_000
# One pseudonymisation key for every database here, so that equal content
# gives equal fingerprints across databases.
KEY = {"ORCHESTRATOR_PATIENT_KEY": "crash-test-key"}


@pytest.fixture(autouse=True)
def _same_key(monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_PATIENT_KEY", KEY["ORCHESTRATOR_PATIENT_KEY"])


@pytest.fixture(scope="module")
def big_export(tmp_path_factory):
    """The small export with a few hundred thousand appointments: long enough to kill mid-way."""
    folder = write_export(tmp_path_factory.mktemp("big"))
    duckdb.execute(f"""
        COPY (SELECT 'APT-' || i AS appointment_id, 'SRV-' || (1 + i % 4) AS service_id,
                     'STF-' || (1 + i % 3) AS staff_id,
                     strftime(TIMESTAMP '2026-01-05 08:00' + to_days(i // 40) + to_minutes(15 * (i % 40)), '%Y-%m-%dT%H:%M:%S') AS start,
                     strftime(TIMESTAMP '2026-01-05 08:15' + to_days(i // 40) + to_minutes(15 * (i % 40)), '%Y-%m-%dT%H:%M:%S') AS "end",
                     'fulfilled' AS status, 'PAT' || (i % 5000) AS patient_ref
              FROM range({APPOINTMENTS}) t(i))
        TO '{folder / "appointments.csv"}' (HEADER, DELIMITER ',')""")
    return folder


@pytest.fixture(scope="module")
def after_state(big_export, tmp_path_factory):
    """What the database holds once the big load is committed."""
    db = tmp_path_factory.mktemp("after") / "clinic.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORCHESTRATOR_PATIENT_KEY", KEY["ORCHESTRATOR_PATIENT_KEY"])
        load_export(big_export, db)
    return _fingerprint(db)


def _fingerprint(db):
    """A digest of the EMR side of ``db``."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return load_fingerprint(con)
    finally:
        con.close()


def _start_load(db, folder, failpoint: str | None = None) -> subprocess.Popen:
    env = {"ORCHESTRATOR_FAILPOINT": failpoint} if failpoint else {}
    return subprocess.Popen(
        [ORCHESTRATOR, "--db", str(db), "load", str(folder), "--json"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize(
    "point", ["after_services", "after_staff", "after_appointments", "after_availabilities", "before_commit"]
)
def test_killed_before_commit_leaves_previous_content(db, small_export, big_export, point):
    load_export(small_export, db)
    before = snapshot(db)
    load = _start_load(db, big_export, point)
    assert load.wait(timeout=120) == -signal.SIGKILL
    assert snapshot(db) == before


def test_killed_after_commit_keeps_the_new_content(db, small_export, big_export, after_state):
    load_export(small_export, db)
    load = _start_load(db, big_export, "after_commit")
    assert load.wait(timeout=120) == -signal.SIGKILL
    assert _fingerprint(db) == after_state


@pytest.mark.parametrize("delay", [0.15, 0.4, 0.8, 1.5])
def test_killed_at_random_moments_is_all_or_nothing(db, small_export, big_export, after_state, delay):
    load_export(small_export, db)
    before = snapshot(db)
    load = _start_load(db, big_export)
    time.sleep(delay)
    load.send_signal(signal.SIGKILL)
    load.wait(timeout=60)
    if _fingerprint(db) == after_state:
        return  # the load had committed before the kill
    assert snapshot(db) == before
