"""The remuneration audit report: presentation only.

``write_report`` turns an ``AuditResult`` (``audit.run_audit``) into four
files an office manager can open without Python:

- ``summary.json``: the ``orchestrator audit --json`` document, plus the trend
  and the time the report was made;
- ``issues.xlsx``: one sheet per table, the list of problems first;
- ``audit-<quarter>.ipynb``: ``notebooks/02_audit_remuneration.ipynb``
  executed by papermill;
- ``audit-<quarter>.html``: that notebook without code, with static tables and
  PNG charts only, so it reads offline.

The notebook's cells call the small helpers below (tables as pandas
DataFrames with French headers, charts as matplotlib Figures), so that the
notebook, the workbook and the HTML show the same tables. No counting rule
lives here: every rule is in the SQL of ``audit``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import store
from .errors import OrchestratorError
from .audit import REASONS, AuditResult, run_audit
from .messages import in_language, language
from .periods import LOCAL, parse_as_of

NOTEBOOK = "02_audit_remuneration.ipynb"
KERNEL = "python3"
SHOWN_ROWS = 300          # longer tables are cut in the notebook and HTML (the workbook has them all)
CHART_ROWS = 25           # bars per chart at most (the lowest coverage first)

# Every word of the report, French first, English second.
LABELS: dict[str, tuple[str, str]] = {
    # reasons not counted (SPEC §4)
    "service_not_imported": ("Service non importé", "Service not imported"),
    "service_excluded": ("Service exclu", "Service excluded"),
    "service_inactive": ("Service inactif", "Service inactive"),
    "staff_missing": ("Personnel absent", "Staff missing"),
    "staff_inactive": ("Personnel inactif", "Staff inactive"),
    # side checks
    "responsible_missing": ("Aucun médecin responsable", "No responsible physician"),
    "responsible_inactive": ("Médecin responsable inactif", "Responsible physician inactive"),
    "responsible_several": ("Plusieurs médecins responsables", "Several responsible physicians"),
    "specialty_not_primary_care": ("Spécialité hors première ligne", "Specialty outside primary care"),
    "availability_attribute_missing": ("Disponibilité incomplète", "Incomplete availability"),
    "excluded_with_appointments": ("Service exclu avec rendez-vous", "Excluded service with appointments"),
    "will_reactivate": ("Réactivation à la prochaine synchronisation", "Reactivated at the next sync"),
    # regulatory attributes of an availability
    "published_at": ("date d'ouverture", "publication date"),
    "clientele": ("clientèle", "clientele"),
    "reason": ("raison de consultation", "reason for consultation"),
    "mode": ("mode de consultation", "consultation mode"),
    "location": ("lieu", "location"),
    # columns
    "col_kind": ("Problème", "Problem"),
    "col_affects": ("Touche le compte", "Affects the count"),
    "col_subject": ("Identifiant", "Id"),
    "col_name": ("Nom", "Name"),
    "col_appointments": ("Rendez-vous", "Appointments"),
    "col_availabilities": ("Disponibilités", "Availabilities"),
    "col_action": ("Action à faire", "What to do"),
    "col_detail": ("Détail", "Detail"),
    "col_staff_ids": ("Membres concernés", "Staff involved"),
    "col_service_ids": ("Services concernés", "Services involved"),
    "col_measure": ("Mesure", "Measure"),
    "col_both": ("Ensemble", "Both"),
    "col_service": ("Service", "Service"),
    "col_staff": ("Membre du personnel", "Staff member"),
    "col_type": ("Type de service", "Service type"),
    "col_month": ("Mois", "Month"),
    "col_appointments_counted": ("Rendez-vous comptés", "Appointments counted"),
    "col_availabilities_counted": ("Disponibilités comptées", "Availabilities counted"),
    "col_coverage": ("Couverture (%)", "Coverage (%)"),
    "col_quarter": ("Trimestre", "Quarter"),
    "col_items": ("Éléments", "Items"),
    "col_counted": ("Comptés", "Counted"),
    "col_not_counted": ("Non comptés", "Not counted"),
    # summary rows
    "row_total": ("Total", "Total"),
    "row_counted": ("Comptés", "Counted"),
    "row_not_counted": ("Non comptés : {reason}", "Not counted: {reason}"),
    "row_coverage": ("Couverture (%)", "Coverage (%)"),
    # sheets (at most 31 characters)
    "sheet_issues": ("Problèmes", "Problems"),
    "sheet_summary": ("Résumé", "Summary"),
    "sheet_service": ("Par service", "By service"),
    "sheet_staff": ("Par personnel", "By staff"),
    "sheet_type": ("Par type", "By type"),
    "sheet_month": ("Par mois", "By month"),
    "sheet_trend": ("Tendance", "Trend"),
    # words
    "yes": ("Oui", "Yes"),
    "no": ("Non", "No"),
    "no_type": ("Sans type", "No type"),
    "nothing_to_fix": ("Rien à corriger : tout est compté et aucune vérification ne signale de problème.",
                       "Nothing to fix: everything is counted and no check reports a problem."),
    "nothing_to_show": ("Aucun élément ce trimestre.", "No item this quarter."),
    "rows_cut": ("{shown} lignes sur {total} : la liste complète est dans issues.xlsx.",
                 "{shown} rows of {total}: the full list is in issues.xlsx."),
    "period": ("**Trimestre {quarter}** : rendez-vous et disponibilités du {first} au {last} (heure de Montréal).",
               "**Quarter {quarter}**: appointments and availabilities from {first} to {last} (Montreal time)."),
    "headline": ("**Couverture : {coverage} %** — {counted} éléments comptés sur {total} "
                 "(rendez-vous {appointments_counted} sur {appointments}, "
                 "disponibilités {availabilities_counted} sur {availabilities}).",
                 "**Coverage: {coverage}%** — {counted} items counted out of {total} "
                 "(appointments {appointments_counted} of {appointments}, "
                 "availabilities {availabilities_counted} of {availabilities})."),
    "report_title": ("Audit du rapport de rémunération {quarter}", "Remuneration report audit {quarter}"),
    # charts
    "chart_coverage": ("Couverture {quarter} : {coverage} %", "Coverage {quarter}: {coverage}%"),
    "chart_items": ("Nombre d'éléments", "Number of items"),
    "chart_counted": ("Comptés", "Counted"),
    "chart_by_type": ("Couverture par type de service, {quarter}", "Coverage by service type, {quarter}"),
    "chart_by_staff": ("Couverture par membre du personnel, {quarter}", "Coverage by staff member, {quarter}"),
    "chart_by_staff_cut": ("Couverture : les {shown} membres les moins couverts sur {total}, {quarter}",
                           "Coverage: the {shown} least covered staff members of {total}, {quarter}"),
    "chart_trend": ("Couverture par trimestre", "Coverage by quarter"),
    "chart_pct": ("Couverture (%)", "Coverage (%)"),
}
MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}
# Counted first, then one colour per reason, in SPEC order.
COLOURS = {"counted": "#2e7d32", "service_not_imported": "#c62828", "service_excluded": "#6d4c41",
           "service_inactive": "#ef6c00", "staff_missing": "#6a1b9a", "staff_inactive": "#1565c0"}
BREAKDOWN_COLUMN = {"service": "col_service", "staff": "col_staff", "type": "col_type", "month": "col_month"}
BREAKDOWN_SHEET = {"service": "sheet_service", "staff": "sheet_staff", "type": "sheet_type", "month": "sheet_month"}


def label(key: str, **values: object) -> str:
    """The report's word for ``key`` in the user's language (the key itself if unknown)."""
    return in_language(LABELS.get(key, (key, key)), **values)


# --- numbers and dates, the way the reader writes them ------------------------------------------

def _number(value: float | int, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    if language() == "en":
        return text
    return text.replace(",", "\u202f").replace(".", ",")  # 12 345,6


def _date(day: dt.date) -> str:
    month = MONTHS[language()][day.month - 1]
    if language() == "en":
        return f"{month} {day.day}, {day.year}"
    return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"


def _month(key: str) -> str:
    """``2026-07`` → ``juillet 2026``."""
    try:
        year, month = (int(part) for part in key.split("-"))
        return f"{MONTHS[language()][month - 1]} {year}"
    except (ValueError, IndexError, AttributeError):
        return str(key)


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


# --- tables ---------------------------------------------------------------------------------------

def issues_table(result: AuditResult, *, ids: bool = False) -> pd.DataFrame:
    """What must be fixed, in the audit's order: first what loses items from
    the count, the largest first, then the checks. ``ids`` adds the staff
    members and services involved (the workbook has them)."""
    rows = []
    for issue in result.issues:
        detail = issue.get("detail")
        if issue["kind"] == "availability_attribute_missing":
            detail = label(detail)  # the attribute's name, not its column code
        row = {
            label("col_kind"): label(issue["kind"]),
            label("col_affects"): label("yes" if issue.get("affects_count") else "no"),
            label("col_subject"): issue.get("subject_id") or "",
            label("col_name"): issue.get("subject_name") or "",
            label("col_appointments"): int(issue.get("appointments") or 0),
            label("col_availabilities"): int(issue.get("availabilities") or 0),
            label("col_action"): issue.get("action") or "",
        }
        if ids:
            row[label("col_detail")] = "" if detail is None else detail
            row[label("col_staff_ids")] = ", ".join(issue.get("staff_ids") or [])
            row[label("col_service_ids")] = ", ".join(issue.get("service_ids") or [])
        rows.append(row)
    columns = ["col_kind", "col_affects", "col_subject", "col_name", "col_appointments", "col_availabilities",
               "col_action"] + (["col_detail", "col_staff_ids", "col_service_ids"] if ids else [])
    return pd.DataFrame(rows, columns=[label(c) for c in columns])


def summary_table(result: AuditResult) -> pd.DataFrame:
    """Total, counted, not counted by reason (all five, zeros included) and coverage."""
    sides = [result.counts["appointments"], result.counts["availabilities"]]

    def row(name: str, values: list) -> dict:
        return {label("col_measure"): name, label("col_appointments"): values[0],
                label("col_availabilities"): values[1], label("col_both"): values[2]}

    def both(values: list) -> list:
        return [*values, sum(values)]

    rows = [row(label("row_total"), both([s["total"] for s in sides])),
            row(label("row_counted"), both([s["counted"] for s in sides]))]
    for reason in REASONS:
        rows.append(row(label("row_not_counted", reason=label(reason).lower()),
                        both([s["not_counted"].get(reason, 0) for s in sides])))
    rows.append(row(label("row_coverage"), [_percent(s["counted"], s["total"]) for s in sides]
                    + [result.coverage_pct]))
    return pd.DataFrame(rows, dtype=object)  # counts stay integers next to the coverage row


def breakdown_table(result: AuditResult, name: str, db=None) -> pd.DataFrame:
    """Counted and not, by ``service``, ``staff``, ``type`` or ``month``, the
    lowest coverage first. For ``type``, the labels come from the catalogue of ``db``."""
    if name not in BREAKDOWN_COLUMN:
        raise ValueError(f"unknown breakdown {name!r}: one of {', '.join(BREAKDOWN_COLUMN)}")
    types = type_labels(db) if name == "type" else {}
    rows = []
    for entry in result.breakdowns.get(name, []):
        key = entry["key"]
        row = {label(BREAKDOWN_COLUMN[name]): key}
        if name in ("service", "staff"):
            row[label("col_name")] = entry.get("label") or key
        elif name == "type":
            row[label(BREAKDOWN_COLUMN[name])] = label("no_type") if key == "-" else types.get(key, key)
        else:
            row[label(BREAKDOWN_COLUMN[name])] = _month(key)
        row.update({
            label("col_appointments"): entry["appointments"],
            label("col_appointments_counted"): entry["appointments_counted"],
            label("col_availabilities"): entry["availabilities"],
            label("col_availabilities_counted"): entry["availabilities_counted"],
            label("col_coverage"): float(entry["coverage_pct"]),
        })
        rows.append(row)
    columns = [label(BREAKDOWN_COLUMN[name])] + ([label("col_name")] if name in ("service", "staff") else []) + [
        label(c) for c in ("col_appointments", "col_appointments_counted", "col_availabilities",
                           "col_availabilities_counted", "col_coverage")]
    return pd.DataFrame(rows, columns=columns)


def trend_table(result: AuditResult) -> pd.DataFrame:
    """Coverage of every quarter present in the data, judged with today's catalogue."""
    rows = [{label("col_quarter"): t["quarter"], label("col_items"): t["total"], label("col_counted"): t["counted"],
             label("col_not_counted"): t["total"] - t["counted"], label("col_coverage"): float(t["coverage_pct"])}
            for t in result.trend]
    return pd.DataFrame(rows, columns=[label(c) for c in ("col_quarter", "col_items", "col_counted",
                                                          "col_not_counted", "col_coverage")])


