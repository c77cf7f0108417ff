"""One process of the shared store's concurrency test (tests/test_lake_processes.py).

    python lake_worker.py ROLE STORE CLINIC SECONDS OUT [SHARE]

``writer``: changes services of CLINIC by hand and, unless SHARE is given, undoes its last
run now and then; SHARE ``i/n`` keeps it to every n-th service from the i-th (two writers of
one clinic then never touch the same service). ``reader``: lists CLINIC's services and audits
it. ``region``: audits every clinic. Each action is one JSON line in OUT: what it did, the run
it made, and any error, so that the test can compare the store with what was applied.
"""

from __future__ import annotations

import json
import random
import sys
import time
import traceback

from orchestrator_lib import history, manual, store
from orchestrator_lib.audit import run_audit
from orchestrator_lib.catalogue import list_services
from orchestrator_lib.region import run_region

QUARTER = "2026Q3"
MIN_ACTIONS = 3


def main(role: str, target: str, clinic: str, seconds: float, out: str, share: str | None = None) -> None:
    db = store.Location(target, clinic)
    deadline = time.monotonic() + seconds
    conflicts = _count_conflicts()
    done = 0
    with open(out, "w", encoding="utf-8") as log:
        # For SECONDS, and at least MIN_ACTIONS (a machine busy with other work stays tested).
        while time.monotonic() < deadline or done < MIN_ACTIONS:
            done += 1
            entry: dict = {"role": role}
            try:
                entry.update(ACTIONS[role](db, share))
            except Exception as error:  # every failure is a finding of the test, never a crash
                entry["error"] = f"{type(error).__name__}: {error}"
                entry["trace"] = traceback.format_exc(limit=4)
            entry["conflicts"] = conflicts[0]
            log.write(json.dumps(entry) + "\n")
            log.flush()


def _count_conflicts() -> list[int]:
    """How many commits DuckLake refused to this process (each then retried by store.write)."""
    seen = [0]
    commit = store._commit

    def counting(con, db) -> None:
        try:
            commit(con, db)
        except store.WriteConflict:
            seen[0] += 1
            raise

    store._commit = counting
    return seen


MINE: list[str] = []  # this writer's runs not undone yet, the latest last


def write(db, share: str | None) -> dict:
    """A change by hand of one service, or (a writer alone on its clinic) the undo of its latest run."""
    if share is None and MINE and (len(MINE) == 1 or random.random() < 0.3):  # its first change undone at once
        undone = MINE.pop()
        return {"action": "undo", "undoes": undone, "run_id": history.undo(db, undone)}
    services = list_services(db)
    if share:
        first, every = map(int, share.split("/"))
        services = services[first::every]
    service = random.choice(services)
    if service["status"] == "active":
        run_id = manual.deactivate(db, service["service_id"])
    else:
        run_id = manual.activate(db, service["service_id"], service["types"] or ["suivi_regulier"])
    MINE.append(run_id)
    return {"action": "change", "service": service["service_id"], "run_id": run_id}


def read(db, _share) -> dict:
    own = f"{db.clinic}-"
    foreign = [s["service_id"] for s in list_services(db) if not s["service_id"].startswith(own)]
    audit = run_audit(db, QUARTER)
    foreign += [
        i["subject_id"] for i in audit.issues if i["kind"].startswith("service") and not i["subject_id"].startswith(own)
    ]
    return {"action": "read", "owed": audit.owed, **({"error": f"foreign rows: {foreign[:5]}"} if foreign else {})}


def region(db, _share) -> dict:
    result = run_region(db, QUARTER)
    return {"action": "region", "clinics": sorted(result.clinics), "owed": result.owed}


ACTIONS = {"writer": write, "reader": read, "region": region}

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5], *sys.argv[6:])
