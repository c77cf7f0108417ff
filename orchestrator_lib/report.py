"""The remuneration audit report: presentation only.

``write_report`` turns an ``AuditResult`` (``audit.run_audit``) into four
files an office manager can open without Python:

- ``summary.json``: the ``orchestrator audit --json`` document, plus the trend
  and the time the report was made;
- ``audit-<quarter>.xlsx``: one sheet per table, the list of problems first,
  every text cell inert (no formula can run), ready to print;
- ``audit-<quarter>.ipynb``: ``notebooks/02_audit_remuneration.ipynb``
  executed by papermill;
- ``audit-<quarter>.html``: that notebook without code, with static tables and
  PNG charts only, so it reads offline. Its first screen is for the clinic's
  director: clinic, quarter, coverage, pass or fail, when, what data;
- the evidence pack (``evidence.write_pack``): ``items.parquet``, ``items.csv``
  and ``manifest.json``, which ``orchestrator audit --verify`` checks later.

The notebook's cells call the small helpers below (tables as pandas
DataFrames with headers in the reader's language, charts as matplotlib
Figures), so that the notebook, the workbook and the HTML show the same
tables. No counting rule lives here: every rule is in the SQL of ``audit``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import json
import re
import shutil
import tempfile
from collections.abc import Hashable, Iterator
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import store
from .audit import NOT_OWED, REASONS, AuditResult, run_audit
from .errors import OrchestratorError
from .evidence import write_pack
from .i18n import N_, _, _n, current, date, dollars, language, moment, month, number, percent, quarter
from .periods import LOCAL, parse_as_of
from .region import RegionResult
from .wording import RATE_ROWS, action, attributes, describe_extent, funnel, money, reason, verdict, yes_no

NOTEBOOK = "02_audit_remuneration.ipynb"
KERNEL = "python3"
SHOWN_ROWS = 300  # longer tables are cut in the notebook and HTML (the workbook has them all)
CHART_ROWS = 25  # bars per chart at most (the lowest coverage first)
OWED_REASONS = tuple(r for r in REASONS if r != NOT_OWED)

# Counted first, then one colour per reason, in the order of docs/rules.md; excluded items (not owed) in grey.
COLOURS = {
    "counted": "#2e7d32",
    "service_not_imported": "#c62828",
    "service_excluded": "#bdbdbd",
    "service_inactive": "#ef6c00",
    "staff_missing": "#6a1b9a",
    "staff_inactive": "#1565c0",
    "staff_not_volunteer": "#00838f",
}
BREAKDOWN_COLUMN = {
    "service": N_("col_service"),
    "staff": N_("col_staff"),
    "type": N_("col_type"),
    "month": N_("col_month"),
}
BREAKDOWN_SHEET = {
    "service": N_("sheet_service"),
    "staff": N_("sheet_staff"),
    "type": N_("sheet_type"),
    "month": N_("sheet_month"),
}


def file_names(quarter) -> dict[str, str]:
    """The files ``write_report`` writes, by name: each carries the quarter."""
    return {
        "summary": "summary.json",
        "workbook": f"audit-{quarter}.xlsx",
        "notebook": f"audit-{quarter}.ipynb",
        "html": f"audit-{quarter}.html",
        "items_parquet": "items.parquet",
        "items_csv": "items.csv",
        "manifest": "manifest.json",
    }


def _month(key: str) -> str:
    """``2026-07`` → ``juillet 2026``."""
    try:
        year, number_of_month = (int(part) for part in key.split("-"))
        return month(year, number_of_month)
    except (ValueError, IndexError, AttributeError):
        return str(key)


def _coverage_text(value: float | None) -> str:
    return percent(value) if value is not None else _("headline_none")


# --- tables ---------------------------------------------------------------------------------------


def issues_table(result: AuditResult, *, ids: bool = False) -> pd.DataFrame:
    """What must be fixed, in the audit's order: first what the data cannot
    tell, then what loses owed items from the count, the largest first, then
    the checks. ``ids`` adds the staff members and services involved (the workbook has them)."""
    rows = []
    for issue in result.issues:
        detail = issue.get("detail")
        if isinstance(detail, list):  # regulatory attributes: their names, not their column codes
            detail = attributes(detail)
        elif issue["kind"] in ("data_ends_early", "load_before_quarter_end") and detail:
            detail = date(detail)
        row = {
            _("col_problem"): reason(issue["kind"]),
            _("col_affects"): yes_no(bool(issue.get("affects_count"))),
            _("col_subject"): issue.get("subject_id") or "",
            _("col_name"): issue.get("subject_name") or "",
            _("col_appointments"): int(issue.get("appointments") or 0),
            _("col_availabilities"): int(issue.get("availabilities") or 0),
        }
        if result.rates:
            row[_("col_at_stake")] = issue.get("amount_at_stake")
        row[_("col_action")] = action(issue)
        if ids:
            row[_("col_detail")] = "" if detail is None else detail
            row[_("col_staff_ids")] = ", ".join(issue.get("staff_ids") or [])
            row[_("col_service_ids")] = ", ".join(issue.get("service_ids") or [])
        rows.append(row)
    columns = [
        "col_problem",
        "col_affects",
        "col_subject",
        "col_name",
        "col_appointments",
        "col_availabilities",
    ]
    columns += ["col_at_stake"] if result.rates else []
    columns += ["col_action"]
    columns += ["col_detail", "col_staff_ids", "col_service_ids"] if ids else []
    return pd.DataFrame(rows, columns=[_(c) for c in columns])


def summary_table(result: AuditResult) -> pd.DataFrame:
    """Total, excluded (not owed), owed, counted, not counted by reason (zeros
    included) and coverage over owed (empty when nothing is owed)."""
    sides = [result.counts["appointments"], result.counts["availabilities"]]

    def row(name: str, values: list) -> dict:
        return {
            _("col_measure"): name,
            _("col_appointments"): values[0],
            _("col_availabilities"): values[1],
            _("col_both"): values[2],
        }

    def both(values: list) -> list:
        return [*values, sum(values)]

    rows = [
        row(_("row_total"), both([s["total"] for s in sides])),
        row(_("row_excluded"), both([s["not_counted"][NOT_OWED] for s in sides])),
        row(_("row_owed"), both([s["owed"] for s in sides])),
        row(_("row_counted"), both([s["counted"] for s in sides])),
    ]
    for code in OWED_REASONS:
        rows.append(
            row(
                _("row_not_counted", reason=reason(code)),
                both([s["not_counted"].get(code, 0) for s in sides]),
            )
        )
    coverages = [round(100.0 * s["counted"] / s["owed"], 1) if s["owed"] else None for s in sides]
    rows.append(row(_("row_coverage"), coverages + [result.coverage_pct]))
    return pd.DataFrame(rows, dtype=object)  # counts stay integers next to the coverage row


def breakdown_table(result: AuditResult, name: str, db=None) -> pd.DataFrame:
    """Owed and counted, by ``service``, ``staff``, ``type`` or ``month`` (months
    in calendar order, the others the lowest coverage first); items of excluded
    services in their own column. For ``type``, labels come from the catalogue of ``db``."""
    if name not in BREAKDOWN_COLUMN:
        raise ValueError(f"unknown breakdown {name!r}: one of {', '.join(BREAKDOWN_COLUMN)}")
    types = type_labels(db) if name == "type" else {}
    rows = []
    for entry in result.breakdowns.get(name, []):
        key = entry["key"]
        row = {_(BREAKDOWN_COLUMN[name]): key}
        if name in ("service", "staff"):
            row[_("col_name")] = entry.get("label") or key
        elif name == "type":
            row[_(BREAKDOWN_COLUMN[name])] = _("no_type") if key == "-" else types.get(key, key)
        else:
            row[_(BREAKDOWN_COLUMN[name])] = _month(key)
        row.update(
            {
                _("col_appointments"): entry["appointments"],
                _("col_appointments_counted"): entry["appointments_counted"],
                _("col_availabilities"): entry["availabilities"],
                _("col_availabilities_counted"): entry["availabilities_counted"],
                _("col_excluded"): entry["excluded"],
                _("col_coverage"): None if entry["coverage_pct"] is None else float(entry["coverage_pct"]),
            }
        )
        rows.append(row)
    columns = (
        [_(BREAKDOWN_COLUMN[name])]
        + ([_("col_name")] if name in ("service", "staff") else [])
        + [
            _(c)
            for c in (
                "col_appointments",
                "col_appointments_counted",
                "col_availabilities",
                "col_availabilities_counted",
                "col_excluded",
                "col_coverage",
            )
        ]
    )
    return pd.DataFrame(rows, columns=columns)


FUNNEL_COLUMNS = {
    "offered": N_("col_offered"),
    "booked": N_("col_booked"),
    "held": N_("col_held"),
    "noshow": N_("col_noshow"),
    "cancelled": N_("col_cancelled"),
    "pending": N_("col_pending"),
    "booked_per_offered_pct": N_("col_booked_per_offered"),
    "held_pct": N_("col_held_pct"),
    "noshow_pct": N_("col_noshow_pct"),
    "cancelled_pct": N_("col_cancelled_pct"),
}
FUNNEL_PERCENTS = ("col_booked_per_offered", "col_held_pct", "col_noshow_pct", "col_cancelled_pct")


def funnel_table(result: AuditResult, by: str = "staff", *, compact: bool = False) -> pd.DataFrame:
    """The offer and what became of the appointments, per ``staff`` member or ``service``,
    the quarter's total first (owed scope: excluded services left out). ``compact`` (a
    1024-pixel page): each rate beside its count, ``3 063 (87,7 %)``, in six columns."""
    key = {"staff": ("staff_id", "col_member"), "service": ("service_id", "col_service")}[by]
    entries = [{**result.funnel, key[0]: _("row_total"), "name": ""}, *result.funnel.get(f"by_{by}", [])]
    rows = [
        {_(key[1]): entry[key[0]], _("col_name"): entry["name"]}
        | (_compact_funnel(entry) if compact else {_(c): entry.get(k) for k, c in FUNNEL_COLUMNS.items()})
        for entry in entries
    ]
    shown = COMPACT_FUNNEL_COLUMNS if compact else tuple(FUNNEL_COLUMNS.values())
    return pd.DataFrame(rows, columns=[_(key[1]), _("col_name"), *(_(c) for c in shown)], dtype=object)


COMPACT_FUNNEL_COLUMNS = ("col_offered", "col_booked", "col_held", "col_noshow", "col_cancelled", "col_pending")


def _compact_funnel(entry: dict) -> dict:
    def with_rate(count: str, rate: str) -> str:
        return f"{number(entry.get(count) or 0)} ({'—' if entry.get(rate) is None else percent(entry[rate])})"

    return {
        _("col_offered"): entry.get("offered") or 0,
        _("col_booked"): entry.get("booked") or 0,
        _("col_held"): with_rate("held", "held_pct"),
        _("col_noshow"): with_rate("noshow", "noshow_pct"),
        _("col_cancelled"): with_rate("cancelled", "cancelled_pct"),
        _("col_pending"): entry.get("pending") or 0,
    }


def money_table(result: AuditResult) -> pd.DataFrame:
    """The estimates at the clinic's own amounts (empty when none is set): the amounts,
    what is counted, what the issues keep out."""
    estimate = result.money
    if estimate is None:
        return pd.DataFrame(columns=[_("col_measure"), _("col_amount")])
    rows = [(_(RATE_ROWS[k]), v) for k, v in estimate["rates"].items()]
    rows += [(_("row_money_counted"), estimate["counted"]), (_("row_money_at_stake"), estimate["at_stake"])]
    return pd.DataFrame(rows, columns=[_("col_measure"), _("col_amount")], dtype=object)


MONEY_COLUMNS = (N_("col_at_stake"), N_("col_amount"))  # dollars, estimates


def trend_table(result: AuditResult) -> pd.DataFrame:
    """Coverage of every quarter present in the data up to the current one
    (never a future quarter), judged with today's catalogue."""
    rows = [
        {
            _("col_quarter"): _("quarter_in_progress", quarter=quarter(t["quarter"]))
            if t["in_progress"]
            else quarter(t["quarter"]),
            _("col_owed"): t["owed"],
            _("col_counted"): t["counted"],
            _("col_not_counted"): t["owed"] - t["counted"],
            _("col_excluded"): t["total"] - t["owed"],
            _("col_coverage"): t["coverage_pct"],
        }
        for t in result.trend
    ]
    return pd.DataFrame(
        rows,
        columns=[
            _(c) for c in ("col_quarter", "col_owed", "col_counted", "col_not_counted", "col_excluded", "col_coverage")
        ],
    )


