"""The dashboard as a clinic manager runs the clinic from it (Debian's Chromium): act where you
see, lose nothing, see what you did. Two demo clinics, each served once for the file: one with
nothing imported (first visit, wizard, draft; each test starts without a draft) and one synced
once (audit, changes, downloads, layout; the undo, which changes it, runs last).

Full-page screenshots go to ``test-results/screenshots/manager-*.png``.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from test_one_language import markers_in

from orchestrator_lib.catalogue import list_services
from orchestrator_lib.history import list_runs
from orchestrator_lib.wizard import drop_draft, read_draft

from conftest import run_cli

TIMEOUT = 60_000


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, kit, dashboard_factory):
    """A demo clinic with nothing imported, served: the first visit, the wizard and its draft."""
    db = kit.load_demo(tmp_path_factory.mktemp("fresh") / "clinic.duckdb")
    return db, dashboard_factory(db)


@pytest.fixture(scope="module")
def imported(tmp_path_factory, kit, dashboard_factory):
    """A demo clinic synced once, served: the audit, changes, downloads, layout, and the undo last."""
    folder = tmp_path_factory.mktemp("imported")
    db = kit.load_demo(folder / "clinic.duckdb")
    import_some(db, folder)
    return db, dashboard_factory(db)


def top_tab(page, name: str):
    return page.locator(".dashboard-tabs > .lm-TabBar").get_by_role("tab", name=name, exact=True)


def switch_language(page, code: str) -> None:
    page.locator(".dashboard-language").get_by_role("button", name=code.upper(), exact=True).click()


def import_some(db, tmp_path) -> None:
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps({"exclude": ["SRV-036"], "types": {"SRV-001": ["urgent"]}}), encoding="utf-8")
    run_cli("--db", str(db), "sync", "--decisions", str(decisions), check=True)
    # The clinic's own amounts: the overview, the audit's issues and tables show estimates.
    run_cli("--db", str(db), "rates", "set", "--availability", "50", "--held", "50", check=True)


def service_box(wizard, service_id: str):
    """A service's checkbox once the search shows it alone: exactly one visible row (a pooled
    row's hidden part may still hold another service's text; a row the search hid must be gone
    from the page, which a loaded machine draws a little later than the page label)."""
    expect(wizard.locator(".wizard-row:visible")).to_have_count(1, timeout=TIMEOUT)
    check = wizard.page.locator(".wizard-row-check:visible", has_text=service_id)
    return wizard.locator(".wizard-row:visible").filter(has=check).locator("input[type=checkbox]")


def tick(wizard, service_id: str) -> None:
    box = service_box(wizard, service_id)
    # While a loaded machine redraws the rows, a pooled row may show the same service for an
    # instant beside the one that keeps it: act once exactly one holds it.
    expect(box).to_have_count(1, timeout=TIMEOUT)
    box.check()
    expect(box).to_be_checked()


def wizard_at_step_2(page):
    """Open the wizard, exclude « Pause » at step 1, go to step 2 and keep SRV-025 inactive."""
    top_tab(page, "Synchronisation").click()
    wizard = page.locator(".wizard-view")
    expect(wizard.locator(".wizard-title")).to_have_text("1. Services exclus", timeout=TIMEOUT)
    wizard.locator(".wizard-search input").fill("pause repas")  # one search, one drawing of the rows
    expect(wizard.locator(".wizard-page-label")).to_have_text("1–1 sur 1")
    tick(wizard, "SRV-037")
    expect(wizard.locator(".wizard-counts")).to_contain_text("Étape 2 : 38 services", timeout=TIMEOUT)
    wizard.locator(".wizard-next").click()
    expect(wizard.locator(".wizard-title")).to_have_text("2. Services inactifs")
    wizard.locator(".wizard-search input").fill("antigrippale")
    expect(wizard.locator(".wizard-page-label")).to_have_text("1–1 sur 1")
    tick(wizard, "SRV-025")
    expect(wizard.locator(".wizard-counts")).to_contain_text("Étape 3 : 37 services", timeout=TIMEOUT)
    return wizard


# --- nothing a user did is lost ------------------------------------------------------------------


def test_the_language_switch_keeps_the_wizard_where_it_was(page, fresh, kit, screenshots):
    db, server = fresh
    drop_draft(db)
    kit.open_dashboard(page, server.url)
    wizard_at_step_2(page)
    switch_language(page, "en")
    wizard = page.locator(".wizard-view")
    expect(top_tab(page, "Sync")).to_have_attribute("aria-selected", "true", timeout=TIMEOUT)  # the same tab
    expect(wizard.locator(".wizard-title")).to_have_text("2. Inactive services", timeout=TIMEOUT)
    expect(wizard.locator(".wizard-counts")).to_contain_text("Step 3: 37 services")  # both choices kept
    wizard.locator(".wizard-search input").fill("antigrippale")
    expect(wizard.locator(".wizard-page-label")).to_have_text("1–1 of 1", timeout=TIMEOUT)  # the rows redrawn
    expect(service_box(wizard, "SRV-025")).to_be_checked()
    kit.full_screenshot(page, screenshots / "manager-language-switch-step-2.png")
    switch_language(page, "fr")
    expect(wizard.locator(".wizard-title")).to_have_text("2. Services inactifs", timeout=TIMEOUT)
    expect(wizard.locator(".wizard-counts")).to_contain_text("Étape 3 : 37 services", timeout=TIMEOUT)
    assert list_services(db) == []  # nothing applied by a switch


def test_a_reload_restores_the_unapplied_wizard_and_leaving_asks_first(page, context, fresh, kit, screenshots):
    db, server = fresh
    drop_draft(db)
    kit.open_dashboard(page, server.url)
    wizard_at_step_2(page)
    expect(page.locator(".wizard-view.wizard-unsaved")).to_have_count(1)
    draft = read_draft(db)
    assert (
        draft["step"] == 2
        and draft["choices"]["exclude"] == ["SRV-037"]
        and draft["choices"]["inactive"] == ["SRV-025"]
    )

    # Leaving the page with unapplied choices: the browser asks (beforeunload).
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(1000)
    assert asked == ["beforeunload"]

    # A new page (a reload): the wizard comes back at step 2 with both choices, and says so.
    again = context.new_page()
    kit.open_dashboard(again, server.url)
    top_tab(again, "Synchronisation").click()
    wizard = again.locator(".wizard-view")
    expect(wizard.locator(".wizard-title")).to_have_text("2. Services inactifs", timeout=TIMEOUT)
    expect(wizard.locator(".wizard-counts")).to_contain_text("Étape 3 : 37 services", timeout=TIMEOUT)
    expect(wizard.locator(".wizard-draft-note")).to_contain_text("Vos choix non appliqués du")
    kit.full_screenshot(again, screenshots / "manager-draft-restored.png")
    # Dropping them starts again from nothing, and forgets the draft.
    wizard.locator(".wizard-draft-drop").click()
    expect(wizard.locator(".wizard-title")).to_have_text("1. Services exclus", timeout=TIMEOUT)
    expect(wizard.locator(".wizard-counts")).to_contain_text("Étape 2 : 39 services", timeout=TIMEOUT)
    assert read_draft(db) is None


# --- act where you see ----------------------------------------------------------------------------


def test_the_first_visit_says_what_to_do_and_leads_there(page, fresh, kit, screenshots):
    db, server = fresh
    drop_draft(db)
    kit.open_dashboard(page, server.url)
    first = page.locator(".overview-first-visit")
    expect(first).to_contain_text("39 services du DMÉ attendent la synchronisation", timeout=TIMEOUT)
    kit.full_screenshot(page, screenshots / "manager-first-visit.png")
    page.locator(".overview-start").click()
    expect(top_tab(page, "Synchronisation")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".wizard-title")).to_have_text("1. Services exclus", timeout=TIMEOUT)


def test_an_audit_issue_leads_to_the_service_and_synchroniser_reads_the_last_source(page, imported, kit, screenshots):
    _db, server = imported
    kit.open_dashboard(page, server.url)
    expect(page.locator(".overview-first-visit")).to_have_text("")  # services are imported: no first step

    top_tab(page, "Audit").click()
    page.locator(".audit-quarter select").select_option(label="T3 2026")
    page.locator(".audit-run").click()
    issue = page.locator(".audit-issue-service_inactive").first
    expect(issue).to_be_visible(timeout=TIMEOUT)
    service_id = re.search(r"\((SRV-\d+)\)", issue.inner_text()).group(1)
    kit.full_screenshot(page, screenshots / "manager-audit-actions.png")
    issue.locator(".audit-issue-open").click()
    expect(top_tab(page, "Services")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".services-detail")).to_contain_text(service_id, timeout=TIMEOUT)
    expect(page.locator(".services-type-urgent")).to_be_visible()
    expect(page.locator(".services-activate")).to_be_visible()

    # A staff issue is fixed in the EMR, then Synchroniser: it reads the export the clinic last loaded.
    top_tab(page, "Synchronisation").click()
    load = page.locator(".sync-load")
    expect(load).to_be_enabled(timeout=TIMEOUT)
    expect(page.locator(".sync-source")).to_contain_text("data/demo")
    load.click()
    expect(page.locator(".sync-loaded")).to_contain_text("rien n'a changé", timeout=TIMEOUT)


def test_a_manual_change_says_what_it_does_before(page, imported, kit, screenshots):
    clinic, server = imported
    kit.open_dashboard(page, server.url)
    top_tab(page, "Services").click()
    page.locator(".services-detail-id input").fill("SRV-001")
    page.locator(".services-detail-show").click()
    expect(page.locator(".services-detail")).to_contain_text("Consultation urgente", timeout=TIMEOUT)
    page.locator(".services-exclude").click()
    question = page.locator(".services-confirm-text")
    expect(question).to_contain_text("Exclure « Consultation urgente » (SRV-001) ?", timeout=TIMEOUT)
    expect(question).to_contain_text(
        re.compile(r"T4 2026 : [\d\s\u00a0]+ → [\d\s\u00a0]+ éléments comptés \(-[\d\s\u00a0]+\)")
    )  # what it does to the count
    kit.full_screenshot(page, screenshots / "manager-manual-change.png")
    page.locator(".services-cancel").click()
    assert len(list_runs(clinic)) == 1  # nothing done before the confirmation


# --- feedback where you act -------------------------------------------------------------------------


def test_downloads_follow_the_chosen_quarter(page, imported, kit, screenshots):
    _db, server = imported
    kit.open_dashboard(page, server.url)
    top_tab(page, "Audit").click()
    select = page.locator(".audit-quarter select")
    expect(select.locator("option").first).to_be_attached(timeout=TIMEOUT)
    labels = [text.replace("\u00a0", " ") for text in select.locator("option").all_inner_texts()]
    assert labels[0].endswith("(en cours)") and "T1 2027" not in labels  # no future quarter
    select.select_option(label="T3 2026")
    page.locator(".audit-report").click()
    expect(page.locator(".audit-report")).to_be_disabled()  # busy while the report is made
    link = page.locator("a.download-xlsx")
    expect(link).to_have_attribute("download", "audit-2026Q3.xlsx", timeout=120_000)
    expect(link).to_have_text("Télécharger audit-2026Q3.xlsx")
    select.select_option(label="T2 2026")
    expect(link).to_have_count(0)  # the T3 files are gone with T3
    page.locator(".audit-report").click()
    expect(page.locator("a.download-xlsx")).to_have_attribute("download", "audit-2026Q2.xlsx", timeout=120_000)
    expect(page.locator("a.download-html")).to_have_attribute("download", "audit-2026Q2.html")
    page.locator(".audit-run").click()
    months = page.locator(".audit-result table").last.locator("tbody tr td:first-child")
    expect(months).to_have_text(["avril 2026", "mai 2026", "juin 2026"], timeout=TIMEOUT)  # calendar order
    kit.full_screenshot(page, screenshots / "manager-audit-t2.png")


# --- layout ----------------------------------------------------------------------------------------


PANELS = ["overview", "services", "sync", "staff", "audit"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_tab_reads_well_from_1024_pixels(page, imported, kit, screenshots, language):
    _db, server = imported
    page.set_viewport_size({"width": 1024, "height": 800})
    kit.open_dashboard(page, server.url)
    if language == "en":
        switch_language(page, "en")
    names = {
        "fr": ["Vue d'ensemble", "Services", "Synchronisation", "Personnel médical", "Audit"],
        "en": ["Overview", "Services", "Sync", "Medical staff", "Audit"],
    }[language]
    expect(page.locator("h2")).to_have_count(1)  # one title
    assert "make dashboard" not in page.locator("body").inner_text()  # no developer text
    for number, (name, panel) in enumerate(zip(names, PANELS), start=1):
        top_tab(page, name).click(timeout=TIMEOUT)
        expect(page.locator(f".{panel}:visible")).to_be_visible(timeout=TIMEOUT)
        if panel == "services":
            page.locator(".services-detail-id input").fill("SRV-001")
            page.locator(".services-detail-show").click()
            expect(page.locator(".services-detail")).to_contain_text("SRV-001", timeout=TIMEOUT)
        if panel == "audit":
            page.locator(".audit-run").click()
            expect(page.locator(".audit-headline .audit-first-screen")).to_be_visible(timeout=TIMEOUT)
        page.wait_for_timeout(500)  # the panel's figures are drawn after it shows
        expect(page.locator("[role=alert]")).to_have_count(0)
        # One language at a time: none of the other's words (the clinic's own names aside).
        assert markers_in(page.locator("body").inner_text(), language) == set(), (language, name)
        cut = page.evaluate(
            """() => [...document.querySelectorAll('.widget-button, .widget-toggle-button')]
                .filter(b => b.offsetParent !== null && b.scrollWidth > b.clientWidth + 1).map(b => b.innerText)"""
        )
        assert cut == [], f"{name}: buttons cut: {cut}"
        wide = page.evaluate("() => document.querySelector('#rendered_cells').scrollWidth")
        assert wide <= 1024, f"{name}: the page is {wide} px wide"
        # A table wider than the page is cut by its box (the page itself stays 1024 px wide).
        cut_tables = page.evaluate(
            """() => [...document.querySelectorAll('table')].filter(t => t.offsetParent !== null)
                .filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .map(t => t.innerText.slice(0, 40))"""
        )
        assert cut_tables == [], f"{name}: tables cut at the right: {cut_tables}"
        kit.full_screenshot(page, screenshots / f"manager-1024-{language}-{number}.png")


# --- last: it changes the clinic -------------------------------------------------------------------


def test_undo_asks_first_naming_the_run_and_what_it_changes(page, imported, kit, screenshots):
    """Last of the file: it changes the clinic the tests before it read."""
    clinic, server = imported
    (run,) = list_runs(clinic)
    kit.open_dashboard(page, server.url)
    top_tab(page, "Synchronisation").click()
    expect(page.locator(".wizard-undo:visible")).to_have_count(0, timeout=TIMEOUT)  # one undo control, the history's
    page.locator(".sync-undo").click()
    question = page.locator(".sync-undo-text")
    expect(question).to_contain_text(f"Annuler {run['run_id']}")
    expect(question).to_contain_text(f"{run['changes']} services remis comme avant ?")
    kit.full_screenshot(page, screenshots / "manager-undo-question.png")
    assert list_runs(clinic)[0]["undone_by"] is None  # asked, not done
    page.locator(".sync-undo-confirm").click()
    expect(page.locator(".sync-undo-error")).to_contain_text("Annulation enregistrée", timeout=TIMEOUT)
    assert list_runs(clinic)[1]["undone_by"] == list_runs(clinic)[0]["run_id"]
