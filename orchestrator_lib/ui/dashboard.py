"""The managers' dashboard, served by Voilà (``notebooks/tableau_de_bord.ipynb``).

Five tabs over the library: *Vue d'ensemble*, *Services*, *Synchronisation*,
*Personnel médical*, *Audit*. Presentation only: every figure comes from
``audit``, ``catalogue``, ``wizard``, ``history``, ``manual`` and ``report``.
Each tab reads the database when it is shown (short read-only connections, so
other programs can write in between) and says when its figures were read.
"""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import ipywidgets as widgets

from .. import history, manual, store
from ..audit import coverage_trend, run_audit
from ..catalogue import catalogue_counts, list_services, list_staff, list_types
from ..explain import explain
from ..i18n import N_, _, _n, language, moment, number, quarter, set_language
from ..load import configured_source
from ..periods import Quarter, parse_as_of
from ..wording import action, fact, load_summary, person, role, run_kind, type_label, when
from .common import (
    CELL_STYLE,
    NUMBER_STYLE,
    RESULT_STYLE,
    TABLE_STYLE,
    _e,
    _error_html,
    _pct,
    _show,
    guarded,
)
from .wizard_view import CatalogueView, WizardView

# pandas tables of the Audit tab, readable: borders, padding, numbers on the right.
AUDIT_TABLE_CSS = (
    "<style>.audit-result table{border-collapse:collapse;margin:0.25em 0 1em}"
    ".audit-result th,.audit-result td{border:1px solid #ccc;padding:0.2em 0.6em;text-align:left;"
    "vertical-align:top}.audit-result td:has(> .num),.audit-result td.num{text-align:right}</style>"
)
TAB_KEYS = (N_("tab_overview"), N_("tab_services"), N_("tab_sync"), N_("tab_staff"), N_("tab_audit"))
BREAKDOWN_HEADINGS = {
    "type": N_("by_type"),
    "staff": N_("by_staff"),
    "service": N_("by_service"),
    "month": N_("by_month"),
}
MANUAL_ACTIONS = {
    "activate": N_("manual_activate"),
    "deactivate": N_("manual_deactivate"),
    "exclude": N_("manual_exclude"),
    "include": N_("manual_include"),
}