def type_labels(db=None) -> dict[str, str]:
    """Service type code → label in the user's language, from the database's
    catalogue (none if there is no database: codes are shown as they are)."""
    db = store.resolve_db(db)
    if not db.exists():  # never create a database just to read labels
        return {}
    from .catalogue import list_types
    from .wording import type_label

    return {t["code"]: type_label(t) for t in list_types(db)}


def clinic_name(db=None) -> str:
    """The clinic, as its availabilities name their site (the regulation asks
    each to carry it): the most frequent site name, before its address."""
    with store.reading(db) as con:
        row = con.execute(
            "SELECT location FROM emr_availabilities WHERE location IS NOT NULL "
            "GROUP BY location ORDER BY count(*) DESC, location LIMIT 1"
        ).fetchone()
    return row[0].split(",")[0].strip() if row else store.resolve_db(db).label


# --- what a notebook cell shows -------------------------------------------------------------------


def first_screen(result: AuditResult, db=None, generated_at: str | None = None):
    """The report's first screen, for the clinic's director: the clinic, the
    quarter and its dates, the coverage headline, pass or fail against the
    threshold, when the report was made and what data it saw."""
    from IPython.display import HTML

    a, v = result.counts["appointments"], result.counts["availabilities"]
    lines = [f'<p class="audit-clinic">{_e(clinic_name(db))}</p>', *_period_lines(result)]
    lines.append(_coverage_line(result))
    if result.status == "no_data":
        lines.append(f'<p class="audit-counts">{_e(_("headline_no_data"))}</p>')
    else:
        lines.append(
            f'<p class="audit-counts">{_e(_n("headline_counts", result.counted, owed=result.owed, appointments_counted=a["counted"], appointments=a["owed"], availabilities_counted=v["counted"], availabilities=v["owed"]))}</p>'
        )
    lines += _verdict_lines(result)
    if result.excluded:
        lines.append(f'<p class="audit-excluded">{_e(_n("audit_excluded", result.excluded))}</p>')
    lines.append(f'<p class="audit-funnel">{_e(funnel(result.funnel))}</p>')
    if result.money is not None:
        lines.append(f'<p class="audit-money">{_e(money(result.money))}</p>')
    lines.append(
        f'<p class="audit-generated">{_e(_("generated", when=moment(_made(generated_at))))} {_e(data_seen(result))}</p>'
    )
    return HTML(f'<div class="audit-first-screen">{"".join(lines)}</div>')


