"""The Voilà dashboard in a real browser (Debian's Chromium through Playwright).

One session server on one demo database (nothing imported at first). The tests
run in file order and build on each other the way a manager would: look at the
overview, import the services with the wizard, search the catalogue, look again,
audit the last quarter and download the workbook. Tests after the wizard import
the services themselves (``orchestrator sync``) if run alone.

Then the server's safety: a token-protected start, a public address refused
without a token, and no file served from disk.

Full-page screenshots of each tab go to ``test-results/screenshots/``.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
from urllib.parse import urlsplit

import openpyxl
import pytest
import requests
from playwright.sync_api import expect

from orchestrator_lib.audit import run_audit
from orchestrator_lib.catalogue import catalogue_counts, list_services, list_staff
from orchestrator_lib.history import list_runs
from orchestrator_lib.i18n import _n, number, percent
from orchestrator_lib.periods import Quarter, now_local
from orchestrator_lib.report import issues_table

pytestmark = pytest.mark.browser

WIDGET_TIMEOUT = 60_000
# The choices the wizard test makes in the page (and the fallback import makes on the command line).
EXCLUDED = ["SRV-036", "SRV-037"]  # « Pause », « Pause repas »
KEPT_INACTIVE = ["SRV-025"]  # « Vaccination antigrippale »: no future appointment
TYPES = {
    "SRV-001": ["urgent"],
    "SRV-002": ["semi_urgent"],
    "SRV-003": ["suivi_grossesse"],
    "SRV-012": ["suivi_regulier"],
}  # SRV-012 « Précédent rendez-vous annulé »
PENDING_AT_START = 39
ACTIVE = re.compile(r"\bmod-active\b")  # a pressed ToggleButton


# --- helpers --------------------------------------------------------------------------------


def shot(page, kit, screenshots, name: str) -> None:
    kit.full_screenshot(page, screenshots / f"{name}.png")


def top_tab(page, name: str):
    return page.locator(".dashboard-tabs > .lm-TabBar").get_by_role("tab", name=name, exact=True)


def catalogue_tab(page, which: str):
    return page.locator(".catalogue-view > .lm-TabBar").get_by_role("tab", name=re.compile(rf"^{which} \("))


def wizard_row(wizard, service_id: str, typed_step: bool = False):
    """The visible row of ``service_id``: by its checkbox (steps 1–2) or its name (step 3); the
    hidden part of a pooled row may still hold another service's text."""
    part = ".wizard-row-name:visible" if typed_step else ".wizard-row-check:visible"
    return wizard.locator(".wizard-row:visible").filter(has=wizard.page.locator(part, has_text=service_id))


def check_overview(page, db) -> None:
    """The overview's figures are the library's: coverage of both quarters and catalogue counts."""
    current = Quarter.of(now_local())
    for kind, quarter in (("current", current), ("previous", current.previous())):
        audited = run_audit(db, quarter)
        box = page.locator(f".coverage-{kind}")
        expect(box).to_have_attribute("data-quarter", str(quarter))
        expect(box).to_have_attribute("data-coverage", str(audited.coverage_pct))
        expect(box).to_contain_text(percent(audited.coverage_pct))
        expect(box).to_contain_text(_n("counted_of_owed", audited.counted, owed=audited.owed))
    counts = catalogue_counts(db)
    cells = page.locator(".overview-services-table tr").nth(1).locator("td")
    expect(cells).to_have_text([str(counts[k]) for k in ("active", "inactive", "excluded", "pending")])


