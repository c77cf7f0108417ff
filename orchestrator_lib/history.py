"""The one place that changes imported services: every change, whether from
the wizard, by hand or an undo, is applied here in one transaction and
recorded as a run with each service's state before and after.

A change applies only if each service is still in the state it was seen in;
otherwise someone else changed it meanwhile and the whole run is refused, so
two users never overwrite each other's decisions unknowingly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from . import store
from .errors import RefusedError


@dataclass(frozen=True)
class State:
    """What the orchestrator holds for one imported service (docs/rules.md, service states)."""

    excluded: bool
    status: str
    types: tuple[str, ...]

    def __post_init__(self):
        # One order everywhere (the database sorts lists the same way), so
        # equal sets of types are equal states.
        object.__setattr__(self, "types", tuple(sorted(set(self.types))))

    @property
    def tab(self) -> str:
        return "active" if self.status == "active" else "inactive"


@dataclass(frozen=True)
class Change:
    service_id: str
    name: str
    decision: str
    before: State | None  # None: not imported before
    after: State | None  # None: removed (only an undo removes)


def current_states(con: duckdb.DuckDBPyConnection, service_ids: list[str]) -> dict[str, State]:
    rows = con.execute(
        "SELECT service_id, excluded, status, list_sort(types) FROM services WHERE list_contains($ids, service_id)",
        {"ids": service_ids},
    ).fetchall()
    return {sid: State(excluded, status, tuple(types)) for sid, excluded, status, types in rows}


def real_changes(changes: list[Change]) -> list[Change]:
    """The changes that change something (a service left as it was is not one)."""
    return [c for c in changes if c.before != c.after]


def apply_changes(
    db,
    kind: str,
    changes: list[Change],
    *,
    user: str | None = None,
    as_of: dt.datetime | None = None,
    undoes: str | None = None,
) -> str | None:
    """Write ``changes`` and record them as one run; return its id, or None
    when nothing would change: no run is recorded then, so an empty run never
    fills the history nor stands in the way of an undo."""
    changes = real_changes(changes)
    if not changes:
        return None

    def work(con) -> str:
        _check_unchanged(con, changes)
        run_id = _new_run(con, kind, user or store.current_user(), as_of, undoes)
        _write_services(con, changes)
        _write_run_changes(con, run_id, changes)
        if undoes:
            con.execute("UPDATE runs SET undone_by = ? WHERE run_id = ?", [run_id, undoes])
        store.failpoint("apply_before_commit")
        return run_id

    return store.write(db, work)


def _check_unchanged(con, changes: list[Change]) -> None:
    now = current_states(con, [c.service_id for c in changes])
    moved = [c.service_id for c in changes if now.get(c.service_id) != c.before]
    if moved:
        raise RefusedError("stale_state", n=len(moved), services=", ".join(sorted(moved)[:10]))


def _new_run(con, kind: str, user: str, as_of, undoes) -> str:
    # The next number, read in the write transaction: a shared store has no sequences, and
    # two writers of one clinic cannot both commit (store.write runs the second again).
    number = store.scalar(con, "SELECT coalesce(max(number), 0) + 1 FROM runs")
    run_id = f"run-{number:04d}"
    con.execute(
        "INSERT INTO runs (run_id, number, kind, applied_at, applied_by, as_of, undoes) "
        "VALUES (?, ?, ?, current_timestamp, ?, ?, ?)",
        [run_id, number, kind, user, as_of, undoes],
    )
    return run_id


def _write_services(con, changes: list[Change]) -> None:
    removed = [c.service_id for c in changes if c.after is None]
    if removed:
        con.execute("DELETE FROM services WHERE list_contains($ids, service_id)", {"ids": removed})
    kept = [(c, c.after) for c in changes if c.after is not None]
    if not kept:
        return
    # Two statements for all rows: thousands of decisions apply in milliseconds. An update
    # then an insert of the new ones (a shared store has no keys for ON CONFLICT); a
    # service keeps its name and time of import.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE decided AS
        SELECT unnest($ids) AS service_id, unnest($names) AS name, unnest($excluded) AS excluded,
               unnest($status) AS status, unnest($types::VARCHAR[][]) AS types""",
        {
            "ids": [c.service_id for c, _ in kept],
            "names": [c.name for c, _ in kept],
            "excluded": [after.excluded for _, after in kept],
            "status": [after.status for _, after in kept],
            "types": [list(after.types) for _, after in kept],
        },
    )
    con.execute(
        "UPDATE services SET excluded = d.excluded, status = d.status, types = d.types "
        "FROM decided d WHERE services.service_id = d.service_id"
    )
    con.execute(
        "INSERT INTO services (service_id, name, excluded, status, types, imported_at) "
        "SELECT d.*, current_timestamp FROM decided d ANTI JOIN services s USING (service_id)"
    )
    con.execute("DROP TABLE decided")


