"""The quarterly remuneration audit (docs/rules.md, counting), in SQL over the store.

For a quarter, every non-cancelled appointment and every availability is
counted or not, under the first reason of ``REASONS`` (the rule itself is the
``reason_not_counted`` SQL macro, shared with the wizard's what-if). Items of
excluded services are reported but not *owed*; coverage is counted / owed, and
a quarter with nothing owed has no coverage at all (never 100 %). The audit
adds what must be fixed, checks that do not change the counts, and what the
data covers (last load, last dates seen).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from . import rates as clinic_rates
from . import store
from .periods import LOCAL, Quarter, parse_as_of
from .queries import sql
from .wording import action

REASONS = (
    "service_not_imported",
    "service_excluded",
    "service_inactive",
    "staff_missing",
    "staff_inactive",
    "staff_not_volunteer",  # availabilities only
)
NOT_OWED = "service_excluded"  # the clinic chose to keep those services out of the report
KINDS = {"appointment": "appointments", "availability": "availabilities"}
STATUSES = ("ok", "under_threshold", "no_data")
BREAKDOWNS = ("service", "staff", "type", "month")
# Checks whose count is of appointments / availabilities (the others name a person or a setting).
APPOINTMENT_CHECKS = ("excluded_with_appointments", "will_reactivate")
AVAILABILITY_CHECKS = ("availability_attribute_missing", "published_before_configuration")
FUNNEL_COUNTS = ("offered", "booked", "held", "noshow", "cancelled", "pending")


def coverage(counted: int, owed: int) -> float | None:
    """Counted over owed, in percent (two decimals); None when nothing is owed."""
    return round(100.0 * counted / owed, 2) if owed else None


def quarter_status(coverage_pct: float | None, threshold: float | None) -> str:
    """``no_data`` when nothing is owed, ``under_threshold`` below ``threshold``, else ``ok``."""
    if coverage_pct is None:
        return "no_data"
    if threshold is not None and coverage_pct < threshold:
        return "under_threshold"
    return "ok"


def period_of(quarter: Quarter, as_of: dt.datetime) -> str:
    """``ended``, ``in_progress`` or ``future``, seen from ``as_of``."""
    if quarter.end <= as_of:
        return "ended"
    return "in_progress" if quarter.start <= as_of else "future"


@dataclass
class AuditResult:
    quarter: Quarter
    counts: dict[str, dict]  # "appointments" / "availabilities" -> {total, owed, counted, not_counted}
    issues: list[dict]
    extent: dict = field(default_factory=dict)  # last load, last appointment and availability
    period: str = "ended"  # ended | in_progress | future (seen from as_of)
    threshold: float | None = None  # --fail-under, when given
    breakdowns: dict[str, list[dict]] = field(default_factory=dict)
    trend: list[dict] = field(default_factory=list)
    funnel: dict = field(default_factory=dict)  # the offer and the appointments held (funnel())
    rates: dict[str, float] = field(default_factory=dict)  # the clinic's amounts; empty: no money shown
    counted_held: int = 0  # counted appointments that were held

    @property
    def not_eligible(self) -> int:
        """Counted availabilities the GAP report leaves out: published before their service's configuration."""
        return sum(i["availabilities"] for i in self.issues if i["kind"] == "published_before_configuration")

    @property
    def money(self) -> dict | None:
        """Estimates at the clinic's own amounts: what is counted and what the issues keep
        out (not counted, or not eligible); None when no amount is set."""
        if not self.rates:
            return None
        # Slots published before their service's configuration are counted by the rule but not
        # paid: they are at stake (their check), not in what is counted.
        eligible = self.counts["availabilities"]["counted"] - self.not_eligible
        counted = clinic_rates.estimate(self.rates, eligible, self.counted_held)
        at_stake = sum(i["amount_at_stake"] for i in self.issues if i.get("amount_at_stake"))
        return {
            "estimate": True,
            "currency": "CAD",
            "rates": self.rates,
            "counted": counted,
            "at_stake": round(at_stake, 2),
        }

    @property
    def owed(self) -> int:
        return sum(c["owed"] for c in self.counts.values())

    @property
    def counted(self) -> int:
        return sum(c["counted"] for c in self.counts.values())

    @property
    def excluded(self) -> int:
        return sum(c["not_counted"][NOT_OWED] for c in self.counts.values())

    @property
    def coverage_pct(self) -> float | None:
        return coverage(self.counted, self.owed)

    @property
    def status(self) -> str:
        return quarter_status(self.coverage_pct, self.threshold)

    @property
    def passed(self) -> bool:
        """What ``--fail-under`` asks: data, and coverage at or above the threshold."""
        return self.status == "ok"

    def to_json(self) -> dict:
        """The ``orchestrator audit --json`` document (the command line in the README), with what the data covers."""
        return {
            "quarter": str(self.quarter),
            "status": self.status,
            **self.counts,
            "coverage_pct": self.coverage_pct,
            "threshold": self.threshold,
            "period": self.period,
            "data": self.extent,
            "funnel": self.funnel,
            **({"money": self.money} if self.rates else {}),
            "issues": self.issues_with_actions(),
        }

    def issues_with_actions(self, limit: int | None = None) -> list[dict]:
        """The issues (the first ``limit``), each with ``action``: what to do, in the language of the moment."""
        return [{**issue, "action": action(issue)} for issue in self.issues[:limit]]

    # -- for analysts: the same figures as pandas DataFrames ----------------------
    def items(self):
        """One row per kind (appointments, availabilities): total, owed, counted and
        the items not counted under each reason, in the rule's order."""
        import pandas as pd

        rows = [
            {"kind": kind, "total": c["total"], "owed": c["owed"], "counted": c["counted"], **c["not_counted"]}
            for kind, c in self.counts.items()
        ]
        return pd.DataFrame(rows).set_index("kind")

    def issues_frame(self):
        """The findings, one row each (``kind``, what it is about, how many items, ``action_code``
        and ``action``)."""
        import pandas as pd

        return pd.DataFrame(self.issues_with_actions())

    def breakdown(self, name: str):
        """A breakdown (``service``, ``staff``, ``type``, ``month``) as a DataFrame; the
        audit must have been run with ``details=True``."""
        import pandas as pd

        if name not in self.breakdowns:
            raise KeyError(f"{name!r}: run_audit(..., details=True) gives {', '.join(BREAKDOWNS)}")
        return pd.DataFrame(self.breakdowns[name])