def import_if_needed(db, kit, tmp_path) -> None:
    """The state the wizard test leaves, made on the command line when that test did not run."""
    if list_services(db):
        return
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps({"exclude": EXCLUDED, "inactive": KEPT_INACTIVE, "types": TYPES}))
    result = subprocess.run(
        [kit.ORCHESTRATOR, "--db", str(db), "sync", "--decisions", str(decisions), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=kit.clean_env(),
    )
    assert result.returncode == 0, result.stderr


def raw_get(url: str, path: str, headers: dict | None = None, hops: int = 5) -> tuple[int, str, list[str]]:
    """GET ``path`` exactly as written (no dot-segment clean-up), following same-host redirects
    by hand; returns the final status, body and the redirect chain."""
    parts = urlsplit(url)
    chain = []
    for _ in range(hops):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        location = response.getheader("Location")
        if response.status in (301, 302, 303, 307, 308) and location:
            chain.append(location)
            path = urlsplit(location).path + (f"?{urlsplit(location).query}" if urlsplit(location).query else "")
            continue
        return response.status, body, chain
    return response.status, body, chain


# --- the dashboard in the page ----------------------------------------------------------------


def test_overview_shows_the_library_figures(page, dashboard, demo_db, kit, screenshots):
    kit.open_dashboard(page, dashboard.url)
    expect(top_tab(page, "Vue d'ensemble")).to_have_attribute("aria-selected", "true")
    check_overview(page, demo_db)
    expect(page.locator(".overview-services-table tr").nth(1).locator("td").last).to_have_text(str(PENDING_AT_START))
    expect(page.locator(".overview-staff")).to_contain_text("Personnel médical")
    expect(page.locator("[role=alert]")).to_have_count(0)
    shot(page, kit, screenshots, "01-vue-d-ensemble")


def test_wizard_in_the_page(page, dashboard, demo_db, kit, screenshots):
    assert list_services(demo_db) == [], "this test runs on the demo with nothing imported (file order)"
    kit.open_dashboard(page, dashboard.url)

    # The catalogue is empty before.
    top_tab(page, "Services").click()
    expect(catalogue_tab(page, "Actifs")).to_have_text("Actifs (0)")
    expect(catalogue_tab(page, "Inactifs")).to_have_text("Inactifs (0)")

    top_tab(page, "Synchronisation").click()
    wizard = page.locator(".wizard-view")
    title, counts = wizard.locator(".wizard-title"), wizard.locator(".wizard-counts")
    search = wizard.locator(".wizard-search input")
    rows = wizard.locator(".wizard-row:visible")
    expect(title).to_have_text("1. Services exclus", timeout=WIDGET_TIMEOUT)
    expect(counts).to_contain_text(f"Étape 1 : {PENDING_AT_START} services")

    # 1. Exclusion: search « pause », tick both.
    page_label = wizard.locator(".wizard-page-label")
    expect(page_label).to_have_text(f"1–25 sur {PENDING_AT_START}")
    search.press_sequentially("pause")
    expect(page_label).to_have_text("1–2 sur 2")
    expect(rows).to_have_count(2)
    for service_id in EXCLUDED:
        wizard_row(wizard, service_id).locator("input[type=checkbox]").check()
    expect(counts).to_contain_text(f"Étape 2 : {PENDING_AT_START - 2} services")
    wizard.locator(".wizard-next").click()

    # 2. Inactive: keep « Vaccination antigrippale » inactive (no future appointment).
    expect(title).to_have_text("2. Services inactifs")
    expect(page_label).to_have_text(f"1–25 sur {PENDING_AT_START - 2}")
    expect(search).to_have_value("")
    search.press_sequentially("antigrippale")
    expect(page_label).to_have_text("1–1 sur 1")
    wizard_row(wizard, "SRV-025").locator("input[type=checkbox]").check()
    expect(counts).to_contain_text(f"Étape 3 : {PENDING_AT_START - 3} services")
    wizard.locator(".wizard-next").click()

    # 3. Types, with the toggle buttons; an accent-free search finds « Précédent ».
    expect(title).to_have_text("3. Services actifs : types")
    expect(page_label.locator('[data-step="3"]')).to_have_count(1)  # rows of step 3 drawn
    expect(page_label).to_have_text(f"1–25 sur {PENDING_AT_START - 3}")
    search.press_sequentially("precedent")
    expect(page_label).to_have_text("1–1 sur 1")
    srv12 = wizard_row(wizard, "SRV-012", typed_step=True)
    expect(srv12).to_contain_text("Précédent rendez-vous annulé")
    srv12.locator(".wizard-type-suivi_regulier").click()
    expect(srv12.locator(".wizard-type-suivi_regulier")).to_have_class(ACTIVE)
    search.fill("")
    expect(page_label).to_have_text(f"1–25 sur {PENDING_AT_START - 3}")
    expect(rows).to_have_count(25)
    for service_id in ("SRV-001", "SRV-002"):
        button = wizard_row(wizard, service_id, typed_step=True).locator(f".wizard-type-{TYPES[service_id][0]}")
        button.click()
        expect(button).to_have_class(ACTIVE)
    srv3 = wizard_row(wizard, "SRV-003", typed_step=True)
    srv3.locator(".wizard-type-suivi_grossesse").click()
    srv3.locator(".wizard-type-suivi_regulier").click()
    expect(srv3.locator(".wizard-type-suivi_regulier")).to_have_class(ACTIVE)
    srv3.locator(".wizard-type-suivi_regulier").click()  # choosing a type again removes it
    expect(srv3.locator(".wizard-type-suivi_regulier")).not_to_have_class(ACTIVE)
    expect(srv3.locator(".wizard-type-suivi_grossesse")).to_have_class(ACTIVE)

    # « Précédent » once: the kept-inactive choice is still there; then back to step 3, types kept.
    wizard.locator(".wizard-previous").click()
    expect(title).to_have_text("2. Services inactifs")
    expect(page_label).to_have_text(f"1–25 sur {PENDING_AT_START - 2}")
    search.press_sequentially("antigrippale")
    expect(page_label).to_have_text("1–1 sur 1")
    expect(wizard_row(wizard, "SRV-025").locator("input[type=checkbox]")).to_be_checked()
    search.fill("pause")
    expect(page_label).to_have_text("Aucun service ne correspond à « pause »")  # excluded at step 1
    wizard.locator(".wizard-next").click()
    expect(title).to_have_text("3. Services actifs : types")
    expect(page_label).to_have_text(f"1–25 sur {PENDING_AT_START - 3}")
    expect(wizard_row(wizard, "SRV-001", True).locator(".wizard-type-urgent")).to_have_class(ACTIVE)
    expect(wizard_row(wizard, "SRV-003", True).locator(".wizard-type-suivi_grossesse")).to_have_class(ACTIVE)
    expect(wizard_row(wizard, "SRV-003", True).locator(".wizard-type-suivi_regulier")).not_to_have_class(ACTIVE)
    expect(wizard_row(wizard, "SRV-012", True).locator(".wizard-type-suivi_regulier")).to_have_class(ACTIVE)

    # 4. The summary, then Apply.
    wizard.locator(".wizard-next").click()
    expect(title).to_have_text("Appliquer")
    summary = wizard.locator(".wizard-summary-counts")
    n_active, n_excluded = len(TYPES), len(EXCLUDED)
    n_inactive = PENDING_AT_START - n_active - n_excluded
    expect(summary.locator("tr")).to_have_text(
        [
            re.compile(rf"Actifs\s*{n_active}$"),
            re.compile(rf"Inactifs, non exclus\s*{n_inactive}$"),
            re.compile(rf"Exclus\s*{n_excluded}$"),
            re.compile(r"Réactivés automatiquement\s*0$"),
            re.compile(rf"Désactivés automatiquement \(sans type\)\s*{n_inactive - 1}$"),
        ]
    )
    expect(wizard.locator(".wizard-what-if")).to_be_visible()
    assert list_services(demo_db) == [], "nothing is written before Apply"
    shot(page, kit, screenshots, "03-synchronisation-resume")
    wizard.locator(".wizard-apply").click()
    result = wizard.locator(".wizard-result [data-run-id]")
    expect(result).to_be_visible(timeout=WIDGET_TIMEOUT)
    run_id = result.get_attribute("data-run-id")
    expect(result).to_contain_text(f"{run_id} appliquée : {n_active} actifs")
    expect(page.locator("[role=alert]")).to_have_count(0)
    shot(page, kit, screenshots, "04-synchronisation-appliquee")

    # The database holds exactly these choices.
    services = {s["service_id"]: s for s in list_services(demo_db)}
    assert len(services) == PENDING_AT_START
    assert {sid: s["types"] for sid, s in services.items() if s["status"] == "active"} == TYPES
    assert sorted(sid for sid, s in services.items() if s["excluded"]) == EXCLUDED
    assert services["SRV-025"]["status"] == "inactive" and not services["SRV-025"]["excluded"]
    assert list_runs(demo_db)[0]["run_id"] == run_id

    # The Actifs / Inactifs tabs changed.
    top_tab(page, "Services").click()
    n_tab_active, n_tab_inactive = len(list_services(demo_db, "active")), len(list_services(demo_db, "inactive"))
    assert (n_tab_active, n_tab_inactive) == (n_active, n_inactive + n_excluded)
    expect(catalogue_tab(page, "Actifs")).to_have_text(f"Actifs ({n_tab_active})")
    expect(catalogue_tab(page, "Inactifs")).to_have_text(f"Inactifs ({n_tab_inactive})")
    expect(page.locator(".catalogue-table-active tr[data-service-id]")).to_have_count(n_tab_active)
    shot(page, kit, screenshots, "02-services")

    # The history shows the run once the tab is read again.
    top_tab(page, "Synchronisation").click()
    expect(page.locator(".sync-history .history-table")).to_contain_text(run_id)


def test_catalogue_search_ignores_accents(page, dashboard, demo_db, kit, tmp_path):
    import_if_needed(demo_db, kit, tmp_path)
    kit.open_dashboard(page, dashboard.url)
    top_tab(page, "Services").click()

    page.locator(".catalogue-search-active input").press_sequentially("precedent")
    active = page.locator(".catalogue-table-active tr[data-service-id]")
    expect(active).to_have_count(len(list_services(demo_db, "active", "precedent")))
    expect(active).to_have_count(1)
    expect(active).to_contain_text("Précédent rendez-vous annulé")

    catalogue_tab(page, "Inactifs").click()
    page.locator(".catalogue-search-inactive input").press_sequentially("reunion")
    inactive = page.locator(".catalogue-table-inactive tr[data-service-id]")
    expect(inactive).to_have_count(1)
    expect(inactive).to_have_attribute("data-service-id", "SRV-038")
    expect(inactive).to_contain_text("Réunion d'équipe")
    expect(page.locator("[role=alert]")).to_have_count(0)


def test_overview_after_the_import(page, dashboard, demo_db, kit, screenshots, tmp_path):
    import_if_needed(demo_db, kit, tmp_path)
    kit.open_dashboard(page, dashboard.url)
    page.locator(".overview-refresh").click()
    check_overview(page, demo_db)
    assert run_audit(demo_db, Quarter.of(now_local()).previous()).coverage_pct > 0
    expect(page.locator(".overview img")).to_be_visible()  # the trend chart
    shot(page, kit, screenshots, "07-vue-d-ensemble-apres-import")


def test_staff_tab(page, dashboard, demo_db, kit, screenshots):
    kit.open_dashboard(page, dashboard.url)
    top_tab(page, "Personnel médical").click()
    expect(page.locator(".staff-table-active tr")).to_have_count(len(list_staff(demo_db, "active")) + 1)
    expect(page.locator("[role=alert]")).to_have_count(0)
    shot(page, kit, screenshots, "05-personnel-medical")


def test_audit_and_workbook_download(page, dashboard, demo_db, kit, screenshots, tmp_path):
    import_if_needed(demo_db, kit, tmp_path)
    kit.open_dashboard(page, dashboard.url)
    top_tab(page, "Audit").click()
    page.locator(".audit-quarter select").select_option(label="T3 2026")
    page.locator(".audit-run").click()
    expected = run_audit(demo_db, "2026Q3", details=True)
    first_screen = page.locator(".audit-headline .audit-first-screen")
    expect(first_screen).to_contain_text(f"Couverture {percent(expected.coverage_pct)}", timeout=WIDGET_TIMEOUT)
    expect(first_screen).to_contain_text(f"{number(expected.counted)} éléments comptés sur {number(expected.owed)} dus")
    expect(page.locator(".audit-result")).to_contain_text(f"Ce qu'il faut corriger ({len(expected.issues)})")

    page.locator(".audit-report").click()
    link = page.locator("a.download-xlsx")
    expect(link).to_be_visible(timeout=120_000)
    assert link.get_attribute("download") == "audit-2026Q3.xlsx"
    assert link.get_attribute("href").startswith(
        "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,"
    )
    expect(page.locator("a.download-html")).to_have_attribute("download", "audit-2026Q3.html")
    shot(page, kit, screenshots, "06-audit")
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)

    workbook = openpyxl.load_workbook(saved, read_only=True)
    assert workbook.sheetnames[0] == "Problèmes"
    rows = [["" if v is None else str(v) for v in row] for row in workbook["Problèmes"].iter_rows(values_only=True)]
    table = issues_table(expected, ids=True)
    assert rows[0] == list(table.columns)
    assert len(rows) - 1 == len(expected.issues) > 0
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in table.itertuples(index=False)]
    expect(page.locator("[role=alert]")).to_have_count(0)