def type_labels(db=None) -> dict[str, str]:
    """Service type code → label in the user's language, from the database's
    catalogue (none if there is no database: codes are shown as they are)."""
    db = store.resolve_db(db)
    if not db.exists():  # never create a database just to read labels
        return {}
    column = "label_en" if language() == "en" else "label_fr"
    with store.reading(db) as con:
        return dict(con.execute(f"SELECT code, {column} FROM service_types").fetchall())


# --- what a notebook cell shows -------------------------------------------------------------------

def period(result: AuditResult):
    """One line: the quarter and its local dates."""
    from IPython.display import Markdown

    last = result.quarter.end.date() - dt.timedelta(days=1)
    return Markdown(label("period", quarter=result.quarter, first=_date(result.quarter.start.date()),
                          last=_date(last)))


def headline(result: AuditResult):
    """One line: coverage and counted / total for each side."""
    from IPython.display import Markdown

    a, v = result.counts["appointments"], result.counts["availabilities"]
    return Markdown(label("headline", coverage=_number(result.coverage_pct, 1),
                          counted=_number(a["counted"] + v["counted"]), total=_number(a["total"] + v["total"]),
                          appointments_counted=_number(a["counted"]), appointments=_number(a["total"]),
                          availabilities_counted=_number(v["counted"]), availabilities=_number(v["total"])))


