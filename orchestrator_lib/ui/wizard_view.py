"""ipywidgets views: the synchronisation wizard (docs/rules.md, the wizard) and the catalogue tabs.

Only presentation lives here. Lists, counts, choices, the plan, the what-if,
apply, undo and explanations all come from the engine
(``wizard.Wizard``, ``explain.explain``, ``catalogue.list_services``,
``history.undo``); this module never decides which service goes where.

Speed: the list of a step is drawn into a fixed pool of ``PAGE_SIZE`` row
widgets whose text, value and visibility are updated in place, so a keystroke
in the search box costs one ``Wizard.search`` (a scan of pre-folded strings)
plus at most ``PAGE_SIZE`` trait updates, whatever the number of services.
Nothing derived from the wizard is cached between two draws.
"""

from __future__ import annotations

import contextlib
import logging
from contextlib import contextmanager

import ipywidgets as widgets

from .. import history
from ..catalogue import list_services, list_types
from ..errors import OrchestratorError
from ..explain import explain
from ..i18n import N_, _, _n, moment, number, quarter, signed
from ..wizard import APPLY, EXCLUDE, INACTIVE, TYPES, Wizard, drop_draft, read_draft, save_draft
from ..wording import fact, sync_summary, type_label
from ..wording import state as state_word
from .common import (
    CELL_STYLE,
    NUMBER_STYLE,
    RESULT_STYLE,
    TABLE_STYLE,
    _a,
    _e,
    _error_html,
    _pct,
    _show,
    guarded,
    working,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 25  # rows of the wizard's fixed pool
CATALOGUE_MAX_ROWS = 200  # rows of a catalogue table before asking to refine the search
SUMMARY_MAX_IDS = 50  # services named in each list of the Apply summary

STEP_TITLES = {EXCLUDE: N_("title_1"), INACTIVE: N_("title_2"), TYPES: N_("title_3"), APPLY: N_("title_4")}
CATALOGUE_TABS = {"active": N_("catalogue_active"), "inactive": N_("catalogue_inactive")}
STEP_HELP = {EXCLUDE: N_("help_1"), INACTIVE: N_("help_2"), TYPES: N_("help_3"), APPLY: N_("help_4")}

# --- the wizard ---------------------------------------------------------------------


class WizardRow(widgets.HBox):
    """One reusable line of the wizard's list: a checkbox (steps 1 and 2), or the
    service name and one toggle per type (step 3); a note; a « ? » button."""

    def __init__(self, view: WizardView, index: int):
        self.view = view
        self.index = index
        self.service_id: str | None = None
        self.check = widgets.Checkbox(value=False, indent=False, layout=widgets.Layout(width="30em"))
        self.check.add_class("wizard-row-check")
        self.check.observe(self._on_check, "value")
        self.name = widgets.HTML(layout=widgets.Layout(width="22em"))
        self.name.add_class("wizard-row-name")
        self.types_box = widgets.HBox()
        self.types_box.add_class("wizard-row-types")
        self.type_buttons: dict[str, widgets.ToggleButton] = {}
        self.note = widgets.HTML()
        self.note.add_class("wizard-row-note")
        self.why = widgets.Button(description=_("why"), tooltip=_("why_tooltip"), layout=widgets.Layout(width="2.5em"))
        self.why.add_class("wizard-why")
        self.why.on_click(self._on_why)
        super().__init__(
            [self.check, self.name, self.types_box, self.note, self.why], layout=widgets.Layout(align_items="center")
        )
        self.add_class("wizard-row")

    # Ticking a row in tests and notebooks: ``row.value = True``.
    @property
    def value(self) -> bool:
        return self.check.value

    @value.setter
    def value(self, ticked: bool) -> None:
        self.check.value = ticked

    def set_types(self, catalogue: list[dict]) -> None:
        """One toggle per type of ``catalogue`` (built once, again only if the catalogue changes)."""
        buttons = {}
        for entry in catalogue:
            button = widgets.ToggleButton(
                value=False, description=type_label(entry), tooltip=entry["code"], layout=widgets.Layout(width="auto")
            )
            button.add_class("wizard-type")
            button.add_class(f"wizard-type-{entry['code']}")
            button.observe(lambda change, code=entry["code"]: self._on_type(code, change), "value")
            buttons[entry["code"]] = button
        self.type_buttons = buttons
        self.types_box.children = tuple(buttons.values())

    def _on_check(self, change) -> None:
        self.view._row_checked(self, change["new"])

    def _on_type(self, code: str, change) -> None:
        self.view._row_type_toggled(self, code, change["new"])

    def _on_why(self, _button) -> None:
        self.view._explain(self.service_id)


class WizardView(widgets.VBox):
    """The synchronisation wizard as widgets: ``WizardView(db, as_of=...)``."""

    def __init__(
        self,
        db=None,
        as_of=None,
        *,
        user: str | None = None,
        catalogue: CatalogueView | None = None,
        page_size: int = PAGE_SIZE,
        on_change=None,
        wizard: Wizard | None = None,
        drafts: bool = False,
        undo: bool = True,
    ):
        """``wizard``: an engine to go on with (the dashboard's language switch hands it over, with
        its step and choices); ``drafts``: keep the choices in the database at each change and offer
        them again after a reload (``wizard.save_draft``); ``undo``: an undo button after Apply (the
        dashboard has its own, under the history)."""
        self.db = db
        self.drafts = drafts
        self.offer_undo = undo
        self.as_of = as_of
        self.user = user
        self.catalogue = catalogue
        self.on_change = on_change  # called after an apply or an undo (e.g. to redraw a history)
        self.page_size = page_size
        self.page = 0
        self.last_run_id: str | None = None
        self._syncing_depth = 0
        self._type_codes: list[str] | None = None

        self.title = widgets.HTML()
        self.title.add_class("wizard-title")
        self.instruction = widgets.HTML()
        self.instruction.add_class("wizard-instruction")
        self.counts_label = widgets.HTML()
        self.counts_label.add_class("wizard-counts")
        self.error = widgets.HTML()
        self.error.add_class("wizard-error")
        self.reload_button = widgets.Button(
            description=_("reload_wizard"), icon="refresh", layout=widgets.Layout(width="auto")
        )
        self.reload_button.add_class("wizard-reload")
        self.reload_button.on_click(lambda _b: self.reload())
        self.draft_note = widgets.HTML()
        self.draft_note.add_class("wizard-draft-note")
        self.drop_button = widgets.Button(description=_("draft_drop"), layout=widgets.Layout(width="auto"))
        self.drop_button.add_class("wizard-draft-drop")
        self.drop_button.on_click(self._on_drop_draft)
        self.draft_box = widgets.HBox([self.draft_note, self.drop_button], layout=widgets.Layout(align_items="center"))

        self.search_box = widgets.Text(
            value="",
            placeholder=_("search_placeholder"),
            continuous_update=True,
            layout=widgets.Layout(width="30em"),
        )
        self.search_box.add_class("wizard-search")
        self.search_box.observe(self._on_search, "value")

        self.rows = [WizardRow(self, i) for i in range(page_size)]
        self.rows_box = widgets.VBox(self.rows)
        self.rows_box.add_class("wizard-rows")

        self.page_previous = widgets.Button(
            description=_("page_previous"),
            tooltip=_("page_previous_tooltip"),
            layout=widgets.Layout(width="3em"),
        )
        self.page_previous.add_class("wizard-page-previous")
        self.page_previous.on_click(self._on_page_previous)
        self.page_next = widgets.Button(
            description=_("page_next"), tooltip=_("page_next_tooltip"), layout=widgets.Layout(width="3em")
        )
        self.page_next.add_class("wizard-page-next")
        self.page_next.on_click(self._on_page_next)
        self.page_label = widgets.HTML()
        self.page_label.add_class("wizard-page-label")
        self.pager = widgets.HBox(
            [self.page_previous, self.page_label, self.page_next], layout=widgets.Layout(align_items="center")
        )

        self.why_box = widgets.Text(placeholder=_("why_any_placeholder"), layout=widgets.Layout(width="22em"))
        self.why_box.add_class("wizard-why-id")
        self.why_button = widgets.Button(description=_("why_any"))
        self.why_button.add_class("wizard-why-any")
        self.why_button.on_click(self._on_why_any)
        self.explanation = widgets.HTML()
        self.explanation.add_class("wizard-explanation")
        self.why_bar = widgets.HBox([self.why_box, self.why_button])

        self.list_panel = widgets.VBox([self.search_box, self.rows_box, self.pager, self.why_bar, self.explanation])
        self.summary = widgets.HTML()
        self.summary.add_class("wizard-summary")

        self.previous_button = widgets.Button(description=_("previous"), icon="arrow-left")
        self.previous_button.add_class("wizard-previous")
        self.previous_button.on_click(self._on_previous)
        self.next_button = widgets.Button(description=_("next"), button_style="primary")
        self.next_button.add_class("wizard-next")
        self.next_button.on_click(self._on_next)
        self.apply_button = widgets.Button(description=_("apply"), button_style="success", icon="check")
        self.apply_button.add_class("wizard-apply")
        self.apply_button.on_click(self._on_apply)
        self.nav = widgets.HBox([self.previous_button, self.next_button, self.apply_button])

        self.result = widgets.HTML()
        self.result.add_class("wizard-result")
        self.undo_button = widgets.Button(description=_("undo"), button_style="warning", icon="undo")
        self.undo_button.add_class("wizard-undo")
        self.undo_button.on_click(self._on_undo)
        self.result_panel = widgets.VBox([self.result, self.undo_button])

        # Errors and results next to the buttons that caused them (under the list, above Previous / Apply).
        super().__init__(
            [
                self.title,
                self.instruction,
                self.counts_label,
                self.draft_box,
                self.list_panel,
                self.summary,
                self.error,
                self.reload_button,
                self.nav,
                self.result_panel,
            ]
        )
        self.add_class("wizard-view")
        _show(self.result_panel, False)
        _show(self.draft_box, False)
        self._show_error("")

        self.wizard: Wizard | None = wizard
        if wizard is None:
            try:
                self.wizard = Wizard(db, as_of=as_of, user=user)
                self._restore_draft()
            except OrchestratorError as error:
                self._show_error(str(error))
        # What the draft holds now: a redraw that changes nothing writes nothing.
        self._saved = (self.wizard.step, self.wizard.choices()) if self.wizard is not None else None
        self._render()

    @property
    def _engine(self) -> Wizard:
        """The wizard, for the handlers of a view that has one (a view whose wizard
        could not be built shows only its error and offers no action)."""
        if self.wizard is None:
            raise RuntimeError("this view has no wizard")
        return self.wizard

    # -- drawing ---------------------------------------------------------------------
    @contextmanager
    def _syncing(self):
        """While the view writes into its widgets, their observers must not act."""
        self._syncing_depth += 1
        try:
            yield
        finally:
            self._syncing_depth -= 1

    def _render(self) -> None:
        """Everything: header, list or summary, buttons."""
        wizard = self.wizard
        if wizard is None:
            for widget in (self.title, self.instruction, self.counts_label):
                widget.value = ""
            for widget in (self.list_panel, self.summary, self.nav):
                _show(widget, False)
            return
        step = wizard.step
        self._ensure_type_buttons()
        with self._syncing():
            self.title.value = f"<h3>{_e(_(STEP_TITLES[step]))}</h3>"
            self.instruction.value = f"<p>{_e(_(STEP_HELP[step]))}</p>"
            self._render_counts()
            _show(self.list_panel, step != APPLY)
            _show(self.summary, step == APPLY)
            _show(self.nav, True)
            self.previous_button.disabled = step == EXCLUDE
            _show(self.next_button, step != APPLY)
            _show(self.apply_button, step == APPLY)
            self.apply_button.disabled = False
            if step == APPLY:
                self._render_summary()
            else:
                self.summary.value = ""
                self._render_list()

    def _render_counts(self) -> None:
        counts = self._engine.counts()
        parts = []
        for step in (EXCLUDE, INACTIVE, TYPES):
            text = _e(_("step_count", step=step, count=_n("n_services", counts[step])))
            parts.append(f"<b>{text}</b>" if step == self._engine.step else text)
        self.counts_label.value = " · ".join(parts)

    def _render_list(self) -> None:
        """The visible page of the current step's list, into the fixed row pool."""
        wizard = self._engine
        step = wizard.step
        text = self.search_box.value
        found = wizard.search(step, text)
        total = len(found)
        pages = max(1, -(-total // self.page_size))
        self.page = min(max(self.page, 0), pages - 1)
        first = self.page * self.page_size
        visible = found[first : first + self.page_size]
        with self._syncing():
            for i, row in enumerate(self.rows):
                if i < len(visible):
                    self._fill_row(row, visible[i], step)
                else:
                    row.service_id = None
                    _show(row, False)
            if total:
                page_text = _("page", first=first + 1, last=first + len(visible), total=total)
            elif text.strip():
                page_text = _("page_empty_search", text=text.strip())
            else:
                page_text = _("page_empty")
            # Set after the rows, and marked with the step: once the page shows it, the rows are current.
            self.page_label.value = f'<span data-step="{step}">{_e(page_text)}</span>'
            self.page_previous.disabled = self.page == 0
            self.page_next.disabled = self.page >= pages - 1

    def _fill_row(self, row: WizardRow, service, step: int) -> None:
        wizard = self._engine
        sid = service.service_id
        row.service_id = sid
        notes = []
        if service.imported:
            notes.append(_("imported", state=state_word(service.status or "inactive", service.excluded)))
        if service.future_appointments:
            notes.append(_n("future", service.future_appointments))
        row.note.value = f'<span style="color:#666">{_e(" · ".join(notes))}</span>' if notes else ""
        if step == TYPES:
            _show(row.check, False)
            _show(row.name, True)
            _show(row.types_box, True)
            row.name.value = f"<b>{_e(sid)}</b> {_e(service.name)}"
            chosen = set(wizard.types_of(sid))
            for code, button in row.type_buttons.items():
                button.value = code in chosen
                button.button_style = "info" if code in chosen else ""
        else:
            _show(row.check, True)
            _show(row.name, False)
            _show(row.types_box, False)
            row.check.description = f"{sid} — {service.name}"
            row.check.value = sid in (wizard.excluded if step == EXCLUDE else wizard.kept_inactive)
        _show(row, True)

    def _ensure_type_buttons(self) -> None:
        codes = [entry["code"] for entry in self._engine.type_catalogue]
        if codes != self._type_codes:
            for row in self.rows:
                row.set_types(self._engine.type_catalogue)
            self._type_codes = codes

    def _render_summary(self) -> None:
        wizard = self._engine
        summary = wizard.plan().summary()
        impact = wizard.what_if()
        self.summary.value = self._summary_html(summary) + self._what_if_html(impact)

    def _names(self, ids: list[str]) -> str:
        if not ids:
            return f"<i>{_e(_('none'))}</i>"
        services = self._engine.services
        shown = [
            f"{_e(sid)} {_e(services[sid].name) if sid in services else ''}".strip() for sid in ids[:SUMMARY_MAX_IDS]
        ]
        more = len(ids) - len(shown)
        return ", ".join(shown) + (f" {_e(_n('and_more', more))}" if more > 0 else "")

    def _summary_html(self, summary: dict) -> str:
        counts = "".join(
            f'<tr><th style="{CELL_STYLE}">{_e(_(key))}</th><td style="{NUMBER_STYLE}">{len(summary[field])}</td></tr>'
            for key, field in (
                (N_("final_active"), "active"),
                (N_("final_inactive"), "inactive"),
                (N_("final_excluded"), "excluded"),
                (N_("auto_reactivated"), "auto_reactivated"),
                (N_("auto_deactivated"), "auto_deactivated"),
            )
        )
        return (
            f"<h4>{_e(_('summary_final'))}</h4>"
            f'<table class="wizard-summary-counts" style="{TABLE_STYLE}">{counts}</table>'
            f'<p class="wizard-auto-reactivated"><b>{_e(_("label_colon", heading=_("auto_reactivated")))}</b> '
            f"{self._names(summary['auto_reactivated'])}</p>"
            f'<p class="wizard-auto-deactivated"><b>{_e(_("label_colon", heading=_("auto_deactivated")))}</b> '
            f"{self._names(summary['auto_deactivated'])}</p>"
        )

    @staticmethod
    def _what_if_html(impact: dict) -> str:
        """Per quarter, what the audit will count after Apply (the same SQL rule):
        items counted and coverage before → after, and the items of the listed
        services that will still not be counted (kept inactive, left without a type)."""
        header = "".join(
            f'<th style="{CELL_STYLE}">{_e(_(key))}</th>'
            for key in (
                N_("what_if_quarter"),
                N_("what_if_counted"),
                N_("what_if_coverage"),
                N_("what_if_still_not_counted"),
            )
        )
        body = []
        for which, heading in (("current", N_("what_if_current")), ("previous", N_("what_if_previous"))):
            code = impact["quarters"][which]
            figures = impact["figures"][code]
            change = figures["counted_after"] - figures["counted_before"]
            counted = f"{number(figures['counted_before'])} → {number(figures['counted_after'])}" + (
                f" ({signed(change)})" if change else ""
            )
            coverage = f"{_pct(figures['coverage_before'])} → {_pct(figures['coverage_after'])}"
            cells = [counted, coverage, number(figures["planned_not_counted_after"])]
            body.append(
                f'<tr data-quarter="{_e(code)}"><th style="{CELL_STYLE}">'
                f"{_e(_(heading, quarter=quarter(code)))}</th>"
                + "".join(f'<td style="{NUMBER_STYLE}">{_e(c)}</td>' for c in cells)
                + "</tr>"
            )
        return (
            f"<h4>{_e(_('what_if_heading'))}</h4>"
            f'<table class="wizard-what-if" style="{TABLE_STYLE}"><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
            f"<p><small>{_e(_('what_if_note'))}</small></p>"
        )

    # -- messages --------------------------------------------------------------------------
    def _show_error(self, text: str) -> None:
        self.error.value = _error_html(text) if text else ""
        _show(self.error, bool(text))
        _show(self.reload_button, False)

    def _after_error(self, error: OrchestratorError) -> None:
        """Bring the view back in line with the engine after a refused action."""
        if self.wizard is None:
            return
        if error.key == "stale_state":  # others changed the services: reload, keeping what still applies
            _show(self.reload_button, True)
            return
        with contextlib.suppress(OrchestratorError):
            self._render()

    # -- the draft: choices kept until applied -----------------------------------------------
    def _restore_draft(self) -> None:
        if not self.drafts or self.wizard is None:
            return
        draft = read_draft(self.db)
        if draft is None:
            return
        self.wizard.restore(draft["choices"], draft["step"])
        self.draft_note.value = f"<i>{_e(_('draft_restored', when=moment(draft['saved_at'])))}</i>"
        _show(self.draft_box, True)

    def _choices_changed(self) -> None:
        """After every choice: the page knows it has something to lose, and the draft keeps it."""
        if self.wizard is None:
            return
        (self.add_class if self.wizard.has_choices() else self.remove_class)("wizard-unsaved")
        now = (self.wizard.step, self.wizard.choices())
        if self.drafts and now != self._saved:  # one write per real change, none for a mere redraw
            save_draft(self.wizard)
            self._saved = now

    @guarded
    def _on_drop_draft(self, _button) -> None:
        drop_draft(self.db)
        self.wizard = Wizard(self.db, as_of=self.as_of, user=self.user)
        _show(self.draft_box, False)
        self._change_step(lambda: None)

    # -- callbacks ---------------------------------------------------------------------------
    @guarded
    def _on_search(self, _change) -> None:
        if self._syncing_depth or self.wizard is None:
            return
        self.page = 0
        self._render_list()

    @guarded
    def _on_page_previous(self, _button) -> None:
        self.page -= 1
        self._render_list()

    @guarded
    def _on_page_next(self, _button) -> None:
        self.page += 1
        self._render_list()

    @guarded
    def _row_checked(self, row: WizardRow, ticked: bool) -> None:
        if self._syncing_depth or row.service_id is None:
            return
        self._show_error("")
        if self._engine.step == EXCLUDE:
            self._engine.set_excluded(row.service_id, ticked)
        elif self._engine.step == INACTIVE:
            self._engine.set_kept_inactive(row.service_id, ticked)
        self._render_counts()
        self._choices_changed()

    @guarded
    def _row_type_toggled(self, row: WizardRow, code: str, chosen: bool) -> None:
        if self._syncing_depth or row.service_id is None:
            return
        self._show_error("")
        if (code in self._engine.types_of(row.service_id)) != chosen:
            self._engine.toggle_type(row.service_id, code)
        now = set(self._engine.types_of(row.service_id))
        with self._syncing():
            for other, button in row.type_buttons.items():
                button.value = other in now
                button.button_style = "info" if other in now else ""
        self._choices_changed()

    @guarded
    def _explain(self, service_id: str | None) -> None:
        if not service_id:
            return
        found = explain(self._engine.db, service_id, wizard=self.wizard)
        facts = "".join(
            f'<li data-code="{_a(f["code"])}">{_e(fact(f, found["service_id"], found["type_labels"]))}</li>'
            for f in found["facts"]
        )
        self.explanation.value = (
            f'<div style="border-left:3px solid #69c;padding-left:0.6em">'
            f"<b>{_e(found['service_id'])}</b> {_e(found['name'])}<ul>{facts}</ul></div>"
        )

    @guarded
    def _on_why_any(self, _button) -> None:
        self._explain(self.why_box.value.strip())

    def _change_step(self, move) -> None:
        self._show_error("")
        move()
        self.page = 0
        self.explanation.value = ""
        with self._syncing():
            self.search_box.value = ""
        self._render()
        self._choices_changed()

    @guarded
    def _on_next(self, _button) -> None:
        self._change_step(self._engine.next)

    @guarded
    def _on_previous(self, _button) -> None:
        self._change_step(self._engine.previous)

    @guarded
    def _on_apply(self, _button) -> None:
        if self.wizard is None or self._engine.step != APPLY:
            return  # a second click on the same summary
        self._show_error("")
        with working(self.apply_button, _("working")):
            summary = self._engine.apply()
        self.last_run_id = summary["run_id"]
        text = sync_summary(summary)
        self.result.value = f'<div style="{RESULT_STYLE}" data-run-id="{_a(summary["run_id"] or "")}">{_e(text)}</div>'
        _show(self.undo_button, self.offer_undo and summary["run_id"] is not None)
        _show(self.draft_box, False)
        _show(self.result_panel, True)
        self._change_step(lambda: None)
        self._refresh_catalogue()

    @guarded
    def _on_undo(self, _button) -> None:
        if not self.last_run_id:
            return
        self._show_error("")
        undo_id = history.undo(self._engine.db, self.last_run_id, user=self.user)
        self.last_run_id = None
        self.result.value = (
            f'<div style="{RESULT_STYLE}" data-run-id="{_a(undo_id)}">{_e(_("undone", run_id=undo_id))}</div>'
        )
        _show(self.undo_button, False)
        # A fresh wizard: the services the undone run imported are pending again, with no choice made.
        self.wizard = Wizard(self.db, as_of=self.as_of, user=self.user)
        self._change_step(lambda: None)
        self._refresh_catalogue()

    def _refresh_catalogue(self) -> None:
        if self.catalogue is not None:
            self.catalogue.refresh()
        if self.on_change is not None:
            self.on_change()

    @guarded
    def reload(self) -> None:
        """Read the database again, keeping the step and every choice that still applies."""
        _show(self.reload_button, False)
        if self.wizard is None:
            self.wizard = Wizard(self.db, as_of=self.as_of, user=self.user)
        else:
            self._engine.refresh()
        self._change_step(lambda: None)


# --- the catalogue --------------------------------------------------------------------


class CatalogueView(widgets.Tab):
    """Actifs / Inactifs: the imported services, each tab with its own search."""

    TABS = ("active", "inactive")

    def __init__(self, db=None):
        self.db = db
        self.searches: dict[str, widgets.Text] = {}
        self.tables: dict[str, widgets.HTML] = {}
        panes = []
        for tab in self.TABS:
            search = widgets.Text(
                value="",
                placeholder=_("search_placeholder"),
                continuous_update=True,
                layout=widgets.Layout(width="30em"),
            )
            search.add_class("catalogue-search")
            search.add_class(f"catalogue-search-{tab}")
            search.observe(lambda change, tab=tab: self._on_search(tab), "value")
            table = widgets.HTML()
            table.add_class("catalogue-table")
            table.add_class(f"catalogue-table-{tab}")
            self.searches[tab], self.tables[tab] = search, table
            panes.append(widgets.VBox([search, table]))
        super().__init__(children=panes)
        self.add_class("catalogue-view")
        self._types: dict[str, str] = {}
        self._counts = {tab: 0 for tab in self.TABS}
        self.refresh()

    def refresh(self) -> None:
        """Read both tabs again (after an apply, an undo or a manual change)."""
        try:
            self._types = {t["code"]: type_label(t) for t in list_types(self.db)}
            for tab in self.TABS:
                self._draw(tab)
        except OrchestratorError as error:
            for table in self.tables.values():
                table.value = _error_html(str(error))

    def _on_search(self, tab: str) -> None:
        try:
            self._draw(tab)
        except OrchestratorError as error:
            self.tables[tab].value = _error_html(str(error))

    def _draw(self, tab: str) -> None:
        text = self.searches[tab].value.strip()
        services = list_services(self.db, tab, text or None)
        if not text:
            self._counts[tab] = len(services)
            self.titles = tuple(_("catalogue_title", tab=_(CATALOGUE_TABS[t]), n=self._counts[t]) for t in self.TABS)
        self.tables[tab].value = self._table(services)

    def _table(self, services: list[dict]) -> str:
        if not services:
            return f"<p><i>{_e(_('catalogue_empty'))}</i></p>"
        header = "".join(
            f'<th style="{CELL_STYLE}">{_e(_(k))}</th>'
            for k in (N_("col_id"), N_("col_name"), N_("col_state"), N_("col_types"))
        )
        rows = []
        for s in services[:CATALOGUE_MAX_ROWS]:
            state = state_word(s["status"], s["excluded"])
            types = ", ".join(self._types.get(code, code) for code in s["types"] or [])
            rows.append(
                f'<tr data-service-id="{_a(s["service_id"])}">'
                + "".join(f'<td style="{CELL_STYLE}">{_e(v)}</td>' for v in (s["service_id"], s["name"], state, types))
                + "</tr>"
            )
        more = ""
        if len(services) > CATALOGUE_MAX_ROWS:
            more = f"<p>{_e(_('catalogue_truncated', shown=CATALOGUE_MAX_ROWS, total=len(services)))}</p>"
        return (
            f'<table style="{TABLE_STYLE}"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'
        )