def _made(generated_at: str | None) -> dt.datetime:
    return dt.datetime.fromisoformat(generated_at) if generated_at else dt.datetime.now(LOCAL)


def _period_lines(result: AuditResult | RegionResult) -> list[str]:
    last = result.quarter.end.date() - dt.timedelta(days=1)
    lines = [
        f'<p class="audit-period">{_e(_("period", quarter=quarter(result.quarter), first=date(result.quarter.start.date()), last=date(last)))}</p>'
    ]
    if result.period == "in_progress":
        lines.append(f'<p class="audit-in-progress">{_e(_("period_in_progress", last=date(last)))}</p>')
    return lines


def _coverage_line(result: AuditResult | RegionResult) -> str:
    # Green or red only against a threshold (or for no data): 83 % is no success by itself.
    judged = result.status if result.threshold is not None or result.status == "no_data" else "unjudged"
    return (
        f'<p class="audit-coverage audit-{judged}">{_e(_("headline_coverage"))} '
        f"<b>{_e(_coverage_text(result.coverage_pct))}</b></p>"
    )


def _verdict_lines(result: AuditResult | RegionResult) -> list[str]:
    if result.threshold is None:
        return []
    verdict = {
        "ok": N_("threshold_ok"),
        "under_threshold": N_("threshold_under"),
        "no_data": N_("threshold_no_data"),
    }[result.status]
    return [
        f'<p class="audit-verdict audit-{result.status}">{_e(_(verdict, threshold=percent(result.threshold, 0)))}</p>'
    ]


