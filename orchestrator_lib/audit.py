"""The quarterly remuneration audit (SPEC §4), in SQL over the store.

For a quarter, every non-cancelled appointment and every availability is
counted or not, under the first reason of ``REASONS`` (the rule itself is the
``reason_not_counted`` SQL macro, shared with the wizard's what-if). The audit
adds what must be fixed, in French, and checks that do not change the counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import store
from .messages import msg
from .periods import Quarter, parse_as_of
from .queries import sql

REASONS = ("service_not_imported", "service_excluded", "service_inactive", "staff_missing", "staff_inactive")
KINDS = {"appointment": "appointments", "availability": "availabilities"}
# Specialties handled by the orchestrator (primary care), compared without case or accents.
PRIMARY_CARE_SPECIALTIES = ["medecine familiale", "medecine de famille", "medecine generale", "omnipratique",
                            "soins de premiere ligne"]
BREAKDOWNS = ("service", "staff", "type", "month")


def is_primary_care(specialty: str | None) -> bool:
    """Whether the orchestrator handles this specialty (no specialty: not a physician's, not flagged)."""
    from .wizard import fold

    return specialty is None or fold(specialty.strip()) in PRIMARY_CARE_SPECIALTIES


@dataclass
class AuditResult:
    quarter: Quarter
    counts: dict[str, dict]          # "appointments" / "availabilities" -> {total, counted, not_counted}
    issues: list[dict]
    breakdowns: dict[str, list[dict]] = field(default_factory=dict)
    trend: list[dict] = field(default_factory=list)

    @property
    def coverage_pct(self) -> float:
        total = sum(c["total"] for c in self.counts.values())
        counted = sum(c["counted"] for c in self.counts.values())
        return round(100.0 * counted / total, 2) if total else 100.0

    def to_json(self) -> dict:
        """The ``orchestrator audit --json`` document (SPEC §5)."""
        return {"quarter": str(self.quarter), **self.counts, "coverage_pct": self.coverage_pct,
                "issues": self.issues}


def run_audit(db=None, quarter: str | Quarter = None, *, as_of=None, details: bool = False) -> AuditResult:
    """Audit ``quarter`` (``2026Q3``); ``details`` adds breakdowns and the trend."""
    quarter = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    as_of = parse_as_of(as_of)
    bounds = {"start": quarter.start, "end": quarter.end}
    with store.reading(db) as con:
        con.execute(sql("audit_groups"), bounds)
        counts = _counts(con)
        issues = _counting_issues(con) + _checks(con, quarter, as_of)
        result = AuditResult(quarter, counts, issues)
        if details:  # the breakdowns share one table of the quarter's items, names joined
            con.execute(sql("audit_items"), bounds)
            result.breakdowns = {name: _rows(con.execute(sql("audit_breakdown"), {"dimension": name}))
                                 for name in BREAKDOWNS}
            result.trend = _trend(con)
    return result


def coverage_trend(db=None) -> list[dict]:
    """Coverage per quarter, for every quarter present in the data."""
    with store.reading(db) as con:
        return _trend(con)


def _trend(con) -> list[dict]:
    return [{"quarter": f"{y}Q{q}", "total": total, "counted": counted, "coverage_pct": pct}
            for y, q, total, counted, pct in con.execute(sql("audit_trend")).fetchall()]


def _rows(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _counts(con) -> dict[str, dict]:
    counts = {plural: {"total": 0, "counted": 0, "not_counted": dict.fromkeys(REASONS, 0)}
              for plural in KINDS.values()}
    for kind, reason, n in con.execute("SELECT kind, reason, sum(items) FROM quarter_groups GROUP BY ALL").fetchall():
        side = counts[KINDS[kind]]
        side["total"] += n
        if reason is None:
            side["counted"] += n
        else:
            side["not_counted"][reason] = n
    return counts


def _counting_issues(con) -> list[dict]:
    issues = []
    for row in _rows(con.execute(sql("audit_issues"))):
        reason = row["reason"]
        action = reason
        if reason == "service_not_imported":  # what to do depends on where the EMR stands
            action = {None: "service_not_imported_absent", "inactive": "service_not_imported_emr_inactive"}.get(
                row["emr_status"], "service_not_imported")
        issues.append({
            "kind": reason, "affects_count": True,
            "subject_id": row["subject_id"], "subject_name": row["subject_name"],
            "appointments": row["appointments"], "availabilities": row["availabilities"],
            "staff_ids": row["staff_ids"], "service_ids": row["service_ids"],
            "action": msg(f"action_{action}", id=row["subject_id"], name=row["subject_name"]),
        })
    return issues


def _checks(con, quarter: Quarter, as_of: dt.datetime) -> list[dict]:
    rows = con.execute(sql("audit_checks"), {"start": quarter.start, "end": quarter.end, "as_of": as_of,
                                             "primary_care": PRIMARY_CARE_SPECIALTIES}).fetchall()
    issues = []
    for check, subject_id, subject_name, detail, count in rows:
        issues.append({
            "kind": check, "affects_count": False, "subject_id": subject_id, "subject_name": subject_name,
            "appointments": count if check in ("excluded_with_appointments", "will_reactivate") else 0,
            "availabilities": count if check == "availability_attribute_missing" else 0,
            "detail": detail,
            "action": msg(f"check_{check}", id=subject_id, name=subject_name, count=count,
                          detail=msg(f"attribute_{detail}") if check == "availability_attribute_missing" else detail),
        })
    return issues
