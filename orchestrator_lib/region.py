"""The group's view: every clinic of a store audited for one quarter, and the group's total.

A clinic's figures are exactly its own audit (``audit.run_audit``); the group's coverage is
counted over owed summed over the clinics, so a big clinic weighs as much as its items, and a
group where nothing is owed has no coverage (never 100 %), as for one clinic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import store
from .audit import AuditResult, coverage, coverage_trend, period_of, quarter_status, run_audit
from .periods import Quarter, parse_as_of

MAIN_ISSUES = 3  # what a clinic's row shows; its own audit has them all


@dataclass
class RegionResult:
    quarter: Quarter
    clinics: dict[str, AuditResult]
    trends: dict[str, list[dict]] = field(default_factory=dict)  # clinic -> coverage per quarter
    threshold: float | None = None
    period: str = "ended"  # ended | in_progress | future (seen from as_of)

    @property
    def owed(self) -> int:
        return sum(r.owed for r in self.clinics.values())

    @property
    def counted(self) -> int:
        return sum(r.counted for r in self.clinics.values())

    @property
    def coverage_pct(self) -> float | None:
        return coverage(self.counted, self.owed)

    @property
    def status(self) -> str:
        """The group's worst: a clinic without data or under the threshold alarms the group."""
        statuses = {r.status for r in self.clinics.values()}
        for worst in ("no_data", "under_threshold"):
            if worst in statuses:
                return worst
        return quarter_status(self.coverage_pct, self.threshold) if self.clinics else "no_data"

    @property
    def trend(self) -> list[dict]:
        """The group's coverage per quarter, summed over the clinics (rows as ``audit``'s trend)."""
        by_quarter: dict[str, dict] = {}
        for rows in self.trends.values():
            for row in rows:
                total = by_quarter.setdefault(
                    row["quarter"],
                    {"quarter": row["quarter"], "total": 0, "owed": 0, "counted": 0, "in_progress": row["in_progress"]},
                )
                for key in ("total", "owed", "counted"):
                    total[key] += row[key]
        return [{**t, "coverage_pct": coverage(t["counted"], t["owed"])} for _, t in sorted(by_quarter.items())]

    def neediest_first(self) -> list[tuple[str, AuditResult]]:
        """The clinics without data first, then from the lowest coverage; the name breaks ties."""

        def need(item: tuple[str, AuditResult]) -> tuple:
            name, result = item
            return (result.coverage_pct is not None, result.coverage_pct or 0.0, name)

        return sorted(self.clinics.items(), key=need)

    def to_json(self) -> dict:
        """The ``orchestrator region --json`` document."""
        return {
            "quarter": str(self.quarter),
            "status": self.status,
            "period": self.period,
            "threshold": self.threshold,
            "owed": self.owed,
            "counted": self.counted,
            "coverage_pct": self.coverage_pct,
            "trend": self.trend,
            "clinics": [
                {
                    "clinic": name,
                    "status": result.status,
                    "owed": result.owed,
                    "counted": result.counted,
                    "coverage_pct": result.coverage_pct,
                    "issues": len(result.issues),
                    "main_issues": result.issues_with_actions(MAIN_ISSUES),
                    "trend": self.trends.get(name, []),
                }
                for name, result in self.neediest_first()
            ],
        }


def run_region(db=None, quarter: str | Quarter | None = None, *, as_of=None, fail_under: float | None = None):
    """Audit ``quarter`` for every clinic of the store ``db`` names, on one connection."""
    quarter = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    as_of = parse_as_of(as_of)
    results: dict[str, AuditResult] = {}
    trends: dict[str, list[dict]] = {}
    with store.reading_each(db) as (names, clinic):
        for name in names:
            con = clinic(name)
            results[name] = run_audit(None, quarter, as_of=as_of, fail_under=fail_under, con=con)
            trends[name] = coverage_trend(None, as_of, con=con)
    return RegionResult(quarter, results, trends, fail_under, period_of(quarter, as_of))