def run_audit(
    db=None,
    quarter: str | Quarter | None = None,
    *,
    as_of=None,
    details: bool = False,
    fail_under: float | None = None,
    con=None,
) -> AuditResult:
    """Audit ``quarter`` (``2026Q3``, ``T3 2026``…); ``details`` adds breakdowns and the trend;
    ``fail_under`` is the coverage threshold that ``status`` is judged against; ``con``: a
    connection already open on the clinic (the regional audit reads many on one)."""
    quarter = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    as_of = parse_as_of(as_of)
    bounds = {"start": quarter.start, "end": quarter.end}
    with store.reading_on(db, con) as con:
        con.execute(sql("audit_pairs"), bounds)
        con.execute(sql("audit_groups"))
        counts, counted_held = _counts(con)
        extent = _extent(con)
        period = period_of(quarter, as_of)
        # Data first, then what loses items, then slots the GAP report refuses, then the other checks.
        issues = _data_issues(extent, quarter, period) + _counting_issues(con) + _unconfigured(con, bounds)
        issues += _checks(con, quarter, as_of)
        rates = clinic_rates.current(con=con)
        if rates:
            for issue in issues:
                _price(issue, rates)
        result = AuditResult(
            quarter, counts, issues, extent, period, fail_under, rates=rates, counted_held=counted_held
        )
        result.funnel = funnel(con)
        if details:  # the breakdowns share one table of the quarter's items, names joined
            con.execute(sql("audit_items"), bounds)
            result.breakdowns = {
                name: _rows(con.execute(sql("audit_breakdown"), {"dimension": name})) for name in BREAKDOWNS
            }
            result.trend = _trend(con, as_of)
    return result


