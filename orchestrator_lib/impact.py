"""What-if: what a set of service changes does to the remuneration count of
the current and the previous quarter, before anything is applied. Every item
of both quarters is judged twice by the audit's own SQL rule
(``reason_not_counted``), with the catalogue as it is and as the plan would
leave it, so that after Apply the audit gives exactly the ``_after`` figures."""

from __future__ import annotations

import datetime as dt

from . import store
from .audit import KINDS, coverage
from .history import Change, State
from .periods import Quarter
from .queries import sql


def _after(state: State | None) -> dict:
    return {
        "after_imported": state is not None,
        "after_excluded": bool(state and state.excluded),
        "after_active": bool(state and state.status == "active"),
    }


def what_if(db, changes: list[Change], as_of: dt.datetime, *, con=None) -> dict:
    """For the quarter of ``as_of`` and the one before: counted, owed and
    coverage before and after the changes (``figures``), the net change per
    service (``services``) and in total (``totals``). Reads on ``con`` if given."""
    current = Quarter.of(as_of)
    quarters = {"current": str(current), "previous": str(current.previous())}
    structs = [{"service_id": c.service_id, **_after(c.after)} for c in changes if c.before != c.after]
    with store.reading_on(db, con) as con:
        con.execute(
            sql("what_if"),
            {
                "changes": structs,
                "previous_start": current.previous().start,
                "current_start": current.start,
                "current_end": current.end,
            },
        )
        totals_rows = con.execute(sql("what_if_totals")).fetchall()
        service_rows = con.execute(sql("what_if_services")).fetchall()
    names = {c.service_id: c.name for c in changes}
    decisions = {c.service_id: c.decision for c in changes}
    per_service = [
        {
            "service_id": sid,
            "name": names[sid],
            "decision": decisions[sid],
            "quarter": quarters[q],
            "appointments": appointments,
            "availabilities": availabilities,
        }
        for sid, q, appointments, availabilities in service_rows
    ]
    totals = {
        label: {
            "appointments": sum(r["appointments"] for r in per_service if r["quarter"] == quarter),
            "availabilities": sum(r["availabilities"] for r in per_service if r["quarter"] == quarter),
        }
        for label, quarter in quarters.items()
    }
    return {"quarters": quarters, "totals": totals, "services": per_service, "figures": _figures(totals_rows, quarters)}


def _figures(rows, quarters: dict[str, str]) -> dict[str, dict]:
    """Quarter → counted and owed before and after (both kinds together and
    by kind), coverage before and after, and what the listed services will
    still leave uncounted."""
    empty = {"counted_before": 0, "owed_before": 0, "counted_after": 0, "owed_after": 0, "planned_not_counted_after": 0}
    by_kind = {(which, plural): dict(empty) for which in quarters for plural in KINDS.values()}
    for which, kind, *values in rows:
        by_kind[(which, KINDS[kind])] = dict(zip(empty, values))
    figures = {}
    for which, quarter in quarters.items():
        sides = {plural: by_kind[(which, plural)] for plural in KINDS.values()}
        both = {name: sum(side[name] for side in sides.values()) for name in empty}
        figures[quarter] = {
            **both,
            "coverage_before": coverage(both["counted_before"], both["owed_before"]),
            "coverage_after": coverage(both["counted_after"], both["owed_after"]),
            "by_kind": sides,
            "current": which == "current",
        }
    return figures


def spec_what_if(impact: dict) -> dict[str, dict]:
    """The ``what_if`` of ``orchestrator sync --json`` (the command line in the README): per quarter,
    counted and coverage before and after."""
    keys = ("counted_before", "counted_after", "coverage_before", "coverage_after")
    return {quarter: {key: figures[key] for key in keys} for quarter, figures in impact["figures"].items()}
