"""The wizard and catalogue widgets, driven as a user would: typing in the
search box, ticking rows, toggling types and clicking the real buttons."""

from __future__ import annotations

import os
import re
import statistics
import time

import duckdb
import pytest

from orchestrator_lib import manual
from orchestrator_lib.catalogue import list_services
from orchestrator_lib.demo import service_names
from orchestrator_lib.history import list_runs
from orchestrator_lib.load import load_export
from orchestrator_lib.ui import CatalogueView, WizardView
from orchestrator_lib.wizard import APPLY, EXCLUDE, INACTIVE, TYPES, Wizard

from conftest import ROOT, run_nbval, write_export

AS_OF = "2026-11-27T12:00"
NOTEBOOK = ROOT / "notebooks" / "01_synchroniser_les_services.ipynb"


@pytest.fixture
def demo_db(loaded_demo):
    return loaded_demo


@pytest.fixture
def view(demo_db):
    return WizardView(demo_db, as_of=AS_OF)


def page_text(view) -> str:
    """The pager's text, without its markup."""
    return re.sub(r"<[^>]+>", "", view.page_label.value)


def visible(view: WizardView) -> list:
    return [row for row in view.rows if row.layout.display != "none"]


def shown_ids(view: WizardView) -> list[str]:
    return [row.service_id for row in visible(view)]


def row_of(view: WizardView, service_id: str):
    """Search for the service, as a user would, and return its row."""
    view.search_box.value = service_id
    (row,) = [r for r in visible(view) if r.service_id == service_id]
    return row


def tick(view: WizardView, *service_ids: str, value: bool = True) -> None:
    for service_id in service_ids:
        row_of(view, service_id).value = value
    view.search_box.value = ""


def choose(view: WizardView, service_id: str, *codes: str) -> None:
    row = row_of(view, service_id)
    for code in codes:
        button = row.type_buttons[code]
        button.value = not button.value
    view.search_box.value = ""


def no_error(view: WizardView) -> bool:
    return view.error.value == "" and view.error.layout.display == "none"


def ids(services: list[dict]) -> list[str]:
    return [s["service_id"] for s in services]


# --- step 1: list, counts, paging, search ---------------------------------------------


def test_step_one_lists_the_pending_services_a_page_at_a_time(view):
    assert view.wizard.step == EXCLUDE
    assert "1. Services exclus" in view.title.value
    assert "exclure de la synchronisation" in view.instruction.value
    assert "Étape 1 : 39 services" in view.counts_label.value
    assert view.search_box.placeholder == "Rechercher par nom ou identifiant"
    assert view.search_box.continuous_update is True
    assert len(view.rows) == 25
    assert shown_ids(view) == [f"SRV-{i:03d}" for i in range(1, 26)]
    assert page_text(view) == "1–25 sur 39"
    assert view.page_previous.disabled and not view.page_next.disabled
    assert view.previous_button.disabled
    assert view.apply_button.layout.display == "none"

    view.page_next.click()
    assert page_text(view) == "26–39 sur 39"
    assert len(visible(view)) == 14 and shown_ids(view)[-1] == "SRV-042"
    assert view.page_next.disabled
    view.page_previous.click()
    assert shown_ids(view)[0] == "SRV-001"
    assert no_error(view)


def test_search_ignores_case_and_accents_and_reuses_the_row_pool(view):
    pool = list(view.rows)
    children = view.rows_box.children
    view.search_box.value = "pause"
    assert shown_ids(view) == ["SRV-036", "SRV-037"]
    assert page_text(view) == "1–2 sur 2"
    assert visible(view)[0].check.description == "SRV-036 — Pause"
    view.search_box.value = "precedent"
    assert shown_ids(view) == ["SRV-012"]
    view.search_box.value = "VACCIN"
    assert shown_ids(view) == ["SRV-006", "SRV-025"]
    view.search_box.value = "srv-04"
    assert shown_ids(view) == ["SRV-040", "SRV-041", "SRV-042"]
    view.search_box.value = "zzz"
    assert shown_ids(view) == [] and "Aucun service ne correspond" in page_text(view)
    view.search_box.value = ""
    assert len(visible(view)) == 25
    assert view.rows == pool and view.rows_box.children == children  # no widget created per keystroke


def test_search_resets_to_the_first_page(view):
    view.page_next.click()
    view.search_box.value = "suivi"
    assert page_text(view).startswith("1–")
    assert shown_ids(view)[0] == "SRV-003"


# --- choices across steps ---------------------------------------------------------


