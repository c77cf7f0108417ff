"""The managers' dashboard, served by Voilà (``notebooks/tableau_de_bord.ipynb``).

Five tabs over the library: *Vue d'ensemble*, *Services*, *Synchronisation*,
*Personnel médical*, *Audit*, and a sixth, *Groupe*, on a dashboard started for a
group of clinics (``orchestrator dashboard --group``). Presentation only: every figure comes from
``audit``, ``catalogue``, ``wizard``, ``history``, ``manual`` and ``report``.
Each tab reads the database when it is shown (short read-only connections, so
other programs can write in between) and says when its figures were read.

A manager acts where they read: an audit issue leads to the control that fixes it
(``Dashboard.go``), a change says what it will do before it is made, every action
shows it is busy and answers next to its button, and nothing decided is lost: the
language switch keeps the wizard as it was, an unapplied wizard is kept in the
database (``wizard.save_draft``) and the browser asks before leaving it.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from .. import history, manual, store
from ..audit import coverage_trend, run_audit
from ..catalogue import catalogue_counts, list_services, list_staff, list_types, missing_staff
from ..errors import OrchestratorError
from ..explain import explain
from ..i18n import N_, _, _n, language, moment, number, quarter, set_language, signed
from ..load import configured_source
from ..periods import Quarter, parse_as_of
from ..wording import (
    action,
    action_with_stake,
    fact,
    load_summary,
    money,
    person,
    role,
    run_kind,
    type_label,
    volunteer,
    when,
)
from .common import (
    CELL_STYLE,
    NUMBER_STYLE,
    TABLE_STYLE,
    _e,
    _error_html,
    _pct,
    _result_html,
    _show,
    button,
    guarded,
    working,
)
from .wizard_view import CatalogueView, WizardView

# pandas tables of the Audit tab, readable: borders, padding; the Styler right-aligns numbers.
AUDIT_TABLE_CSS = (
    "<style>.audit-result table{border-collapse:collapse;margin:0.25em 0 1em}"
    ".audit-result th,.audit-result td{border:1px solid #ccc;padding:0.2em 0.6em;vertical-align:top}</style>"
)
# One title with the language switch on its right; the page reads from 1024 px wide.
PAGE_CSS = (
    "<style>.dashboard-header{align-items:center;justify-content:space-between;flex-wrap:wrap}"
    ".dashboard-header h2{margin:0.3em 0}.dashboard-view{min-width:0;max-width:1400px}"
    ".widget-toggle-button,.widget-button{min-width:fit-content}"
    ".jupyter-widgets.widget-tab>.lm-TabBar .lm-TabBar-tab{flex:0 0 auto;min-width:9em}</style>"
)
TAB_KEYS = (
    N_("tab_overview"),
    N_("tab_services"),
    N_("tab_sync"),
    N_("tab_staff"),
    N_("tab_audit"),
    N_("tab_group"),
)
OVERVIEW, SERVICES, SYNC, STAFF, AUDIT, GROUP = range(6)
GROUP_QUARTERS = 4  # the group tab offers the quarter in progress and the three before it
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
# Issues about a service lead to that service; the others are fixed in the EMR, then synced.
SERVICE_ISSUES = ("service_excluded", "service_inactive", "excluded_with_appointments", "will_reactivate")
ISSUE_ACTIONS_SHOWN = 15
# The overview is drawn 1.3–1.5 s after the page is asked for (bench/dashboard.py).
PREPARE_AFTER_SECONDS = 2.0
# The browser asks before a page with an unapplied wizard is left or reloaded.
LEAVE_GUARD_JS = """
window.addEventListener('beforeunload', function (event) {
  if (document.querySelector('.wizard-unsaved')) { event.preventDefault(); event.returnValue = ''; }
});
"""


def leave_guard():
    """The notebook displays this once: the browser's own « leave this page? » while choices wait."""
    from IPython.display import Javascript

    return Javascript(LEAVE_GUARD_JS)