def _table(
    headers: list[str],
    rows: list[list],
    numeric: frozenset[int] | set[int] = frozenset(),
    css: str = "",
    whole: frozenset[int] | set[int] = frozenset({0}),
) -> str:
    """An HTML table; ``numeric`` columns right-aligned, ``whole`` ones (ids, licence
    numbers: the first column by default) never broken across lines."""

    def style(i: int) -> str:
        return (NUMBER_STYLE if i in numeric else CELL_STYLE) + (";white-space:nowrap" if i in whole else "")

    head = "".join(f'<th style="{CELL_STYLE}">{_e(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{style(i)}">{_e(v)}</td>' for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<table class="{css}" style="{TABLE_STYLE}"><tr>{head}</tr>{body}</table>'


def _read_at() -> str:
    return _("read_at", time=moment(dt.datetime.now(dt.UTC)))


def _figure_image(figure) -> widgets.Image:
    from ..report import figure_png

    return widgets.Image(value=figure_png(figure), format="png", layout=widgets.Layout(max_width="900px"))


class _Panel(widgets.VBox):
    """A tab: an error box, then its content; ``refresh()`` reads the database again."""

    def __init__(self, db, css: str):
        super().__init__()
        self.db = db
        self.add_class(css)
        self.error = widgets.HTML()
        self.stamp = widgets.HTML()

    def _show_error(self, text: str) -> None:
        self.error.value = _error_html(text)

    def _after_error(self, error) -> None:
        pass

    def refresh(self) -> None:
        self.error.value = ""
        self.draw()
        self.stamp.value = f"<small>{_e(_read_at())}</small>"

    def draw(self) -> None:
        raise NotImplementedError


class OverviewPanel(_Panel):
    def __init__(self, db, as_of=None):
        super().__init__(db, "overview")
        self.as_of = as_of
        self.coverage = widgets.HTML().add_class("overview-coverage")
        self.services = widgets.HTML().add_class("overview-services")
        self.staff = widgets.HTML().add_class("overview-staff")
        self.trend = widgets.Box()
        refresh = widgets.Button(
            layout=widgets.Layout(width="auto"), description=_("refresh"), icon="refresh"
        ).add_class("overview-refresh")
        refresh.on_click(lambda _b: self._refresh())
        self.children = [
            self.error,
            widgets.HBox([refresh, self.stamp]),
            self.coverage,
            self.services,
            self.staff,
            widgets.HTML(f"<h4>{_e(_('trend_heading'))}</h4>"),
            self.trend,
        ]

    @guarded
    def _refresh(self) -> None:
        self.refresh()

    def draw(self) -> None:
        current = Quarter.of(parse_as_of(self.as_of))
        audits = {q: run_audit(self.db, q, as_of=self.as_of) for q in (current, current.previous())}
        self.coverage.value = "".join(
            f'<div class="coverage-{kind} audit-{audits[q].status}" data-quarter="{q}" '
            f'data-coverage="{"" if audits[q].coverage_pct is None else audits[q].coverage_pct}">'
            f"<b>{_e(_(heading, quarter=quarter(q)))}</b> {_e(_pct(audits[q].coverage_pct))} "
            f"<small>{_e(_n('counted_of_owed', audits[q].counted, owed=audits[q].owed))}"
            f"</small></div>"
            for kind, heading, q in (
                ("current", N_("coverage_current"), current),
                ("previous", N_("coverage_previous"), current.previous()),
            )
        )
        from ..report import data_seen

        self.coverage.value += f'<div class="overview-data"><small>{_e(data_seen(audits[current]))}</small></div>'
        counts = catalogue_counts(self.db)
        self.services.value = _table(
            [
                _("services_active"),
                _("services_inactive"),
                _("services_excluded"),
                _("services_pending"),
            ],
            [[counts["active"], counts["inactive"], counts["excluded"], counts["pending"]]],
            numeric={0, 1, 2, 3},
            css="overview-services-table",
        )
        problems = [i for i in audits[current].issues if i["kind"].startswith(("staff_", "responsible_", "specialty_"))]
        self.staff.value = f"<h4>{_e(_n('staff_problems', len(problems)))}</h4>" + "".join(
            f"<div>• {_e(action(i))}</div>" for i in problems
        )
        from ..report import trend_chart

        self.trend.children = [
            _figure_image(trend_chart(replace(audits[current], trend=coverage_trend(self.db, self.as_of))))
        ]


class ServicesPanel(_Panel):
    def __init__(self, db, as_of=None):
        super().__init__(db, "services")
        self.as_of = as_of
        self.catalogue = CatalogueView(db)
        self.service_id = widgets.Combobox(placeholder=_("detail_placeholder"), ensure_option=False)
        self.service_id.add_class("services-detail-id")
        show = widgets.Button(layout=widgets.Layout(width="auto"), description=_("detail_show")).add_class(
            "services-detail-show"
        )
        show.on_click(lambda _b: self._detail())
        self.detail = widgets.HTML().add_class("services-detail")
        self.type_buttons = {
            t["code"]: widgets.ToggleButton(description=type_label(t)).add_class(f"services-type-{t['code']}")
            for t in list_types(db)
        }
        self.actions = {
            name: widgets.Button(layout=widgets.Layout(width="auto"), description=_(key)).add_class(f"services-{name}")
            for name, key in MANUAL_ACTIONS.items()
        }
        for name, button in self.actions.items():
            button.on_click(lambda _b, name=name: self._ask(name))
        self.confirm_text = widgets.HTML()
        self.confirm = widgets.Button(
            layout=widgets.Layout(width="auto"), description=_("confirm"), button_style="warning"
        ).add_class("services-confirm")
        self.cancel = widgets.Button(layout=widgets.Layout(width="auto"), description=_("cancel")).add_class(
            "services-cancel"
        )
        self.confirm.on_click(lambda _b: self._do())
        self.cancel.on_click(lambda _b: self._ask(None))
        self.confirm_box = widgets.HBox([self.confirm_text, self.confirm, self.cancel])
        self.pending_action: str | None = None
        _show(self.confirm_box, False)
        self.children = [
            self.error,
            self.stamp,
            self.catalogue,
            widgets.HTML(f"<h4>{_e(_('detail_heading'))}</h4>"),
            widgets.HBox([self.service_id, show]),
            self.detail,
            widgets.HBox(list(self.type_buttons.values())),
            widgets.HBox(list(self.actions.values())),
            self.confirm_box,
        ]

    def draw(self) -> None:
        self.catalogue.refresh()
        self.service_id.options = tuple(s["service_id"] for s in list_services(self.db))
        if self.service_id.value:
            self._detail()

    @guarded
    def _detail(self) -> None:
        self.error.value = ""
        found = explain(self.db, self.service_id.value, as_of=self.as_of)  # any case, a service or a member
        facts = "".join(
            f"<div>• {_e(fact(f, found.get('service_id') or found['staff_id'], found.get('type_labels')))}</div>"
            for f in found["facts"]
        )
        if found["kind"] == "staff":
            self.detail.value = f"<b>{_e(found['staff_id'])} — {_e(found['name'])}</b>{facts}"
            return
        self.service_id.value = found["service_id"]
        imported = [s for s in list_services(self.db) if s["service_id"] == found["service_id"]]
        types = imported[0]["types"] if imported else []
        for code, button in self.type_buttons.items():
            button.value = code in types
        self.detail.value = (
            f"<b>{_e(found['service_id'])} — {_e(found['name'])}</b> · "
            f"{_e(_n('future', found['future_appointments']))}{facts}"
        )

    def _ask(self, action: str | None) -> None:
        self.pending_action = action
        if action:
            self.confirm_text.value = _e(
                _("confirm_question", action=_(MANUAL_ACTIONS[action]), service=self.service_id.value)
            )
        _show(self.confirm_box, action is not None)

    @guarded
    def _do(self) -> None:
        action, service_id = self.pending_action, self.service_id.value.strip()
        self._ask(None)
        if action == "activate":
            types = [code for code, button in self.type_buttons.items() if button.value]
            run_id = manual.activate(self.db, service_id, types)
        else:
            run_id = getattr(manual, str(action))(self.db, service_id)
        self.refresh()
        done = _("changed", run_id=run_id, service_id=service_id) if run_id else _("no_change", service_id=service_id)
        self.detail.value = f'<div style="{RESULT_STYLE}">{_e(done)}</div>' + self.detail.value


class SyncPanel(_Panel):
    def __init__(self, db, as_of=None):
        super().__init__(db, "sync")
        self.as_of = as_of
        self.source = configured_source()
        load = widgets.Button(
            layout=widgets.Layout(width="auto"), description=_("load_export"), icon="download"
        ).add_class("sync-load")
        load.disabled = not self.source
        load.tooltip = self.source or ""
        load.on_click(lambda _b: self._load())
        self.load_button = load
        self.progress = widgets.IntProgress(min=0, max=100, description=_("loading"))
        _show(self.progress, False)
        self.loaded = widgets.HTML().add_class("sync-loaded")
        self.wizard_box = widgets.Box()
        self.history = widgets.HTML().add_class("sync-history")
        undo = widgets.Button(layout=widgets.Layout(width="auto"), description=_("undo_last")).add_class("sync-undo")
        undo.on_click(lambda _b: self._undo())
        self.children = [
            self.error,
            self.stamp,
            widgets.HBox([load, self.progress]),
            self.loaded,
            self.wizard_box,
            widgets.HTML(f"<h4>{_e(_('history_heading'))}</h4>"),
            self.history,
            undo,
        ]

    def draw(self) -> None:
        # Built once: leaving the tab and coming back keeps a wizard in progress.
        if not self.wizard_box.children:
            self.wizard_box.children = [WizardView(self.db, self.as_of, on_change=self._draw_history)]
        else:
            self.wizard_box.children[0].reload()
        self._draw_history()

    def _draw_history(self) -> None:
        runs = history.list_runs(self.db)[:20]
        self.history.value = (
            _table(
                [
                    _("col_run"),
                    _("col_kind"),
                    _("col_when"),
                    _("col_who"),
                    _("col_changes"),
                    _("col_run_state"),
                ],
                [
                    [
                        r["run_id"],
                        run_kind(r["kind"]),
                        when(r["applied_at"]),
                        person(r["applied_by"]),
                        r["changes"],
                        _("undone_by", run=r["undone_by"])
                        if r["undone_by"]
                        else (_("undoes", run=r["undoes"]) if r["undoes"] else ""),
                    ]
                    for r in runs
                ],
                numeric={4},
                css="history-table",
            )
            if runs
            else _e(_("no_runs"))
        )

    @guarded
    def _undo(self) -> None:
        run_id = history.undo(self.db)
        self.wizard_box.children = []  # the undone run's services are pending again: a fresh wizard
        self.refresh()
        self.loaded.value = f'<div style="{RESULT_STYLE}">{_e(_("undone", run_id=run_id))}</div>'

    @guarded
    def _load(self) -> None:
        from ..load import load_source

        _show(self.progress, True)
        self.progress.value = 0

        def advance(done: int, total: int) -> None:
            self.progress.value = int(100 * done / max(total, 1))

        try:
            result = load_source(str(self.source), self.db, progress=advance)
        finally:
            _show(self.progress, False)
        self.refresh()
        lines = ([str(result.read)] if result.read else []) + [load_summary(result)]
        lines += [_("warning", text=w) for w in result.warnings]
        self.loaded.value = f'<div style="{RESULT_STYLE}">{"<br>".join(_e(line) for line in lines)}</div>'


class StaffPanel(_Panel):
    def __init__(self, db, as_of=None):
        super().__init__(db, "staff")
        self.as_of = as_of
        self.tabs = widgets.Tab()
        self.missing = widgets.HTML().add_class("staff-missing")
        self.children = [self.error, self.stamp, self.tabs, self.missing]

    def draw(self) -> None:
        this_quarter = Quarter.of(parse_as_of(self.as_of))
        shown_quarter = quarter(this_quarter)
        issues = run_audit(self.db, this_quarter).issues
        at_stake = {i["subject_id"]: i for i in issues if i["kind"] in ("staff_inactive", "staff_missing")}
        pages = []
        for tab in ("active", "inactive"):
            rows = [
                [
                    s["staff_id"],
                    s["name"],
                    s["license"] or "",
                    role(s["role"]),
                    (s["specialty"] or "") + ("" if s["primary_care"] else f" — {_('not_handled')}"),
                    _("yes") if s["responsible"] else "",
                    at_stake.get(s["staff_id"], {}).get("appointments", ""),
                    at_stake.get(s["staff_id"], {}).get("availabilities", ""),
                ]
                for s in list_staff(self.db, tab=tab)
            ]
            pages.append(
                widgets.HTML(
                    _table(
                        [
                            _("col_id"),
                            _("col_name"),
                            _("col_license"),
                            _("col_role"),
                            _("col_specialty"),
                            _("col_responsible"),
                            _("col_appointments_at_stake", quarter=shown_quarter),
                            _("col_availabilities_at_stake", quarter=shown_quarter),
                        ],
                        rows,
                        numeric={6, 7},
                        css=f"staff-table-{tab}",
                        whole={0, 2},
                    )
                )
            )
        self.tabs.children = pages
        self.tabs.titles = (_("catalogue_active"), _("catalogue_inactive"))
        missing = [i for i in issues if i["kind"] == "staff_missing"]
        self.missing.value = (
            (
                f"<h4>{_e(_('staff_missing_heading'))}</h4>"
                + _table(
                    [_("col_id"), _("col_appointments"), _("col_availabilities"), _("col_action")],
                    [
                        [i["subject_id"], number(i["appointments"]), number(i["availabilities"]), action(i)]
                        for i in missing
                    ],
                    numeric={1, 2},
                )
            )
            if missing
            else ""
        )


class AuditPanel(_Panel):
    def __init__(self, db, as_of=None):
        super().__init__(db, "audit")
        self.as_of = as_of
        self.quarter = widgets.Dropdown(description=_("quarter")).add_class("audit-quarter")
        run = widgets.Button(
            layout=widgets.Layout(width="auto"), description=_("run_audit"), button_style="primary"
        ).add_class("audit-run")
        run.on_click(lambda _b: self._run())
        self.report_button = widgets.Button(
            layout=widgets.Layout(width="auto"), description=_("make_report"), icon="file"
        ).add_class("audit-report")
        self.report_button.on_click(lambda _b: self._report())
        self.busy = widgets.HTML()
        self.downloads = widgets.HTML().add_class("audit-downloads")
        self.result = widgets.HTML().add_class("audit-result")
        self.children = [
            self.error,
            self.stamp,
            widgets.HBox([self.quarter, run, self.report_button]),
            self.busy,
            self.downloads,
            self.result,
        ]

    def draw(self) -> None:
        current = Quarter.of(parse_as_of(self.as_of))
        trend = coverage_trend(self.db, self.as_of)  # the quarters present in the data, none in the future
        quarters = sorted({t["quarter"] for t in trend} | {str(current), str(current.previous())}, reverse=True)
        chosen = self.quarter.value or str(current.previous())
        self.quarter.options = [(quarter(q), q) for q in quarters]
        self.quarter.value = chosen if chosen in quarters else quarters[0]

    @guarded
    def _run(self) -> None:
        from ..report import FIRST_SCREEN_CSS, breakdown_table, first_screen, issues_table, summary_table

        result = run_audit(self.db, self.quarter.value, as_of=self.as_of, details=True)
        parts = [
            AUDIT_TABLE_CSS,
            f"<style>{FIRST_SCREEN_CSS}</style>",
            first_screen(result, self.db).data,
            f"<h4>{_e(_n('issues_heading', len(result.issues)))}</h4>",
            issues_table(result).to_html(index=False, classes="audit-issues", border=0),
            f"<h4>{_e(_('summary_heading'))}</h4>",
            summary_table(result).to_html(index=False, border=0),
        ]
        for name, heading in BREAKDOWN_HEADINGS.items():
            parts += [
                f"<h4>{_e(_(heading))}</h4>",
                breakdown_table(result, name, db=self.db).to_html(index=False, border=0),
            ]
        self.result.value = "".join(parts)
        self.last = result

    @guarded
    def _report(self) -> None:
        from ..report import write_report

        self.busy.value = f"<i>{_e(_('report_busy'))}</i>"
        try:
            result = run_audit(self.db, self.quarter.value, as_of=self.as_of, details=True)
            with tempfile.TemporaryDirectory(prefix="orchestrator-report-") as folder:
                paths = write_report(result, self.db, folder, as_of=self.as_of)
                links = [
                    _download(
                        paths["workbook"],
                        paths["workbook"].name,
                        _("download_xlsx"),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ),
                    _download(paths["html"], paths["html"].name, _("download_html"), "text/html"),
                ]
        finally:
            self.busy.value = ""
        self.downloads.value = " · ".join(links)


PANELS = (OverviewPanel, ServicesPanel, SyncPanel, StaffPanel, AuditPanel)


def _download(path: Path, name: str, text: str, mime: str) -> str:
    """A link that downloads the file from the page itself: the server serves no file."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<a download="{_e(name)}" href="data:{mime};base64,{data}" class="download-{Path(name).suffix[1:]}">{_e(text)}</a>'


class DashboardView(widgets.VBox):
    """The whole dashboard: a title, a language switch and the five tabs."""

    def __init__(self, db=None, as_of=None):
        super().__init__()
        self.db = store.resolve_db(db)
        self.as_of = as_of
        self.language = widgets.ToggleButtons(options=[("FR", "fr"), ("EN", "en")], value=language())
        self.language.add_class("dashboard-language")
        self.language.observe(self._switch_language, names="value")
        self._build()

    def _build(self, shown: int = 0) -> None:
        # Only the first tab is built now; the others on their first visit. The
        # page then has few widgets to draw, and the overview appears sooner.
        self.panels: list[_Panel | None] = [None] * len(PANELS)
        self.tabs = widgets.Tab(children=[widgets.VBox() for _panel in PANELS], titles=[_(k) for k in TAB_KEYS])
        self.tabs.add_class("dashboard-tabs")
        self.tabs.observe(self._on_tab, names="selected_index")
        title = widgets.HTML(f"<h2>{_e(_('dashboard_title'))}</h2>")
        self.children = [widgets.HBox([title, self.language]), self.tabs]
        self.tabs.selected_index = shown
        self._show_panel(shown)

    def panel(self, index: int) -> _Panel:
        """The tab's panel, built on first use."""
        built = self.panels[index]
        if built is None:
            built = self.panels[index] = PANELS[index](self.db, self.as_of)
            children = list(self.tabs.children)
            children[index] = built
            self.tabs.children = children
        return built

    overview = property(lambda self: self.panel(0))
    services = property(lambda self: self.panel(1))
    sync = property(lambda self: self.panel(2))
    staff = property(lambda self: self.panel(3))
    audit = property(lambda self: self.panel(4))

    def refresh(self) -> None:
        """Read the shown tab's figures again."""
        self._show_panel(self.tabs.selected_index or 0)

    def refresh_soon(self) -> threading.Thread:
        """Refresh from a thread: the kernel stays free to answer the page,
        which draws the (preheated) widgets at once and the new figures after."""
        thread = threading.Thread(target=self.refresh, name="dashboard-refresh", daemon=True)
        thread.start()
        return thread

    def _switch_language(self, change) -> None:
        shown = self.tabs.selected_index or 0
        set_language(change["new"])
        self._build(shown)

    def _on_tab(self, change) -> None:
        if change["new"] is not None:
            self._show_panel(change["new"])

    def _show_panel(self, index: int) -> None:
        """Read the tab's figures now: another program may have changed the database."""
        panel = self.panel(index)
        guarded(type(panel).refresh)(panel)