def test_ticking_in_step_one_updates_the_counts_and_step_two(view):
    view.search_box.value = "pause"
    for row in visible(view):
        row.value = True
    assert view.wizard.excluded == {"SRV-036", "SRV-037"}
    assert "Étape 2 : 37 services" in view.counts_label.value
    view.next_button.click()
    assert view.wizard.step == INACTIVE
    assert "2. Services inactifs" in view.title.value
    assert view.search_box.value == ""
    assert page_text(view) == "1–25 sur 37"
    view.search_box.value = "pause"
    assert shown_ids(view) == []
    assert all(not row.value for row in visible(view))


def test_previous_keeps_every_choice_and_an_earlier_change_updates_later_lists(view):
    tick(view, "SRV-036", "SRV-037")
    view.next_button.click()
    tick(view, "SRV-026")  # no future appointment: leaves step 3
    tick(view, "SRV-025")  # future appointments: stays in step 3
    assert "Étape 3 : 36 services" in view.counts_label.value
    view.next_button.click()
    assert view.wizard.step == TYPES
    choose(view, "SRV-001", "urgent")
    view.search_box.value = "SRV-026"
    assert shown_ids(view) == []
    view.search_box.value = ""

    view.previous_button.click()
    assert view.wizard.step == INACTIVE
    assert row_of(view, "SRV-026").value is True
    view.previous_button.click()
    assert view.wizard.step == EXCLUDE
    assert row_of(view, "SRV-036").value is True
    row_of(view, "SRV-037").value = False  # include Pause repas again
    assert "Étape 2 : 38 services" in view.counts_label.value
    assert "Étape 3 : 37 services" in view.counts_label.value

    view.next_button.click()
    assert row_of(view, "SRV-037").value is False
    assert row_of(view, "SRV-026").value is True
    view.next_button.click()
    assert row_of(view, "SRV-037").service_id == "SRV-037"
    assert row_of(view, "SRV-001").type_buttons["urgent"].value is True
    assert no_error(view)


def test_choosing_a_type_again_removes_it(view):
    view.next_button.click()
    view.next_button.click()
    assert "3. Services actifs : types" in view.title.value
    row = row_of(view, "SRV-004")
    assert row.check.layout.display == "none"
    assert [b.description for b in row.type_buttons.values()] == [
        "Urgent",
        "Semi-urgent",
        "Suivi de grossesse",
        "Suivi pédiatrique",
        "Suivi régulier",
    ]
    row.type_buttons["suivi_pediatrique"].value = True
    row.type_buttons["suivi_regulier"].value = True
    assert view.wizard.types_of("SRV-004") == ["suivi_pediatrique", "suivi_regulier"]
    row.type_buttons["suivi_pediatrique"].value = False
    assert view.wizard.types_of("SRV-004") == ["suivi_regulier"]
    view.search_box.value = "vaccin"  # the same pool row now shows another service
    view.search_box.value = "SRV-004"
    assert [c for c, b in visible(view)[0].type_buttons.items() if b.value] == ["suivi_regulier"]


# --- Apply, result, undo, catalogue ---------------------------------------------------


def test_apply_writes_the_plan_shows_the_run_and_undo_empties_the_catalogue(demo_db):
    catalogue = CatalogueView(demo_db)
    assert catalogue.titles == ("Actifs (0)", "Inactifs (0)")
    view = WizardView(demo_db, as_of=AS_OF, catalogue=catalogue)
    tick(view, "SRV-036", "SRV-037")
    view.next_button.click()
    tick(view, "SRV-025", "SRV-026")
    view.next_button.click()
    choose(view, "SRV-001", "urgent")
    choose(view, "SRV-006", "suivi_regulier", "urgent", "urgent")  # urgent chosen then removed
    choose(view, "SRV-025", "suivi_regulier")
    assert list_services(demo_db) == []  # nothing written before Apply
    view.next_button.click()

    assert view.wizard.step == APPLY
    assert view.next_button.layout.display == "none" and view.apply_button.layout.display != "none"
    assert view.list_panel.layout.display == "none"
    summary = view.summary.value
    assert "Réactivés automatiquement" in summary and "SRV-025 Vaccination antigrippale" in summary
    assert "Désactivés automatiquement" in summary and "SRV-002 Consultation semi-urgente" in summary
    assert 'class="wizard-what-if"' in summary and "T4 2026 (en cours)" in summary and "T3 2026 (précédent)" in summary
    assert list_services(demo_db) == []

    view.apply_button.click()
    assert no_error(view)
    run_id = list_runs(demo_db)[0]["run_id"]
    assert run_id in view.result.value and view.result_panel.layout.display != "none"
    assert view.last_run_id == run_id
    assert ids(list_services(demo_db, "active")) == ["SRV-001", "SRV-006", "SRV-025"]
    services = {s["service_id"]: s for s in list_services(demo_db)}
    assert services["SRV-006"]["types"] == ["suivi_regulier"]
    assert services["SRV-036"]["excluded"] and services["SRV-037"]["excluded"]
    assert services["SRV-026"]["status"] == "inactive" and not services["SRV-026"]["excluded"]
    assert len(services) == 39
    # The wizard starts over: nothing pending any more; the catalogue followed.
    assert view.wizard.step == EXCLUDE and "Étape 1 : 0 service" in view.counts_label.value
    assert catalogue.titles == ("Actifs (3)", "Inactifs (36)")
    assert "SRV-025" in catalogue.tables["active"].value

    view.undo_button.click()
    assert no_error(view)
    assert list_services(demo_db) == []
    assert view.undo_button.layout.display == "none"
    assert list_runs(demo_db)[0]["undoes"] == run_id and list_runs(demo_db)[0]["run_id"] in view.result.value
    assert "Étape 1 : 39 services" in view.counts_label.value
    assert catalogue.titles == ("Actifs (0)", "Inactifs (0)")
    view.next_button.click()
    view.next_button.click()
    assert row_of(view, "SRV-001").type_buttons["urgent"].value is False  # a fresh start, no leftover choice