@dataclass
class Context:
    """What every tab shares: the database, the reference time, what must outlive a language
    switch (``kept``), and ``go(tab, **what)`` to lead the manager to a control."""

    db: store.Location
    as_of: Any = None
    kept: dict = field(default_factory=dict)
    go: Any = None


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
    """A tab: its content, an error box next to its controls; ``refresh()`` reads the database again."""

    def __init__(self, ctx: Context, css: str):
        super().__init__()
        self.ctx = ctx
        self.db = ctx.db
        self.as_of = ctx.as_of
        self.add_class(css)
        self.error = widgets.HTML().add_class(f"{css}-error")
        self.stamp = widgets.HTML()

    def _show_error(self, text: str) -> None:
        self.error.value = _error_html(text) if text else ""

    def _after_error(self, error) -> None:
        pass

    def refresh(self) -> None:
        self.error.value = ""
        self.draw()
        self.stamp.value = f"<small>{_e(_read_at())}</small>"

    def draw(self) -> None:
        raise NotImplementedError

    def focus(self, **what) -> None:
        """Show what ``Dashboard.go`` asks for (a service, a load…)."""


class OverviewPanel(_Panel):
    def __init__(self, ctx: Context):
        super().__init__(ctx, "overview")
        self.first_visit = widgets.HTML().add_class("overview-first-visit")
        self.start = button(_("first_visit_go"), "overview-start", button_style="primary", icon="arrow-right")
        self.start.on_click(lambda _b: self.ctx.go(SYNC))
        self.first_box = widgets.VBox([self.first_visit, self.start])
        self.coverage = widgets.HTML().add_class("overview-coverage")
        self.services = widgets.HTML().add_class("overview-services")
        self.staff = widgets.HTML().add_class("overview-staff")
        self.trend = widgets.Box()
        refresh = button(_("refresh"), "overview-refresh", icon="refresh")
        refresh.on_click(lambda _b: self._refresh())
        self.children = [
            widgets.HBox([refresh, self.stamp], layout=widgets.Layout(align_items="center")),
            self.error,
            self.first_box,
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
        counts = catalogue_counts(self.db)
        imported = counts["active"] + counts["inactive"] + counts["excluded"]
        self.first_visit.value = (
            f"<h4>{_e(_('first_visit_heading'))}</h4><p>{_e(_n('first_visit', counts['pending']))}</p>"
            if not imported and counts["pending"]
            else ""
        )
        _show(self.first_box, not imported and counts["pending"] > 0)
        current = Quarter.of(parse_as_of(self.as_of))
        audits = {q: run_audit(self.db, q, as_of=self.as_of) for q in (current, current.previous())}
        self.coverage.value = "".join(
            f'<div class="coverage-{kind} audit-{audits[q].status}" data-quarter="{q}" '
            f'data-coverage="{"" if audits[q].coverage_pct is None else audits[q].coverage_pct}">'
            f"<b>{_e(_(heading, quarter=quarter(q)))}</b> {_e(_pct(audits[q].coverage_pct))} "
            f"<small>{_e(_n('counted_of_owed', audits[q].counted, owed=audits[q].owed))}</small></div>"
            for kind, heading, q in (
                ("current", N_("coverage_current"), current),
                ("previous", N_("coverage_previous"), current.previous()),
            )
        )
        from ..report import data_seen

        estimate = audits[current].money
        if estimate is not None:  # only at the clinic's own amounts, and said to be an estimate
            self.coverage.value += f'<div class="overview-money">{_e(money(estimate))}</div>'
        self.coverage.value += f'<div class="overview-data"><small>{_e(data_seen(audits[current]))}</small></div>'
        self.services.value = _table(
            [_("services_active"), _("services_inactive"), _("services_excluded"), _("services_pending")],
            [[number(counts[k]) for k in ("active", "inactive", "excluded", "pending")]],
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
    def __init__(self, ctx: Context):
        super().__init__(ctx, "services")
        self.catalogue = CatalogueView(self.db)
        self.service_id = widgets.Combobox(placeholder=_("detail_placeholder"), ensure_option=False)
        self.service_id.add_class("services-detail-id")
        show = button(_("detail_show"), "services-detail-show")
        show.on_click(lambda _b: self._detail())
        self.detail = widgets.HTML().add_class("services-detail")
        self.type_buttons = {
            t["code"]: widgets.ToggleButton(description=type_label(t), layout=widgets.Layout(width="auto")).add_class(
                f"services-type-{t['code']}"
            )
            for t in list_types(self.db)
        }
        self.actions = {name: button(_(key), f"services-{name}") for name, key in MANUAL_ACTIONS.items()}
        for name, action_button in self.actions.items():
            action_button.on_click(lambda _b, name=name: self._ask(name))
        self.confirm_text = widgets.HTML().add_class("services-confirm-text")
        self.confirm = button(_("confirm"), "services-confirm", button_style="warning")
        self.cancel = button(_("cancel"), "services-cancel")
        self.confirm.on_click(lambda _b: self._do())
        self.cancel.on_click(lambda _b: self._ask(None))
        self.confirm_box = widgets.HBox([self.confirm_text, self.confirm, self.cancel])
        self.confirm_box.layout.align_items = "center"
        self.done = widgets.HTML().add_class("services-done")
        self.pending_action: str | None = None
        _show(self.confirm_box, False)
        self.children = [
            self.stamp,
            self.catalogue,
            widgets.HTML(f"<h4>{_e(_('detail_heading'))}</h4>"),
            widgets.HBox([self.service_id, show]),
            self.detail,
            widgets.HBox(list(self.type_buttons.values()), layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox(list(self.actions.values()), layout=widgets.Layout(flex_flow="row wrap")),
            self.confirm_box,
            self.error,
            self.done,
        ]
        if ctx.kept.get("service_id"):
            self.service_id.value = ctx.kept["service_id"]

    def draw(self) -> None:
        self.catalogue.refresh()
        self.service_id.options = tuple(s["service_id"] for s in list_services(self.db))
        if self.service_id.value:
            self._detail()

    def focus(self, service: str | None = None, **_what) -> None:
        if service:
            self.service_id.value = service
            self._detail()

    @guarded
    def _detail(self) -> None:
        self.error.value = self.done.value = ""
        found = explain(self.db, self.service_id.value, as_of=self.as_of)  # any case, a service or a member
        subject = found.get("service_id") or found["staff_id"]
        facts = "".join(f"<div>• {_e(fact(f, subject, found.get('type_labels')))}</div>" for f in found["facts"])
        if found["kind"] == "staff":
            self.detail.value = f"<b>{_e(found['staff_id'])} — {_e(found['name'])}</b>{facts}"
            return
        self.service_id.value = self.ctx.kept["service_id"] = found["service_id"]
        imported = [s for s in list_services(self.db) if s["service_id"] == found["service_id"]]
        types = imported[0]["types"] if imported else []
        for code, toggle in self.type_buttons.items():
            toggle.value = code in types
        self.detail.value = (
            f"<b>{_e(found['service_id'])} — {_e(found['name'])}</b> · "
            f"{_e(_n('future', found['future_appointments']))}{facts}"
        )

    def _chosen_types(self) -> list[str]:
        return [code for code, toggle in self.type_buttons.items() if toggle.value]

    @guarded
    def _ask(self, action_name: str | None) -> None:
        """Before a change: the service's name and what it does to this quarter's count."""
        self.pending_action = action_name
        self.error.value = self.done.value = ""
        if action_name:
            seen = manual.preview(self.db, action_name, self.service_id.value, self._chosen_types(), as_of=self.as_of)
            if not seen["changes"]:
                self.pending_action = None
                self.done.value = _result_html(_("no_change", service_id=seen["service_id"]))
                _show(self.confirm_box, False)
                return
            change = seen["counted_after"] - seen["counted_before"]
            self.confirm_text.value = _e(
                _(
                    "confirm_change",
                    action=_(MANUAL_ACTIONS[action_name]),
                    name=seen["name"],
                    id=seen["service_id"],
                    quarter=quarter(seen["quarter"]),
                    before=seen["counted_before"],
                    after=seen["counted_after"],
                    change=signed(change) if change else "±0",
                )
            )
        _show(self.confirm_box, action_name is not None)

    @guarded
    def _do(self) -> None:
        action_name, service_id = self.pending_action, self.service_id.value.strip()
        _show(self.confirm_box, False)
        self.pending_action = None
        with working(self.confirm, _("working")):
            if action_name == "activate":
                run_id = manual.activate(self.db, service_id, self._chosen_types())
            else:
                run_id = getattr(manual, str(action_name))(self.db, service_id)
        self.refresh()
        done = _("changed", run_id=run_id, service_id=service_id) if run_id else _("no_change", service_id=service_id)
        self.done.value = _result_html(done)


class SyncPanel(_Panel):
    def __init__(self, ctx: Context):
        super().__init__(ctx, "sync")
        self.source = configured_source(self.db)
        self.load_button = button(_("load_export"), "sync-load", icon="download", button_style="primary")
        self.load_button.disabled = not self.source
        self.load_button.tooltip = _("source_is", source=self.source) if self.source else _("no_source_short")
        self.load_button.on_click(lambda _b: self._load())
        self.source_note = widgets.HTML(
            f"<small>{_e(_('source_is', source=self.source))}</small>" if self.source else _error_html(_("no_source"))
        ).add_class("sync-source")
        self.progress = widgets.IntProgress(min=0, max=100, description=_("loading"))
        _show(self.progress, False)
        self.loaded = widgets.HTML().add_class("sync-loaded")
        self.wizard_box = widgets.Box()
        self.history = widgets.HTML().add_class("sync-history")
        self.undo_button = button(_("undo_last"), "sync-undo", icon="undo")
        self.undo_button.on_click(lambda _b: self._ask_undo())
        self.undo_text = widgets.HTML().add_class("sync-undo-text")
        self.undo_confirm = button(_("undo_confirm"), "sync-undo-confirm", button_style="warning")
        self.undo_confirm.on_click(lambda _b: self._undo())
        self.undo_keep = button(_("undo_keep"), "sync-undo-keep")
        self.undo_box: widgets.HBox = widgets.HBox([self.undo_text, self.undo_confirm, self.undo_keep])
        self.undo_keep.on_click(lambda _b: _show(self.undo_box, False))
        self.undo_box.layout.align_items = "center"
        _show(self.undo_box, False)
        self.undo_target: str | None = None
        self.undo_error = widgets.HTML().add_class("sync-undo-error")
        self.children = [
            self.stamp,
            widgets.HBox([self.load_button, self.progress], layout=widgets.Layout(align_items="center")),
            self.source_note,
            self.error,
            self.loaded,
            self.wizard_box,
            widgets.HTML(f"<h4>{_e(_('history_heading'))}</h4>"),
            self.history,
            widgets.HBox([self.undo_button]),
            self.undo_box,
            self.undo_error,
        ]

    @property
    def wizard(self) -> WizardView | None:
        return self.wizard_box.children[0] if self.wizard_box.children else None

    def draw(self) -> None:
        # Built once: leaving the tab and coming back keeps a wizard in progress; so does a
        # language switch, which hands the same engine (kept["wizard"]) to the new view.
        if self.wizard is None:
            view = WizardView(
                self.db,
                self.as_of,
                on_change=self._draw_history,
                wizard=self.ctx.kept.get("wizard"),
                drafts=True,
                undo=False,
            )
            self.ctx.kept["wizard"] = view.wizard
            self.wizard_box.children = [view]
        else:
            self.wizard.reload()
        self._draw_history()

    def focus(self, load: bool = False, **_what) -> None:
        if load and self.source:
            self._load()

    def _draw_history(self) -> None:
        every = history.list_runs(self.db)
        runs = every[:20]
        self.history.value = (
            _table(
                [_("col_run"), _("col_kind"), _("col_when"), _("col_who"), _("col_changes"), _("col_run_state")],
                [
                    [
                        r["run_id"],
                        run_kind(r["kind"]),
                        when(r["applied_at"]),
                        person(r["applied_by"]),
                        number(r["changes"]),
                        _("undone_by", run=r["undone_by"])
                        if r["undone_by"]
                        else (_("undoes", run=r["undoes"]) if r["undoes"] else ""),
                    ]
                    for r in runs
                ],
                numeric={4},
                css="history-table",
                whole={0, 2},
            )
            if runs
            else _e(_("no_runs"))
        )
        _show(self.undo_button, _undoable(every) is not None)

    def _show_undo_error(self, text: str) -> None:
        self.undo_error.value = _error_html(text) if text else ""

    @guarded
    def _ask_undo(self) -> None:
        self.undo_error.value = ""
        run = _undoable(history.list_runs(self.db))  # read now: another program may have made a run since
        if run is None:
            return
        self.undo_target = run["run_id"]
        self.undo_text.value = _e(
            _n(
                "undo_question",
                run["changes"],
                run=run["run_id"],
                kind=run_kind(run["kind"]),
                when=when(run["applied_at"]),
            )
        )
        _show(self.undo_box, True)

    def _undo(self) -> None:
        try:
            with working(self.undo_confirm, _("working")):
                run_id = history.undo(self.db, self.undo_target)
        except Exception as error:  # said next to the undo control, not at the top of the tab
            self._show_undo_error(str(error) if isinstance(error, OrchestratorError) else _("unexpected", detail=error))
            return
        _show(self.undo_box, False)
        self.undo_error.value = _result_html(_("undone", run_id=run_id), run_id=run_id)  # said first, then redrawn
        self.wizard_box.children = []  # the undone run's services are pending again: a fresh wizard
        self.ctx.kept.pop("wizard", None)
        self.refresh()

    @guarded
    def _load(self) -> None:
        from ..load import load_source

        self.error.value = self.loaded.value = ""
        _show(self.progress, True)
        self.progress.value = 0

        def advance(done: int, total: int) -> None:
            self.progress.value = int(100 * done / max(total, 1))

        try:
            with working(self.load_button, _("loading")):
                result = load_source(str(self.source), self.db, progress=advance)
        finally:
            _show(self.progress, False)
        self.refresh()
        lines = ([str(result.read)] if result.read else []) + [load_summary(result)]
        lines += [_("warning", text=w) for w in result.warnings]
        self.loaded.value = _result_html(" ".join(lines))


def _undoable(runs: list[dict]) -> dict | None:
    """The run an undo reverts: the latest one that is neither undone nor an undo itself."""
    return next((r for r in runs if not r["undone_by"] and r["kind"] != "undo"), None)


class StaffPanel(_Panel):
    def __init__(self, ctx: Context):
        super().__init__(ctx, "staff")
        self.where = widgets.HTML(f"<p>{_e(_('staff_where'))}</p>").add_class("staff-where")
        self.sync = button(_("load_export"), "staff-sync", icon="download")
        self.sync.on_click(lambda _b: self.ctx.go(SYNC, load=True))
        self.tabs = widgets.Tab()
        self.missing = widgets.HTML().add_class("staff-missing")
        self.children = [
            self.stamp,
            widgets.HBox([self.where, self.sync], layout=widgets.Layout(align_items="center")),
            self.error,
            self.tabs,
            self.missing,
        ]

    def draw(self) -> None:
        current = Quarter.of(parse_as_of(self.as_of))
        shown_quarter = quarter(current)
        issues = run_audit(self.db, current, as_of=self.as_of).issues
        at_stake = {i["subject_id"]: i for i in issues if i["kind"] in ("staff_inactive", "staff_not_volunteer")}
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
                    volunteer(s["volunteer"]),
                    number(at_stake[s["staff_id"]]["appointments"]) if s["staff_id"] in at_stake else "",
                    number(at_stake[s["staff_id"]]["availabilities"]) if s["staff_id"] in at_stake else "",
                ]
                for s in list_staff(self.db, tab=tab)
            ]
            headers = [_("col_id"), _("col_name"), _("col_license"), _("col_role"), _("col_specialty")]
            headers += [_("col_responsible"), _("col_volunteer")]
            headers += [_("col_appointments_at_stake", quarter=shown_quarter)]
            headers += [_("col_availabilities_at_stake", quarter=shown_quarter)]
            pages.append(widgets.HTML(_table(headers, rows, numeric={7, 8}, css=f"staff-table-{tab}", whole={0, 2})))
        self.tabs.children = pages
        self.tabs.titles = (_("catalogue_active"), _("catalogue_inactive"))
        # Whatever keeps their items out for now, members the items name must exist in Personnel médical.
        with store.reading(self.db) as con:
            rows = [
                [m["staff_id"], quarter(q), number(m["appointments"]), number(m["availabilities"]), _("create_in_emr")]
                for q in (current.previous(), current)
                for m in missing_staff(quarter=q, con=con)
            ]
        self.missing.value = (
            f"<h4>{_e(_('staff_missing_heading'))}</h4>"
            + _table(
                [_("col_id"), _("col_quarter"), _("col_appointments"), _("col_availabilities"), _("col_action")],
                rows,
                numeric={2, 3},
                css="staff-missing-table",
                whole={0, 1},
            )
            if rows
            else ""
        )


class AuditPanel(_Panel):
    def __init__(self, ctx: Context):
        super().__init__(ctx, "audit")
        self.quarter = widgets.Dropdown(description=_("quarter")).add_class("audit-quarter")
        self.quarter.observe(self._on_quarter, names="value")
        self.run = button(_("run_audit"), "audit-run", button_style="primary")
        self.run.on_click(lambda _b: self._run())
        self.report_button = button(_("make_report"), "audit-report", icon="file")
        self.report_button.on_click(lambda _b: self._report())
        self.busy = widgets.HTML().add_class("audit-busy")
        self.downloads = widgets.HTML().add_class("audit-downloads")
        self.first_screen = widgets.HTML().add_class("audit-headline")
        self.issue_actions = widgets.VBox().add_class("audit-issue-actions")
        self.result = widgets.HTML().add_class("audit-result")
        self.children = [
            self.stamp,
            widgets.HBox([self.quarter, self.run, self.report_button], layout=widgets.Layout(align_items="center")),
            self.error,
            self.busy,
            self.downloads,
            self.first_screen,
            self.issue_actions,
            self.result,
        ]

    def draw(self) -> None:
        current = Quarter.of(parse_as_of(self.as_of))
        # Quarters the data holds, none in the future; the one in progress is marked.
        trend = coverage_trend(self.db, self.as_of)
        codes = sorted({t["quarter"] for t in trend if t["quarter"] <= str(current)}, reverse=True) or [str(current)]
        chosen = self.ctx.kept.get("quarter") or self.quarter.value or str(current.previous())
        self.quarter.options = [
            (_("quarter_in_progress", quarter=quarter(code)) if code == str(current) else quarter(code), code)
            for code in codes
        ]
        self.quarter.value = chosen if chosen in codes else codes[0]

    def _on_quarter(self, change) -> None:
        """Another quarter: nothing of the one before may be downloaded as if it were this one."""
        if change["new"] != change["old"]:
            self.ctx.kept["quarter"] = change["new"]
            self.downloads.value = self.first_screen.value = self.result.value = ""
            self.issue_actions.children = []

    @guarded
    def _run(self) -> None:
        from ..report import (
            FIRST_SCREEN_CSS,
            breakdown_table,
            first_screen,
            funnel_table,
            issues_table,
            money_table,
            show,
            summary_table,
        )

        self.error.value = ""
        with working(self.run, _("working")):
            result = run_audit(self.db, self.quarter.value, as_of=self.as_of, details=True)
            self.first_screen.value = f"<style>{FIRST_SCREEN_CSS}</style>" + first_screen(result, self.db).data
            self.issue_actions.children = self._issue_actions(result)
            parts = [
                AUDIT_TABLE_CSS,
                f"<h4>{_e(_n('issues_heading', len(result.issues)))}</h4>",
                show(issues_table(result)).to_html(),
                f"<h4>{_e(_('summary_heading'))}</h4>",
                show(summary_table(result)).to_html(),
            ]
            if result.money is not None:
                parts += [f"<h4>{_e(_('sheet_money'))}</h4>", show(money_table(result)).to_html()]
            for by, heading in (("staff", N_("sheet_funnel_staff")), ("service", N_("sheet_funnel_service"))):
                parts += [f"<h4>{_e(_(heading))}</h4>", show(funnel_table(result, by, compact=True)).to_html()]
            for name, heading in BREAKDOWN_HEADINGS.items():
                parts += [f"<h4>{_e(_(heading))}</h4>", show(breakdown_table(result, name, db=self.db)).to_html()]
            self.result.value = "".join(parts)
        self.last = result

    def _issue_actions(self, result) -> list[widgets.Widget]:
        """The first issues, each with the control that fixes it."""
        if not result.issues:
            return []
        imported = {s["service_id"] for s in list_services(self.db)}
        rows: list[widgets.Widget] = [widgets.HTML(f"<h4>{_e(_('issues_act_heading'))}</h4>")]
        for issue in result.issues[:ISSUE_ACTIONS_SHOWN]:
            subject = issue.get("subject_id")
            if issue["kind"] in SERVICE_ISSUES and subject in imported:
                go = button(_("open_service"), "audit-issue-open")
                go.on_click(lambda _b, sid=subject: self.ctx.go(SERVICES, service=sid))
            elif issue["action_code"] == "service_not_imported":  # pending: the wizard imports it
                go = button(_("open_wizard"), "audit-issue-wizard")
                go.on_click(lambda _b: self.ctx.go(SYNC))
            else:  # fixed in the EMR, then read again
                go = button(_("load_export"), "audit-issue-sync", icon="download")
                go.on_click(lambda _b: self.ctx.go(SYNC, load=True))
            text = widgets.HTML(f"{_e(action_with_stake(issue))}", layout=widgets.Layout(flex="1 1 auto"))
            row = widgets.HBox([text, go], layout=widgets.Layout(align_items="center"))
            row.add_class("audit-issue")
            row.add_class(f"audit-issue-{issue['action_code']}")
            rows.append(row)
        return rows

    @guarded
    def _report(self) -> None:
        from ..report import write_report

        self.error.value = self.downloads.value = ""
        chosen = self.quarter.value
        with working(self.report_button, _("report_busy")):
            result = run_audit(self.db, chosen, as_of=self.as_of, details=True)
            with tempfile.TemporaryDirectory(prefix="orchestrator-report-") as folder:
                paths = write_report(result, self.db, folder, as_of=self.as_of)
                links = [
                    _download(
                        paths["workbook"],
                        _("download", name=paths["workbook"].name),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ),
                    _download(paths["html"], _("download", name=paths["html"].name), "text/html"),
                    _download(paths["items_csv"], _("download_items", name=paths["items_csv"].name), "text/csv"),
                    _download(paths["manifest"], _("download", name=paths["manifest"].name), "application/json"),
                ]
        if self.quarter.value == chosen:  # not another quarter chosen meanwhile
            self.downloads.value = " · ".join(links)


class GroupPanel(_Panel):
    """The group's view, in a store of several clinics: each clinic's coverage, owed and counted
    items and first issue for a quarter, the group's total and its trend (``region``)."""

    def __init__(self, ctx: Context):
        super().__init__(ctx, "group")
        self.quarter = widgets.Dropdown(description=_("quarter")).add_class("group-quarter")
        refresh = button(_("refresh"), "group-refresh", icon="refresh")
        refresh.on_click(lambda _b: self._refresh())
        self.headline = widgets.HTML().add_class("group-headline")
        self.table = widgets.HTML().add_class("group-table")
        self.trend = widgets.Box()
        self._drawing = False
        self.children = [
            widgets.HBox([self.quarter, refresh, self.stamp], layout=widgets.Layout(align_items="center")),
            self.error,
            self.headline,
            self.table,
            widgets.HTML(f"<h4>{_e(_('group_trend_heading'))}</h4>"),
            self.trend,
        ]
        self.quarter.observe(self._on_quarter, names="value")

    @guarded
    def _refresh(self) -> None:
        self.refresh()

    @guarded
    def _on_quarter(self, change) -> None:
        if not self._drawing and change["new"] and change["new"] != change["old"]:
            self.ctx.kept["group_quarter"] = change["new"]
            self.refresh()

    def draw(self) -> None:
        from ..region import run_region
        from ..report import FIRST_SCREEN_CSS, region_first_screen, region_table, show, trend_chart

        current = Quarter.of(parse_as_of(self.as_of))
        codes = [str(current)]
        while len(codes) < GROUP_QUARTERS:
            codes.append(str(Quarter.parse(codes[-1]).previous()))
        chosen = self.ctx.kept.get("group_quarter") or self.quarter.value or str(current.previous())
        self._drawing = True  # the choices set here are no manager's choice
        try:
            self.quarter.options = [
                (_("quarter_in_progress", quarter=quarter(code)) if code == str(current) else quarter(code), code)
                for code in codes
            ]
            self.quarter.value = chosen if chosen in codes else codes[1]
        finally:
            self._drawing = False
        result = run_region(self.db, self.quarter.value, as_of=self.as_of)
        self.headline.value = f"<style>{FIRST_SCREEN_CSS}</style>" + region_first_screen(result).data
        self.table.value = f'{AUDIT_TABLE_CSS}<div class="audit-result">{show(region_table(result)).to_html()}</div>'
        self.trend.children = [_figure_image(trend_chart(result))]


PANELS = (OverviewPanel, ServicesPanel, SyncPanel, StaffPanel, AuditPanel, GroupPanel)


def _download(path: Path, text: str, mime: str) -> str:
    """A link that downloads the file from the page itself: the server serves no file."""
    name = Path(path).name
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<a download="{_e(name)}" href="data:{mime};base64,{data}" class="download-{Path(name).suffix[1:]}">{_e(text)}</a>'


class DashboardView(widgets.VBox):
    """The whole dashboard: one title with the language switch, and the five tabs."""

    def __init__(self, db=None, as_of=None, *, group: bool | None = None):
        """``group``: add the *Groupe* tab, every clinic of the store (default:
        ``$ORCHESTRATOR_GROUP_VIEW``, set by ``orchestrator dashboard --group``). A clinic's
        own dashboard never shows another clinic's figures."""
        super().__init__()
        self.add_class("dashboard-view")
        self.ctx = Context(store.resolve_db(db), as_of, {}, self.go)
        self.db, self.as_of = self.ctx.db, as_of
        self.language = widgets.ToggleButtons(options=[("FR", "fr"), ("EN", "en")], value=language())
        self.language.style.button_width = "4em"
        self.language.add_class("dashboard-language")
        self.language.observe(self._switch_language, names="value")
        self._building = threading.RLock()  # a tab is built by the page's click or by refresh_soon's thread
        if group is None:
            group = bool(os.environ.get("ORCHESTRATOR_GROUP_VIEW"))
        self.shown_panels = PANELS if group else PANELS[:GROUP]
        self._build()

    def _build(self, shown: int = 0) -> None:
        # Only the shown tab is built now; the others on their first visit (the
        # wizard's just after the overview is drawn, by refresh_soon). The page
        # then has few widgets to draw, and the overview appears sooner.
        self.panels: list[_Panel | None] = [None] * len(self.shown_panels)
        self.tabs = widgets.Tab(
            children=[widgets.VBox() for _panel in self.shown_panels],
            titles=[_(k) for k in TAB_KEYS[: len(self.shown_panels)]],
        )
        self.tabs.add_class("dashboard-tabs")
        self.tabs.selected_index = shown
        self.tabs.observe(self._on_tab, names="selected_index")
        default = not self.db.is_lake and self.db.clinic == store.DEFAULT_CLINIC
        heading = _("dashboard_title") if default else _("dashboard_title_clinic", clinic=self.db.clinic)
        title = widgets.HTML(f"{PAGE_CSS}<h2>{_e(heading)}</h2>")
        header = widgets.HBox([title, self.language], layout=widgets.Layout(width="100%"))
        header.add_class("dashboard-header")
        self.children = [header, self.tabs]
        self._show_panel(shown)

    def panel(self, index: int) -> _Panel:
        """The tab's panel, built on first use, and put in its tab."""
        with self._building:
            built = self._prepare(index)
            if self.tabs.children[index] is not built:
                children = list(self.tabs.children)
                children[index] = built
                self.tabs.children = children
            return built

    def _prepare(self, index: int) -> _Panel:
        """The tab's panel, built and drawn if it is not yet, but not put in its tab: the
        page's tabs are only changed by the page's own clicks, never from a thread."""
        with self._building:
            built = self.panels[index]
            if built is None:
                built = self.panels[index] = self.shown_panels[index](self.ctx)
                if index != self.tabs.selected_index:
                    guarded(type(built).refresh)(built)  # drawn now, while hidden
            return built

    overview = property(lambda self: self.panel(OVERVIEW))
    services = property(lambda self: self.panel(SERVICES))
    sync = property(lambda self: self.panel(SYNC))
    staff = property(lambda self: self.panel(STAFF))
    audit = property(lambda self: self.panel(AUDIT))
    group = property(lambda self: self.panel(GROUP))

    def go(self, index: int, **what) -> None:
        """Lead the manager to a tab and what it should show (a service, a load)."""
        if self.tabs.selected_index != index:
            self.tabs.selected_index = index  # draws it (_on_tab)
        panel = self.panel(index)
        guarded(type(panel).focus)(panel, **what)

    def refresh(self) -> None:
        """Read the shown tab's figures again."""
        self._show_panel(self.tabs.selected_index or 0)

    def refresh_soon(self) -> threading.Thread:
        """Refresh from a thread: the kernel stays free to answer the page,
        which draws the (preheated) widgets at once and the new figures after.
        Then, once the page has drawn the overview, the Synchronisation tab is built:
        its wizard has some 900 widgets, made while the manager reads the overview
        instead of after a click (a click before that builds it, as before)."""

        # The tab the page opens on, not the one shown when the thread runs: a tab clicked
        # since was read by its click, and redrawing it from here would race the manager's
        # own clicks (a tick made while the thread fills the wizard's rows would be dropped).
        opened = self.tabs.selected_index or 0

        def work() -> None:
            self._show_panel(opened)
            time.sleep(PREPARE_AFTER_SECONDS)  # the page's own drawing first: it needs the core
            self._prepare(SYNC)

        thread = threading.Thread(target=work, name="dashboard-refresh", daemon=True)
        thread.start()
        return thread

    def _switch_language(self, change) -> None:
        """Everything in the other language, on the same tab, with every choice of the wizard."""
        shown = self.tabs.selected_index or 0
        sync = self.panels[SYNC]
        if sync is not None and sync.wizard is not None:
            self.ctx.kept["wizard"] = sync.wizard.wizard
        set_language(change["new"])
        with self._building:
            self._build(shown)

    def _on_tab(self, change) -> None:
        if change["new"] is not None:
            self._show_panel(change["new"])

    def _show_panel(self, index: int) -> None:
        """Read the tab's figures now: another program may have changed the database."""
        with self._building:
            panel = self.panel(index)
            guarded(type(panel).refresh)(panel)