def _write_run_changes(con, run_id: str, changes: list[Change]) -> None:
    def side(state: State | None, field: str):
        return None if state is None else (list(state.types) if field == "types" else getattr(state, field))

    con.execute(
        """
        INSERT INTO run_changes
        SELECT $run_id, * FROM (SELECT unnest($ids), unnest($names), unnest($decisions),
               unnest($before_exists), unnest($before_excluded), unnest($before_status),
               unnest($before_types::VARCHAR[][]), unnest($after_exists), unnest($after_excluded),
               unnest($after_status), unnest($after_types::VARCHAR[][]))""",
        {
            "run_id": run_id,
            "ids": [c.service_id for c in changes],
            "names": [c.name for c in changes],
            "decisions": [c.decision for c in changes],
            "before_exists": [c.before is not None for c in changes],
            "before_excluded": [side(c.before, "excluded") for c in changes],
            "before_status": [side(c.before, "status") for c in changes],
            "before_types": [side(c.before, "types") for c in changes],
            "after_exists": [c.after is not None for c in changes],
            "after_excluded": [side(c.after, "excluded") for c in changes],
            "after_status": [side(c.after, "status") for c in changes],
            "after_types": [side(c.after, "types") for c in changes],
        },
    )


# --- reading and undoing ------------------------------------------------------------


def list_runs(db=None, *, con=None) -> list[dict]:
    """Every run, newest first, with its counts of changes by decision."""
    with store.reading_on(db, con) as con:
        cursor = con.execute("""
            SELECT r.run_id, r.kind, r.applied_at, r.applied_by, r.as_of, r.undoes, r.undone_by,
                   count(c.service_id) AS changes
            FROM runs r LEFT JOIN run_changes c USING (run_id)
            GROUP BY ALL ORDER BY any_value(r.number) DESC""")
        names = [d[0] for d in cursor.description]
        runs = [dict(zip(names, row)) for row in cursor.fetchall()]
        decisions = con.execute(
            "SELECT run_id, decision, count(*) FROM run_changes GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    by_run: dict[str, dict[str, int]] = {}
    for run_id, decision, count in decisions:
        by_run.setdefault(run_id, {})[decision] = count
    for run in runs:
        run["decisions"] = by_run.get(run["run_id"], {})
        run["applied_at"] = run["applied_at"].isoformat() if run["applied_at"] else None
        run["as_of"] = run["as_of"].isoformat() if run["as_of"] else None
    return runs


def runs_frame(db=None):
    """``list_runs`` as a pandas DataFrame, one row per run, newest first.

    Example: ``runs_frame()[["kind", "applied_at", "applied_by"]]``
    """
    import pandas as pd

    return pd.DataFrame(list_runs(db))


def run_changes(con, run_id: str) -> list[Change]:
    rows = con.execute(
        """
        SELECT service_id, name, decision, before_exists, before_excluded, before_status, before_types,
               after_exists, after_excluded, after_status, after_types
        FROM run_changes WHERE run_id = ? ORDER BY service_id""",
        [run_id],
    ).fetchall()
    return [
        Change(sid, name, decision, State(bx, bs, tuple(bt)) if be else None, State(ax, as_, tuple(at)) if ae else None)
        for sid, name, decision, be, bx, bs, bt, ae, ax, as_, at in rows
    ]


def undo(db=None, run_id: str | None = None, *, user: str | None = None) -> str | None:
    """Revert ``run_id`` (default: the latest run not undone); return the undo's run id.

    Refused when the run was already undone, is itself an undo, or when a
    later run changed one of its services (that later run depends on it).
    """
    with store.reading(db) as con:
        target = _undo_target(con, run_id)
        changes = run_changes(con, target)
        later = con.execute(
            """
            SELECT DISTINCT r.run_id FROM runs r JOIN run_changes c USING (run_id)
            WHERE r.number > (SELECT number FROM runs WHERE run_id = $run) AND r.undone_by IS NULL
              AND r.kind <> 'undo' AND list_contains($ids, c.service_id)
              -- a change that left the service as it was (recorded by earlier versions) depends on nothing
              AND (c.before_exists, c.before_excluded, c.before_status, list_sort(c.before_types))
                  IS DISTINCT FROM (c.after_exists, c.after_excluded, c.after_status, list_sort(c.after_types))
            ORDER BY 1""",
            {"run": target, "ids": [c.service_id for c in changes]},
        ).fetchall()
    if later:
        raise RefusedError("undo_depends", run_id=target, later=", ".join(r[0] for r in later))
    reverted = [Change(c.service_id, c.name, "undo", c.after, c.before) for c in changes]
    return apply_changes(db, "undo", reverted, user=user, undoes=target)


def _undo_target(con, run_id: str | None) -> str:
    if run_id is None:
        # The latest run that changed something (a sync with nothing listed records an empty run).
        row = con.execute(
            "SELECT run_id FROM runs WHERE undone_by IS NULL AND kind <> 'undo' "
            "AND run_id IN (SELECT run_id FROM run_changes) ORDER BY number DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise RefusedError("undo_nothing")
        return row[0]
    row = con.execute("SELECT kind, undone_by FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        raise RefusedError("run_unknown", run_id=run_id)
    if row[0] == "undo":
        raise RefusedError("undo_of_undo", run_id=run_id)
    if row[1]:
        raise RefusedError("undo_already", run_id=run_id, undone_by=row[1])
    return run_id