def show(table: pd.DataFrame, limit: int = SHOWN_ROWS):
    """A static HTML table for the notebook and the HTML report: no index, numbers
    written the reader's way, text escaped; at most ``limit`` rows."""
    from IPython.display import Markdown

    if table.empty:
        return Markdown(label("nothing_to_fix") if label("col_action") in table.columns else label("nothing_to_show"))
    shown = table.head(limit)
    decimal, thousands = (".", ",") if language() == "en" else (",", "\u202f")
    text = [c for c in shown.columns if shown[c].map(lambda v: isinstance(v, str)).all()]
    styler = (shown.style.hide(axis="index")
              .format(precision=1, decimal=decimal, thousands=thousands, escape="html")
              .set_properties(subset=text, **{"text-align": "left"})
              .set_table_styles([{"selector": "th", "props": "text-align: left; vertical-align: bottom;"}]))
    if len(table) > limit:
        styler = styler.set_caption(label("rows_cut", shown=_number(limit), total=_number(len(table))))
    return styler


# --- charts ---------------------------------------------------------------------------------------

def _figure(rows: int, *, width: float = 9.0, per_row: float = 0.32, base: float = 1.6) -> tuple[Figure, object]:
    """A Figure on the Agg canvas (static PNG, no GUI, no pyplot state) and its axes."""
    figure = Figure(figsize=(width, base + per_row * max(rows, 1)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _coverage_bars(axes, names: list[str], values: list[float]) -> None:
    """Horizontal bars of coverage in percent, the value written at the end of each."""
    positions = range(len(names))
    axes.barh(list(positions), values, color=COLOURS["staff_inactive"])
    axes.set_yticks(list(positions), names)
    axes.invert_yaxis()
    axes.set_xlim(0, 112)
    axes.set_xlabel(label("chart_pct"))
    for y, value in zip(positions, values):
        axes.text(value + 1, y, f"{_number(value, 1)} %", va="center", fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)


def coverage_chart(result: AuditResult) -> Figure:
    """Appointments and availabilities: counted, then not counted by reason (stacked)."""
    figure, axes = _figure(2, per_row=0.7, base=1.4)
    sides = [("appointments", label("col_appointments")), ("availabilities", label("col_availabilities"))]
    left = [0, 0]
    for key in ("counted", *REASONS):
        values = [result.counts[side]["counted"] if key == "counted" else result.counts[side]["not_counted"].get(key, 0)
                  for side, _ in sides]
        axes.barh([name for _, name in sides], values, left=left, color=COLOURS[key],
                  label=label("chart_counted") if key == "counted" else label(key))
        left = [a + b for a, b in zip(left, values)]
    axes.invert_yaxis()
    axes.set_title(label("chart_coverage", quarter=result.quarter, coverage=_number(result.coverage_pct, 1)))
    axes.set_xlabel(label("chart_items"))
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def by_type_chart(result: AuditResult, db=None) -> Figure:
    """Coverage by service type."""
    table = breakdown_table(result, "type", db)
    figure, axes = _figure(len(table))
    _coverage_bars(axes, list(table.iloc[:, 0]), list(table[label("col_coverage")]))
    axes.set_title(label("chart_by_type", quarter=result.quarter))
    return figure


def by_staff_chart(result: AuditResult, limit: int = CHART_ROWS) -> Figure:
    """Coverage by staff member, the least covered first (at most ``limit`` bars)."""
    table = breakdown_table(result, "staff")
    shown = table.head(limit)
    figure, axes = _figure(len(shown))
    _coverage_bars(axes, list(shown[label("col_name")]), list(shown[label("col_coverage")]))
    title = (label("chart_by_staff", quarter=result.quarter) if len(table) <= limit else
             label("chart_by_staff_cut", shown=limit, total=_number(len(table)), quarter=result.quarter))
    axes.set_title(title)
    return figure


def trend_chart(result: AuditResult) -> Figure:
    """Coverage per quarter; the audited quarter stands out."""
    table = trend_table(result)
    figure, axes = _figure(0, width=9.0, base=3.6)
    quarters = list(table[label("col_quarter")])
    values = list(table[label("col_coverage")])
    colours = [COLOURS["counted"] if q == str(result.quarter) else "#9e9e9e" for q in quarters]
    axes.bar(quarters, values, color=colours)
    for x, value in enumerate(values):
        axes.text(x, value + 1.5, f"{_number(value, 1)} %", ha="center", fontsize=8)
    axes.set_ylim(0, 112)
    axes.set_ylabel(label("chart_pct"))
    axes.set_title(label("chart_trend"))
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

def write_report(result: AuditResult, db, out_dir, *, as_of=None) -> dict[str, Path]:
    """Write summary.json, issues.xlsx, the executed notebook and its HTML
    into ``out_dir``; return their paths by name."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = store.resolve_db(db).resolve()
    # One reference time for the whole report, so that the notebook's audit is the same as this one.
    as_of_text = parse_as_of(as_of).isoformat(timespec="seconds")
    if not result.breakdowns:
        result = run_audit(db_path, result.quarter, as_of=as_of_text, details=True)
    paths = {
        "summary": out_dir / "summary.json",
        "issues": out_dir / "issues.xlsx",
        "notebook": out_dir / f"audit-{result.quarter}.ipynb",
        "html": out_dir / f"audit-{result.quarter}.html",
    }
    write_summary(result, paths["summary"])
    write_workbook(result, paths["issues"], db=db_path)
    execute_notebook(paths["notebook"], db=db_path, quarter=str(result.quarter), as_of=as_of_text)
    write_html(paths["notebook"], paths["html"], title=label("report_title", quarter=result.quarter))
    return paths


def write_summary(result: AuditResult, path: Path) -> None:
    document = {**result.to_json(), "trend": result.trend,
                "generated_at": dt.datetime.now(LOCAL).isoformat(timespec="seconds")}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def workbook_tables(result: AuditResult, db=None) -> dict[str, pd.DataFrame]:
    """Sheet name → table, in the workbook's order (the problems first)."""
    tables = {label("sheet_issues"): issues_table(result, ids=True), label("sheet_summary"): summary_table(result)}
    for name in ("service", "staff", "type", "month"):
        tables[label(BREAKDOWN_SHEET[name])] = breakdown_table(result, name, db)
    tables[label("sheet_trend")] = trend_table(result)
    return tables


def write_workbook(result: AuditResult, path: Path, db=None) -> None:
    """issues.xlsx: bold frozen headers, filters, readable widths, long text wrapped."""
    from openpyxl.styles import Alignment, Font

    bold, wrapped = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, table in workbook_tables(result, db).items():
            table.to_excel(writer, sheet_name=sheet, index=False)
            worksheet = writer.sheets[sheet]
            for cell in worksheet[1]:
                cell.font = bold
            worksheet.freeze_panes = "A2"
            worksheet.auto_filter.ref = worksheet.dimensions
            for index, column in enumerate(table.columns, start=1):
                longest = max([len(str(column))] + [len(str(v)) for v in table[column].head(5000)])
                letter = worksheet.cell(row=1, column=index).column_letter
                worksheet.column_dimensions[letter].width = min(longest + 2, 70)
                if longest > 70:
                    for (cell,) in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                        cell.alignment = wrapped
                if column == label("col_coverage"):
                    for (cell,) in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                        cell.number_format = "0.0"


def notebook_path() -> Path:
    """The audit notebook of the project (next to the package)."""
    import orchestrator_lib

    return Path(orchestrator_lib.__file__).resolve().parents[1] / "notebooks" / NOTEBOOK


def execute_notebook(output: Path, *, db: Path, quarter: str, as_of: str | None) -> None:
    """Run the audit notebook with papermill (no progress bar) into ``output``."""
    import tempfile

    import papermill
    from traitlets.config import Config

    # The kernel talks over private Unix sockets, not unencrypted localhost TCP.
    with tempfile.TemporaryDirectory(prefix="orchestrator-kernel-") as sockets:
        try:
            papermill.execute_notebook(str(notebook_path()), str(output), kernel_name=KERNEL, progress_bar=False,
                                       parameters={"db": str(db), "quarter": quarter, "as_of": as_of},
                                       config=Config({"KernelManager": {"transport": "ipc", "ip": f"{sockets}/kernel"}}))
        except papermill.PapermillExecutionError as error:
            raise OrchestratorError("report_failed", notebook=output, detail=f"{error.ename}: {error.evalue}") from None


# The lab template without its CDN scripts (require.js, MathJax, Mermaid): the report opens offline.
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
  main { max-width: 1200px; margin: 0 auto; }
  .jp-OutputArea-output table caption { caption-side: bottom; text-align: left; font-style: italic; }
</style>
{%- endblock extra_css -%}
"""


def write_html(notebook: Path, output: Path, *, title: str) -> None:
    """The executed notebook as HTML without code, prompts or parameter cells."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, language_code=language(),
                            extra_loaders=[jinja2.DictLoader({"audit_offline.html.j2": _OFFLINE_TEMPLATE})],
                            template_file="audit_offline.html.j2")
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters"}), enabled=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4),
                                          resources={"metadata": {"name": title}})
    output.write_text(body, encoding="utf-8")