def coverage_trend(db=None, as_of=None, *, con=None) -> list[dict]:
    """Coverage per quarter, for every quarter present in the data up to the current one."""
    with store.reading_on(db, con) as con:
        return _trend(con, parse_as_of(as_of))


def _trend(con, as_of: dt.datetime) -> list[dict]:
    current = Quarter.of(as_of)
    rows = con.execute(sql("audit_trend"), {"until": current.end}).fetchall()
    return [
        {
            "quarter": str(Quarter(y, q)),
            "total": total,
            "owed": owed,
            "counted": counted,
            "coverage_pct": coverage(counted, owed),
            "in_progress": Quarter(y, q) == current,
        }
        for y, q, total, owed, counted in rows
    ]


def _rows(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _counts(con) -> tuple[dict[str, dict], int]:
    """The counts per kind, and the counted appointments that were held."""
    counts: dict[str, dict[str, Any]] = {
        plural: {"total": 0, "owed": 0, "counted": 0, "not_counted": dict.fromkeys(REASONS, 0)}
        for plural in KINDS.values()
    }
    counted_held = 0
    rows = con.execute("SELECT kind, reason, sum(items), sum(held) FROM quarter_groups GROUP BY ALL").fetchall()
    for kind, reason, n, held in rows:
        side = counts[KINDS[kind]]
        side["total"] += n
        if reason is None:
            side["counted"] += n
            counted_held += held
        else:
            side["not_counted"][reason] = n
    for side in counts.values():
        side["owed"] = side["total"] - side["not_counted"][NOT_OWED]
    return counts, int(counted_held)


def _local(moment) -> dt.datetime | None:
    """A stored time as naive local wall-clock time (the EMR tables already are)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(LOCAL).replace(tzinfo=None)


def _extent(con) -> dict:
    loaded_at, source, volunteers, last_appointment, last_availability = con.execute(sql("audit_extent")).fetchone()

    def iso(moment):
        local = _local(moment)
        return None if local is None else local.isoformat(timespec="minutes")

    return {
        "last_load": None
        if loaded_at is None
        else {"at": iso(loaded_at), "source": source, "volunteer_column": volunteers},
        "last_appointment": iso(last_appointment),
        "last_availability": iso(last_availability),
    }


def _data_issues(extent: dict, quarter: Quarter, period: str) -> list[dict]:
    """When the data cannot tell the whole quarter: its staff came without the volunteer column
    (everyone counted as a volunteer, said once), it stops before the end of an ended quarter,
    or the last load was made before that end."""
    volunteers = extent["last_load"] is not None and not extent["last_load"]["volunteer_column"]
    said = [_check("volunteer_column_absent")] if volunteers else []
    if period != "ended":
        return said
    issues = []
    last_dates = [d for d in (extent["last_appointment"], extent["last_availability"]) if d]
    data_end = max(last_dates) if last_dates else None
    if data_end is not None and dt.datetime.fromisoformat(data_end) < quarter.end:
        issues.append(_check("data_ends_early", detail=data_end[:10]))
    load = extent["last_load"]
    if load is not None and dt.datetime.fromisoformat(load["at"]) < quarter.end:
        issues.append(_check("load_before_quarter_end", detail=load["at"][:10]))
    return issues + said


def _check(kind: str, subject_id=None, subject_name=None, detail=None, count: int = 0) -> dict:
    """A finding that does not change the counts; ``wording.action`` says what to do about it."""
    return {
        "kind": kind,
        "affects_count": False,
        "subject_id": subject_id,
        "subject_name": subject_name,
        "appointments": count if kind in APPOINTMENT_CHECKS else 0,
        "availabilities": count if kind in AVAILABILITY_CHECKS else 0,
        "detail": detail.split(",") if kind == "availability_attribute_missing" else detail,
        "action_code": kind,  # stable in every language: what to do, for scripts
    }


def _price(issue: dict, rates: dict[str, float]) -> None:
    """The estimated amount an issue keeps out of the report, at the clinic's amounts: the
    availabilities and appointments held that fixing it would bring in (a counting issue's
    ``fixable`` items, or every slot not eligible)."""
    if issue["affects_count"]:
        fixable = issue["fixable"]
        issue["amount_at_stake"] = clinic_rates.estimate(rates, fixable["availabilities"], fixable["held"])
    elif issue["kind"] == "published_before_configuration":
        issue["amount_at_stake"] = clinic_rates.estimate(rates, issue["availabilities"])


def funnel(con) -> dict:
    """The quarter's offer and what became of its appointments, in total, per staff member and
    per service (owed scope: excluded services left out), each with its rates. Reads the
    quarter's pairs (audit_pairs.sql), made by ``run_audit``."""
    rows = _rows(con.execute(sql("audit_funnel")))
    total = next((r for r in rows if r["level"] == "total"), dict.fromkeys(FUNNEL_COUNTS, 0))
    return {
        **_with_rates(total),
        "by_staff": [_with_rates(r, "staff_id") for r in rows if r["level"] == "staff"],
        "by_service": [_with_rates(r, "service_id") for r in rows if r["level"] == "service"],
    }


def _with_rates(row: dict, id_key: str | None = None) -> dict:
    """A funnel row's counts and its rates: appointments per availability offered, and the
    share of the appointments held, missed (no-show) and cancelled, in percent."""
    counts = {k: int(row.get(k) or 0) for k in FUNNEL_COUNTS}
    named = {id_key: row["id"], "name": row["name"]} if id_key else {}
    return {
        **named,
        **counts,
        "booked_per_offered_pct": coverage(counts["booked"], counts["offered"]),
        "held_pct": coverage(counts["held"], counts["booked"]),
        "noshow_pct": coverage(counts["noshow"], counts["booked"]),
        "cancelled_pct": coverage(counts["cancelled"], counts["booked"]),
    }


def _unconfigured(con, bounds: dict) -> list[dict]:
    """Availabilities counted here that the GAP report leaves out: published before their
    service was configured (a check per service, its ``staff`` members and their counts)."""
    issues = []
    for row in _rows(con.execute(sql("audit_unconfigured"), bounds)):
        configured = _local(row["configured_at"])
        issue = _check(
            "published_before_configuration",
            row["service_id"],
            row["service_name"],
            configured.isoformat(timespec="minutes") if configured else None,
            row["availabilities"],
        )
        issue.update(staff_ids=sorted(m["staff_id"] for m in row["staff"]), staff=row["staff"])
        issues.append(issue)
    return issues


def _counting_issues(con) -> list[dict]:
    issues = []
    for row in _rows(con.execute(sql("audit_issues"))):
        reason = row["reason"]
        action = reason
        if reason == "service_not_imported":  # what to do depends on where the EMR stands
            action = {None: "service_not_imported_absent", "inactive": "service_not_imported_emr_inactive"}.get(
                row["emr_status"], "service_not_imported"
            )
        issues.append(
            {
                "kind": reason,
                "affects_count": True,
                "subject_id": row["subject_id"],
                "subject_name": row["subject_name"],
                "appointments": row["appointments"],
                "availabilities": row["availabilities"],
                "held": row["held"],  # its appointments that were held
                # what clearing this reason alone would count (another reason may keep the rest out)
                "fixable": {"availabilities": row["fixable_availabilities"], "held": row["fixable_held"]},
                "staff_ids": row["staff_ids"],
                "service_ids": row["service_ids"],
                "action_code": action,  # stable in every language: what to do, for scripts
            }
        )
    return issues


def _checks(con, quarter: Quarter, as_of: dt.datetime) -> list[dict]:
    rows = con.execute(
        sql("audit_checks"),
        {"start": quarter.start, "end": quarter.end, "as_of": as_of},
    ).fetchall()
    return [
        _check(kind, subject_id, subject_name, detail, count) for kind, subject_id, subject_name, detail, count in rows
    ]
