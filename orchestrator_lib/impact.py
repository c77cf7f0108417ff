"""What-if: what a set of service changes does to the remuneration count of
the current and the previous quarter, before anything is applied. It judges
each item with the same SQL rule as the audit (``reason_not_counted``)."""

from __future__ import annotations

import datetime as dt

from . import store
from .history import Change, State
from .periods import Quarter
from .queries import sql


def _flags(state: State | None, prefix: str) -> dict:
    return {f"{prefix}_imported": state is not None,
            f"{prefix}_excluded": bool(state and state.excluded),
            f"{prefix}_active": bool(state and state.status == "active")}


def what_if(db, changes: list[Change], as_of: dt.datetime) -> dict:
    """Net change in counted appointments and availabilities, per service and
    in total, for the quarter of ``as_of`` and the one before."""
    current = Quarter.of(as_of)
    quarters = {"current": str(current), "previous": str(current.previous())}
    rows = []
    if changes:
        structs = [{"service_id": c.service_id, **_flags(c.before, "before"), **_flags(c.after, "after")}
                   for c in changes]
        with store.reading(db) as con:
            rows = con.execute(sql("what_if"), {
                "changes": structs, "previous_start": current.previous().start,
                "current_start": current.start, "current_end": current.end}).fetchall()
    names = {c.service_id: c.name for c in changes}
    decisions = {c.service_id: c.decision for c in changes}
    per_service = [{"service_id": sid, "name": names[sid], "decision": decisions[sid], "quarter": quarters[q],
                    "appointments": appointments, "availabilities": availabilities}
                   for sid, q, appointments, availabilities in rows]
    totals = {label: {"appointments": sum(r["appointments"] for r in per_service if r["quarter"] == quarter),
                      "availabilities": sum(r["availabilities"] for r in per_service if r["quarter"] == quarter)}
              for label, quarter in quarters.items()}
    return {"quarters": quarters, "totals": totals, "services": per_service}