# --- the server's safety ---------------------------------------------------------------------


def test_token_protected_start(dashboard_factory, demo_db, kit):
    server = dashboard_factory(demo_db, "--host", "127.0.0.1", env=kit.clean_env(ORCHESTRATOR_TOKEN="SECRET"))
    try:
        for url in (server.url + "/", server.url + "/?token=WRONG"):
            refused = requests.get(url, allow_redirects=False, timeout=30)
            assert refused.status_code == 302, url
            assert urlsplit(refused.headers["Location"]).path.endswith("/login")
        status, body, _ = raw_get(server.url, "/voila/files/tableau_de_bord.ipynb")
        assert status != 200 and "nbformat" not in body
        for extra in ({"params": {"token": "SECRET"}}, {"headers": {"Authorization": "token SECRET"}}):
            with requests.get(server.url + "/", allow_redirects=False, timeout=60, stream=True, **extra) as accepted:
                assert accepted.status_code == 200, extra
    finally:
        server.stop()
    assert "SECRET" not in server.log


def test_public_address_without_token_is_refused(demo_db, kit):
    port = kit.free_port()
    result = subprocess.run(
        [kit.ORCHESTRATOR, "--db", str(demo_db), "dashboard", "--host", "0.0.0.0", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=60,
        env=kit.clean_env(),
    )
    assert result.returncode == 2, result.stderr
    assert "jeton" in result.stderr and "0.0.0.0" in result.stderr
    assert "Voilà is running" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "something listens on the port"


@pytest.mark.parametrize(
    "path, secret",
    [
        ("/voila/files/../data/demo/services.csv", "service_id,name"),
        ("/voila/files/%2e%2e/data/demo/services.csv", "service_id,name"),
        ("/voila/files/..%2fdata%2fdemo%2fservices.csv", "service_id,name"),
        ("/voila/files/../pyproject.toml", "[build-system]"),
        ("/voila/files/../orchestrator_lib/server.py", "def voila_config"),
        ("/voila/files/tableau_de_bord.ipynb", "nbformat"),
        ("/voila/render/tableau_de_bord.ipynb", "nbformat"),
        ("/api/contents", '"type": "directory"'),
        ("/api/contents/tableau_de_bord.ipynb", "nbformat"),
        ("/files/tableau_de_bord.ipynb", "nbformat"),
        ("/tree", "tableau_de_bord"),
        ("/api/kernels", '"execution_state"'),
    ],
)
def test_no_file_is_served(dashboard, path, secret):
    status, body, chain = raw_get(dashboard.url, path)
    assert status != 200, (path, chain)
    assert secret not in body


def test_database_file_is_not_served(dashboard, demo_db):
    for path in (f"/voila/files{demo_db}", f"/voila/files/..{demo_db}", f"/voila/files/../../../../../..{demo_db}"):
        status, _body, chain = raw_get(dashboard.url, path)
        assert status != 200, (path, chain)