def test_a_refused_action_shows_its_message_in_a_red_box(demo_db):
    view = WizardView(demo_db, as_of=AS_OF)
    view.next_button.click()
    view.next_button.click()
    choose(view, "SRV-001", "urgent")
    view.next_button.click()
    view.apply_button.click()
    manual.deactivate(demo_db, "SRV-001")  # a later run on the same service
    view.undo_button.click()
    assert "Impossible d'annuler" in view.error.value
    assert "color:#8b0000" in view.error.value and "Traceback" not in view.error.value
    assert view.error.layout.display != "none"
    assert ids(list_services(demo_db, "inactive"))[0] == "SRV-001"  # nothing undone


def test_apply_after_someone_else_changed_a_service_is_refused_then_works_on_the_fresh_state(demo_db):
    Wizard(demo_db, as_of=AS_OF).apply()  # all imported, inactive: step 3 offers to reactivate them
    view = WizardView(demo_db, as_of=AS_OF)
    view.next_button.click()
    view.next_button.click()
    choose(view, "SRV-001", "urgent")
    choose(view, "SRV-006", "urgent")
    view.next_button.click()
    assert "SRV-006 Vaccination" in view.summary.value
    manual.activate(demo_db, "SRV-006", ["suivi_regulier"])  # someone else, meanwhile
    view.apply_button.click()
    assert "rien n'a été appliqué" in view.error.value and "SRV-006" in view.error.value
    assert len(list_runs(demo_db)) == 2
    # Next to the refusal, the way out: reload, keeping the choices that still apply.
    assert view.reload_button.layout.display != "none" and view.error.layout.display != "none"
    view.reload_button.click()
    assert view.reload_button.layout.display == "none" and no_error(view)
    assert view.wizard.step == APPLY  # the summary, redrawn on the fresh state, is still there
    assert "SRV-006 Vaccination" not in view.summary.value and "SRV-001" in view.summary.value
    view.apply_button.click()
    assert no_error(view)
    assert ids(list_services(demo_db, "active")) == ["SRV-001", "SRV-006"]
    assert list_services(demo_db, "active")[1]["types"] == ["suivi_regulier"]  # the other user's choice stands
    assert len(list_runs(demo_db)) == 3


def test_reactivation_preselects_the_previous_types(demo_db):
    view = WizardView(demo_db, as_of=AS_OF)
    view.next_button.click()
    view.next_button.click()
    choose(view, "SRV-001", "urgent", "semi_urgent")
    view.next_button.click()
    view.apply_button.click()
    manual.deactivate(demo_db, "SRV-001")  # inactive, types kept, appointments still coming
    view = WizardView(demo_db, as_of=AS_OF)
    assert "Étape 1 : 0 service" in view.counts_label.value  # nothing pending, yet step 3 has work
    view.next_button.click()
    view.next_button.click()
    row = row_of(view, "SRV-001")
    assert [c for c, b in row.type_buttons.items() if b.value] == ["urgent", "semi_urgent"]
    assert "déjà importé" in row.note.value and "rendez-vous à venir" in row.note.value


# --- explain ---------------------------------------------------------------------------


def test_the_row_question_mark_explains_the_service(view):
    row = row_of(view, "SRV-036")
    row.value = True
    row.why.click()
    assert "SRV-036" in view.explanation.value
    assert "coché pour exclusion" in view.explanation.value
    view.why_box.value = "SRV-033"  # deactivated in the EMR: never listed
    view.why_button.click()
    assert "Désactivé dans le DMÉ" in view.explanation.value
    view.next_button.click()
    assert view.explanation.value == ""