def region_first_screen(result: RegionResult, generated_at: str | None = None):
    """The group's report first screen: how many clinics, the quarter, the group's coverage,
    how many clinics need attention, and when it was made."""
    from IPython.display import HTML

    alarmed = sum(1 for r in result.clinics.values() if r.status != "ok")
    lines = [
        f'<p class="audit-clinic">{_e(_n("region_clinics", len(result.clinics)))}</p>',
        *_period_lines(result),
        _coverage_line(result),
        f'<p class="audit-counts">{_e(_n("region_counts", result.counted, owed=number(result.owed)))}</p>',
        *_verdict_lines(result),
    ]
    if alarmed:
        lines.append(f'<p class="audit-verdict audit-under_threshold">{_e(_n("region_alarmed", alarmed))}</p>')
    lines.append(f'<p class="audit-generated">{_e(_("generated", when=moment(_made(generated_at))))}</p>')
    return HTML(f'<div class="audit-first-screen">{"".join(lines)}</div>')


def data_seen(result: AuditResult) -> str:
    """One sentence: the last load (when, from where) and the last dates the data holds."""
    return describe_extent(result.extent)


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def show(table: pd.DataFrame, limit: int = SHOWN_ROWS):
    """A static HTML table for the notebook and the HTML report: no index, numbers
    written the reader's way (right-aligned), text escaped; at most ``limit`` rows."""
    from IPython.display import Markdown

    if table.empty:
        return Markdown(_("nothing_to_fix") if _("col_action") in table.columns else _("nothing_to_show"))
    shown = table.head(limit)
    decimal, thousands = current().symbols()
    text = [c for c in shown.columns if shown[c].map(lambda v: isinstance(v, str)).all()]
    styler = (
        shown.style.hide(axis="index")
        .format(precision=1, decimal=decimal, thousands=thousands, escape="html", na_rep="—")
        .set_properties(subset=[c for c in shown.columns if c not in text], **{"text-align": "right"})
        .set_properties(subset=text, **{"text-align": "left"})  # type: ignore[arg-type]  # pandas-stubs wants Hashable
        # An id reads as one word: never "STF-" above "006".
        .set_properties(subset=[c for c in shown.columns if c in _id_columns()], **{"white-space": "nowrap"})
        .set_table_styles([{"selector": "th", "props": "text-align: left; vertical-align: bottom;"}])
    )
    amounts: list[Hashable] = [c for c in shown.columns if c in {_(m) for m in MONEY_COLUMNS}]
    if amounts:
        styler = styler.format(_dollars_cell, subset=amounts)
    if len(table) > limit:
        styler = styler.set_caption(
            _("rows_cut", shown=number(limit), total=number(len(table)), workbook=file_names("…")["workbook"])
        )
    return styler