# --- presentation -------------------------------------------------------------------------


def test_every_interactive_widget_has_a_stable_css_class(view):
    def classes(widget):
        return set(widget._dom_classes)

    assert "wizard-search" in classes(view.search_box)
    assert "wizard-next" in classes(view.next_button)
    assert "wizard-previous" in classes(view.previous_button)
    assert "wizard-apply" in classes(view.apply_button)
    assert "wizard-page-next" in classes(view.page_next)
    assert "wizard-page-previous" in classes(view.page_previous)
    assert "wizard-undo" in classes(view.undo_button)
    assert "wizard-why-any" in classes(view.why_button)
    for row in view.rows:
        assert "wizard-row-check" in classes(row.check) and "wizard-why" in classes(row.why)
        assert {f"wizard-type-{code}" for code in row.type_buttons} == {
            c for b in row.type_buttons.values() for c in classes(b) if c.startswith("wizard-type-")
        }


def test_labels_follow_the_language(demo_db):
    from orchestrator_lib.i18n import set_language

    set_language("en")
    view = WizardView(demo_db, as_of=AS_OF)
    assert "1. Excluded services" in view.title.value
    assert view.next_button.description == "Next" and view.previous_button.description == "Previous"
    assert page_text(view) == "1–25 of 39"
    view.next_button.click()
    view.next_button.click()
    assert "Paediatric follow-up" in [b.description for b in view.rows[0].type_buttons.values()]
    assert CatalogueView(demo_db).titles == ("Active (0)", "Inactive (0)")


def test_an_error_opening_the_wizard_is_shown_not_raised(demo_db):
    con = duckdb.connect(str(demo_db))  # a database written by a newer orchestrator_lib
    try:
        con.execute("INSERT INTO schema_migrations VALUES (9999, 'from_the_future', current_timestamp)")
    finally:
        con.close()
    view = WizardView(demo_db, as_of=AS_OF)
    assert view.wizard is None
    assert "version plus récente" in view.error.value
    assert "color:#8b0000" in view.error.value and "Traceback" not in view.error.value
    assert view.nav.layout.display == "none" and view.list_panel.layout.display == "none"
    assert "version plus récente" in CatalogueView(demo_db).tables["active"].value


def test_catalogue_tabs_search(demo_db):
    Wizard(demo_db, as_of=AS_OF).apply()  # everything inactive (no type)
    manual.activate(demo_db, "SRV-006", ["suivi_regulier"])
    catalogue = CatalogueView(demo_db)
    assert catalogue.titles == ("Actifs (1)", "Inactifs (38)")
    assert "Suivi régulier" in catalogue.tables["active"].value
    catalogue.searches["inactive"].value = "vaccin"
    assert "SRV-025" in catalogue.tables["inactive"].value
    assert "SRV-001" not in catalogue.tables["inactive"].value
    assert catalogue.titles == ("Actifs (1)", "Inactifs (38)")


# --- speed -------------------------------------------------------------------------------


def test_a_keystroke_over_5000_pending_services_updates_the_view_in_under_50_ms(tmp_path):
    lines = ["service_id,name,emr_status"] + [f'S{i:05d},"{name}",active' for i, name in enumerate(service_names(5000))]
    export = write_export(tmp_path / "big", {"services": "\n".join(lines) + "\n"})
    db = tmp_path / "big.duckdb"
    load_export(export, db)
    view = WizardView(db, as_of=AS_OF)
    assert "Étape 1 : 5\u00a0000 services" in view.counts_label.value
    timings = []
    for text in ("v", "va", "vac", "vacc", "vacci", "vaccin", "vaccina", "e", "ec", "echo"):
        started = time.perf_counter()
        view.search_box.value = text
        timings.append(time.perf_counter() - started)
        expected = view.wizard.search(EXCLUDE, text)
        assert shown_ids(view) == [s.service_id for s in expected[:25]]
    assert statistics.median(timings) < 0.050, timings


# --- the notebook -------------------------------------------------------------------------


@pytest.mark.slow
def test_the_notebook_runs_under_nbval(demo_db, tmp_path):
    assert '"outputs": []' in NOTEBOOK.read_text(encoding="utf-8")
    assert '"execution_count": null' in NOTEBOOK.read_text(encoding="utf-8")
    run_nbval(NOTEBOOK, cwd=ROOT, env={**os.environ, "ORCHESTRATOR_DB": str(demo_db)})