def _dollars_cell(value) -> str:
    return "—" if value is None or value != value else dollars(float(value))  # NaN is not equal to itself


def _id_columns() -> set[str]:
    return {_(key) for key in ("col_subject", "col_service", "col_staff", "col_clinic")}


# --- charts ---------------------------------------------------------------------------------------


def chart_text(text: str) -> str:
    """A name as a chart label: ``$`` would start matplotlib's mathtext, control characters show as boxes."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", str(text)).replace("$", r"\$")


def _figure(rows: int, *, width: float = 9.0, per_row: float = 0.32, base: float = 1.6) -> tuple[Figure, Axes]:
    """A Figure on the Agg canvas (static PNG, no GUI, no pyplot state) and its axes."""
    figure = Figure(figsize=(width, base + per_row * max(rows, 1)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _coverage_bars(axes, names: list[str], values: list[float | None]) -> None:
    """Horizontal bars of coverage in percent, the value written at the end of each
    (``non dû`` where nothing is owed)."""
    positions = range(len(names))
    axes.barh(list(positions), [v or 0 for v in values], color=COLOURS["staff_inactive"])
    axes.set_yticks(list(positions), [chart_text(n) for n in names])
    axes.invert_yaxis()
    axes.set_xlim(0, 112)
    axes.set_xlabel(_("chart_pct"))
    for y, value in zip(positions, values):
        axes.text((value or 0) + 1, y, percent(value) if value is not None else _("not_owed"), va="center", fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)


def coverage_chart(result: AuditResult) -> Figure:
    """Appointments and availabilities: counted, then not counted by reason (stacked),
    then the items of excluded services, which are not owed."""
    figure, axes = _figure(2, per_row=0.7, base=1.4)
    sides = [("appointments", _("col_appointments")), ("availabilities", _("col_availabilities"))]
    left = [0, 0]
    for key in ("counted", *OWED_REASONS, NOT_OWED):
        values = [
            result.counts[side]["counted"] if key == "counted" else result.counts[side]["not_counted"].get(key, 0)
            for side, _name in sides
        ]
        name = {"counted": _("chart_counted"), NOT_OWED: _("chart_excluded")}.get(key) or reason(key)
        axes.barh(
            [n for _side, n in sides],
            values,
            left=left,
            color=COLOURS[key],
            label=name,
            hatch="//" if key == NOT_OWED else None,
        )
        left = [a + b for a, b in zip(left, values)]
    axes.invert_yaxis()
    axes.set_title(_("chart_coverage", quarter=quarter(result.quarter), coverage=_coverage_text(result.coverage_pct)))
    axes.set_xlabel(_("chart_items"))
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def by_type_chart(result: AuditResult, db=None) -> Figure:
    """Coverage by service type."""
    table = breakdown_table(result, "type", db)
    figure, axes = _figure(len(table))
    _coverage_bars(axes, list(table.iloc[:, 0]), list(table[_("col_coverage")]))
    axes.set_title(_("chart_by_type", quarter=quarter(result.quarter)))
    return figure


def by_staff_chart(result: AuditResult, limit: int = CHART_ROWS) -> Figure:
    """Coverage by staff member, the least covered first (at most ``limit`` bars)."""
    table = breakdown_table(result, "staff")
    shown = table.head(limit)
    figure, axes = _figure(len(shown))
    _coverage_bars(axes, list(shown[_("col_name")]), list(shown[_("col_coverage")]))
    title = (
        _("chart_by_staff", quarter=quarter(result.quarter))
        if len(table) <= limit
        else _("chart_by_staff_cut", shown=limit, total=number(len(table)), quarter=quarter(result.quarter))
    )
    axes.set_title(title)
    return figure


def trend_chart(result: AuditResult) -> Figure:
    """Coverage per quarter; the audited quarter stands out, the one in progress is hatched."""
    figure, axes = _figure(0, width=9.0, base=3.6)
    quarters = [t["quarter"] for t in result.trend]
    values = [t["coverage_pct"] for t in result.trend]
    colours = [COLOURS["counted"] if q == str(result.quarter) else "#9e9e9e" for q in quarters]
    bars = axes.bar([quarter(q) for q in quarters], [v or 0 for v in values], color=colours)
    for bar, t in zip(bars, result.trend):
        if t["in_progress"]:
            bar.set_hatch("//")
    for x, (value, t) in enumerate(zip(values, result.trend)):
        text = percent(value) if value is not None else _("not_owed")
        axes.text(
            x,
            (value or 0) + 1.5,
            text + (f"\n({_('in_progress')})" if t["in_progress"] else ""),
            ha="center",
            fontsize=8,
        )
    axes.set_ylim(0, 118)
    axes.set_ylabel(_("chart_pct"))
    axes.set_title(_("chart_trend"))
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def figure_png(figure: Figure) -> bytes:
    """The figure as PNG bytes (the dashboard shows it in an Image widget)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _show_figures_as_png() -> None:
    """In a notebook, a Figure returned by a cell is shown as a static PNG,
    whatever matplotlib backend the kernel uses."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


_show_figures_as_png()


# --- the report files -----------------------------------------------------------------------------


def audit_report(db, quarter, out_dir, *, as_of=None, fail_under: float | None = None) -> tuple[AuditResult, Path]:
    """``orchestrator audit --out``: the audit of ``quarter`` with its details, and the
    report written into ``out_dir`` (whole or not at all). Returns the result and the folder.

    Example::

        result, folder = audit_report("data/orchestrator.duckdb", "2026Q3", "data/reports")
    """
    result = run_audit(db, quarter, as_of=as_of, details=True, fail_under=fail_under)
    return result, write_report(result, db, out_dir, as_of=as_of)["folder"]


def write_report(result: AuditResult, db, out_dir, *, as_of=None) -> dict[str, Path]:
    """Write summary.json, the workbook, the executed notebook and its HTML
    into ``out_dir``; return their paths by name (and ``folder``)."""
    out_dir = Path(out_dir)
    with _building(out_dir) as folder:
        made = _write_files(result, db, folder, as_of)
    return {name: out_dir / path.name for name, path in made.items()} | {"folder": out_dir}


@contextlib.contextmanager
def _building(out_dir: Path) -> Iterator[Path]:
    """A private folder beside ``out_dir`` where the report is made; when it is
    complete, its files are moved into ``out_dir`` (each by an atomic rename),
    so a report killed half-way leaves no half-written file there."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        yield folder
        out_dir.mkdir(exist_ok=True)
        for made in folder.iterdir():
            made.replace(out_dir / made.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_files(result: AuditResult, db, out_dir: Path, as_of) -> dict[str, Path]:
    db_path = store.resolve_db(db).absolute()
    # One reference time for the whole report, so that the notebook's audit is the same as this one.
    as_of_text = parse_as_of(as_of).isoformat(timespec="seconds")
    generated_at = dt.datetime.now(LOCAL).isoformat(timespec="seconds")
    if not result.breakdowns:
        result = run_audit(db_path, result.quarter, as_of=as_of_text, details=True, fail_under=result.threshold)
    paths = {name: out_dir / file for name, file in file_names(result.quarter).items()}
    write_summary(result, paths["summary"], generated_at)
    with store.reading(db_path) as con:
        write_pack(con, result.quarter, out_dir, generated_at)
    write_workbook(result, paths["workbook"], db=db_path)
    execute_notebook(
        paths["notebook"],
        db=db_path,
        quarter=str(result.quarter),
        as_of=as_of_text,
        fail_under=result.threshold,
        generated_at=generated_at,
    )
    write_html(paths["notebook"], paths["html"], title=_("report_title", quarter=quarter(result.quarter)))
    return paths


def write_summary(result: AuditResult, path: Path, generated_at: str | None = None) -> None:
    """The ``--json`` document (status, threshold, data extent included), the trend and when it was made."""
    document = {
        **result.to_json(),
        "trend": result.trend,
        "generated_at": generated_at or dt.datetime.now(LOCAL).isoformat(timespec="seconds"),
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def workbook_tables(result: AuditResult, db=None) -> dict[str, pd.DataFrame]:
    """Sheet name → table, in the workbook's order (the problems first)."""
    tables = {_("sheet_issues"): issues_table(result, ids=True), _("sheet_summary"): summary_table(result)}
    for name in ("service", "staff", "type", "month"):
        tables[_(BREAKDOWN_SHEET[name])] = breakdown_table(result, name, db)
    tables[_("sheet_funnel_staff")] = funnel_table(result, "staff")
    tables[_("sheet_funnel_service")] = funnel_table(result, "service")
    if result.money is not None:
        tables[_("sheet_money")] = money_table(result)
    tables[_("sheet_trend")] = trend_table(result)
    return tables


def write_workbook(result: AuditResult, path: Path, db=None) -> None:
    """The workbook: bold frozen headers repeated on every printed page, filters,
    readable widths, thousands separators, landscape pages fitted to width, and
    every text cell inert (``spreadsheet.write_table``)."""
    from openpyxl import Workbook

    from .spreadsheet import write_table

    workbook = Workbook()
    for blank in list(workbook.worksheets):  # the sheet every new workbook has
        workbook.remove(blank)
    workbook.properties.title = _("report_title", quarter=quarter(result.quarter))
    for sheet, table in workbook_tables(result, db).items():
        worksheet = workbook.create_sheet(sheet)
        write_table(
            worksheet,
            table,
            title=_("workbook_title", quarter=quarter(result.quarter), sheet=sheet),
            percent_columns={_("col_coverage"), *(_(c) for c in FUNNEL_PERCENTS)},
            money_columns={_(c) for c in MONEY_COLUMNS},
        )
    workbook.save(path)


def notebook_path(name: str = NOTEBOOK) -> Path:
    """A report notebook (shipped with the package: ``resources.notebook``)."""
    from .resources import notebook

    return notebook(name)


def execute_notebook(
    output: Path,
    *,
    db: store.Location,
    quarter: str,
    as_of: str | None,
    fail_under: float | None = None,
    generated_at: str | None = None,
    notebook: str = NOTEBOOK,
) -> None:
    """Run a report notebook (the audit's by default) with papermill (no progress bar) into ``output``."""
    import papermill
    from traitlets.config import Config

    parameters = {
        "db": db.target,
        "clinic": db.clinic,
        "quarter": quarter,
        "as_of": as_of,
        "fail_under": fail_under,
        "generated_at": generated_at,
        "language": language(),  # the kernel is another process: it speaks the caller's language
    }
    # The kernel talks over private Unix sockets, not unencrypted localhost TCP.
    with tempfile.TemporaryDirectory(prefix="orchestrator-kernel-") as sockets:
        try:
            papermill.execute_notebook(
                str(notebook_path(notebook)),
                str(output),
                kernel_name=KERNEL,
                progress_bar=False,
                parameters=parameters,
                config=Config({"KernelManager": {"transport": "ipc", "ip": f"{sockets}/kernel"}}),
            )
        except papermill.PapermillExecutionError as error:
            raise OrchestratorError("report_failed", notebook=output, detail=f"{error.ename}: {error.evalue}") from None


# The first screen's look, in the HTML report and in the dashboard's Audit tab.
FIRST_SCREEN_CSS = """.audit-first-screen { border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 1.2em; margin: 0.5em 0 1em; }
.audit-first-screen p { margin: 0.35em 0; }
.audit-clinic { font-size: 1.25em; font-weight: 600; }
.audit-coverage { font-size: 2em; }
.audit-coverage.audit-ok b { color: #2e7d32; }
.audit-coverage.audit-under_threshold b, .audit-coverage.audit-no_data b { color: #c62828; }
.audit-verdict { font-weight: 600; }
.audit-verdict.audit-ok { color: #2e7d32; }
.audit-verdict.audit-under_threshold, .audit-verdict.audit-no_data { color: #c62828; }
.audit-in-progress { color: #ef6c00; font-weight: 600; }
.audit-generated { color: #555; font-size: 0.9em; }"""

# The lab template without its CDN scripts (require.js, MathJax, Mermaid): the report opens offline.
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
  main { max-width: 1200px; margin: 0 auto; }
  .jp-OutputArea-output table caption { caption-side: bottom; text-align: left; font-style: italic; }
{{ first_screen_css }}
</style>
{%- endblock extra_css -%}
"""


def write_html(notebook: Path, output: Path, *, title: str) -> None:
    """The executed notebook as HTML without code, prompts or parameter cells."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code=language(),
        extra_loaders=[
            jinja2.DictLoader(
                {"audit_offline.html.j2": _OFFLINE_TEMPLATE.replace("{{ first_screen_css }}", FIRST_SCREEN_CSS)}
            )
        ],
        template_file="audit_offline.html.j2",
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters"}), enabled=True
    )
    body, _resources = exporter.from_notebook_node(
        nbformat.read(notebook, as_version=4), resources={"metadata": {"name": title}}
    )
    output.write_text(body, encoding="utf-8")


# --- the group's report (orchestrator region --out) -----------------------------------------------

REGION_NOTEBOOK = "03_audit_regional.ipynb"


def region_table(result: RegionResult) -> pd.DataFrame:
    """One row per clinic, the clinics most in need first, then the group's total."""
    rows = [
        {
            _("col_clinic"): name,
            _("col_status"): verdict(clinic.status, result.threshold),
            _("col_owed"): clinic.owed,
            _("col_counted"): clinic.counted,
            _("col_not_counted"): clinic.owed - clinic.counted,
            _("col_coverage"): clinic.coverage_pct,
            _("col_issues"): len(clinic.issues),
            _("col_main_issue"): action(clinic.issues[0]) if clinic.issues else "—",
        }
        for name, clinic in result.neediest_first()
    ]
    rows.append(
        {
            _("col_clinic"): _("region_total"),
            _("col_status"): verdict(result.status, result.threshold),
            _("col_owed"): result.owed,
            _("col_counted"): result.counted,
            _("col_not_counted"): result.owed - result.counted,
            _("col_coverage"): result.coverage_pct,
            _("col_issues"): sum(len(c.issues) for c in result.clinics.values()),
            _("col_main_issue"): "",
        }
    )
    table = pd.DataFrame(rows)
    if (table[_("col_status")] == "—").all():  # no threshold and data everywhere: nothing is judged
        table = table.drop(columns=[_("col_status")])
    return table


def region_chart(result: RegionResult, limit: int = CHART_ROWS) -> Figure:
    """Coverage by clinic, the least covered first."""
    shown = result.neediest_first()[:limit]
    figure, axes = _figure(len(shown))
    _coverage_bars(axes, [name for name, _r in shown], [r.coverage_pct for _n, r in shown])
    axes.set_title(_("chart_by_clinic", quarter=quarter(result.quarter), coverage=_coverage_text(result.coverage_pct)))
    return figure


def region_report(db, quarter_text, out_dir, *, as_of=None, fail_under: float | None = None):
    """``orchestrator region --out``: every clinic's audit of the quarter, and the report
    (``region-Q.json``, the executed notebook and its HTML) written into ``out_dir``, whole
    or not at all. Returns the result and the folder."""
    from .region import run_region

    db = store.resolve_db(db).absolute()
    as_of_text = parse_as_of(as_of).isoformat(timespec="seconds")
    generated_at = dt.datetime.now(LOCAL).isoformat(timespec="seconds")
    result = run_region(db, quarter_text, as_of=as_of_text, fail_under=fail_under)
    out_dir = Path(out_dir)
    with _building(out_dir) as folder:
        name = f"region-{result.quarter}"
        document = {**result.to_json(), "generated_at": generated_at}
        (folder / f"{name}.json").write_text(
            json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
        execute_notebook(
            folder / f"{name}.ipynb",
            db=db,
            quarter=str(result.quarter),
            as_of=as_of_text,
            fail_under=fail_under,
            generated_at=generated_at,
            notebook=REGION_NOTEBOOK,
        )
        write_html(
            folder / f"{name}.ipynb", folder / f"{name}.html", title=_("region_title", quarter=quarter(result.quarter))
        )
    return result, out_dir
