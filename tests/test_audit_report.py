"""The audit report end to end: ``orchestrator audit --out`` on the demo clinic
writes summary.json, issues.xlsx, the executed notebook and an HTML report
without code that reads offline; the notebook itself runs under nbval."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess

import nbformat
import openpyxl
import pytest

from orchestrator_lib.audit import run_audit
from orchestrator_lib.demo import SERVICES
from orchestrator_lib.load import load_export
from orchestrator_lib.wizard import Wizard

from conftest import DEMO, ORCHESTRATOR, OUR_VARIABLES, ROOT, report_files, run_nbval

pytestmark = pytest.mark.slow  # real processes, servers or notebooks: left out of make test-fast

QUARTER = "2026Q3"
NOTEBOOK = ROOT / "notebooks" / "02_audit_remuneration.ipynb"
SHEETS = [
    "Problèmes",
    "Résumé",
    "Par service",
    "Par personnel",
    "Par type",
    "Par mois",
    "Offre, rendez-vous par membre",
    "Offre, rendez-vous par service",
    "Tendance",
]  # "Estimation en dollars" too, once the clinic set its amounts (tests/test_gap_report.py)
ISSUE_HEADERS = [
    "Problème",
    "Réduit le compte",
    "Identifiant",
    "Nom",
    "Rendez-vous",
    "Disponibilités",
    "À faire",
    "Détail",
    "Membres concernés",
    "Services concernés",
]
BREAKDOWN_HEADERS = [
    "Rendez-vous",
    "Rendez-vous comptés",
    "Disponibilités",
    "Disponibilités comptées",
    "Exclus (non dus)",
    "Couverture (%)",
]
WORKBOOK = f"audit-{QUARTER}.xlsx"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    return {**env, "ORCHESTRATOR_LOCK_TIMEOUT": "20", **extra}


def sync_demo_catalogue(db) -> None:
    """The sync a clinic would make: administrative services excluded, the
    placeholder « Précédent rendez-vous annulé » kept inactive (and left without
    a type), every other service typed with its reason."""
    wizard = Wizard(db, as_of="2026-12-31T18:00:00", user="test")
    spec = {f"SRV-{i:03d}": service for i, service in enumerate(SERVICES, start=1)}
    for service in wizard.listed(1):
        if spec[service.service_id].admin:
            wizard.set_excluded(service.service_id)
    for service in wizard.listed(2):
        if spec[service.service_id].name.startswith("Précédent"):
            wizard.set_kept_inactive(service.service_id)
    for service in wizard.listed(3):
        if not spec[service.service_id].name.startswith("Précédent"):
            wizard.set_types(service.service_id, [spec[service.service_id].reason])
    wizard.apply()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The demo clinic loaded and synced, then ``orchestrator audit --out --json`` (timed by bench/audit.py)."""
    tmp = tmp_path_factory.mktemp("audit-report")
    db, out = tmp / "demo.duckdb", tmp / "report"
    with pytest.MonkeyPatch.context() as patch:
        for name in OUR_VARIABLES:
            patch.delenv(name, raising=False)
        load_export(DEMO, db)
        sync_demo_catalogue(db)
    result = subprocess.run(
        [ORCHESTRATOR, "--db", str(db), "audit", "--quarter", QUARTER, "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
    )
    assert result.returncode == 0, result.stderr
    return {
        "db": db,
        "out": out,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "document": json.loads(result.stdout),
    }


def test_the_report_and_its_evidence_pack_are_written(report):
    names = sorted(p.name for p in report["out"].iterdir())
    assert names == report_files(QUARTER)


def test_stdout_is_the_json_document_only(report):
    document = report["document"]
    assert set(document) == {
        "quarter",
        "status",
        "appointments",
        "availabilities",
        "coverage_pct",
        "issues",
        "threshold",
        "period",
        "data",
        "funnel",
    }
    assert document["quarter"] == QUARTER
    assert 0 < document["coverage_pct"] < 100  # the demo clinic has something to fix
    assert "Traceback" not in report["stderr"]


def test_summary_json_is_the_cli_document_plus_trend(report):
    summary = json.loads((report["out"] / "summary.json").read_text(encoding="utf-8"))
    assert summary.pop("generated_at")
    trend = summary.pop("trend")
    assert summary == report["document"]
    assert [t["quarter"] for t in trend][:3] == ["2026Q1", "2026Q2", "2026Q3"]
    assert trend == json.loads(json.dumps(run_audit(report["db"], QUARTER, details=True).trend))
    (q3,) = (t for t in trend if t["quarter"] == QUARTER)
    items = report["document"]["appointments"], report["document"]["availabilities"]
    assert q3["total"] == sum(side["total"] for side in items)
    assert q3["owed"] == sum(side["owed"] for side in items)
    assert q3["counted"] == sum(side["counted"] for side in items)
    assert summary["status"] == "ok" and summary["data"]["last_load"]["at"]


def html_text(report) -> str:
    return (report["out"] / f"audit-{QUARTER}.html").read_text(encoding="utf-8")


def test_html_report_leads_with_what_to_fix(report):
    page = html_text(report)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "Ce qu'il faut corriger" in text
    actions = [issue["action"] for issue in report["document"]["issues"]]
    assert any(action in text for action in actions)
    assert text.index("Ce qu'il faut corriger") < text.index(actions[0]) < text.index("Résumé")
    assert 'lang="fr"' in page


def test_html_report_has_static_charts_and_no_code(report):
    page = re.sub(r"<style.*?</style>", "", html_text(report), flags=re.S)  # class names in CSS are not elements
    assert page.count("<img") >= 4 and "data:image/png;base64," in page
    assert "run_audit(" not in page and "from orchestrator_lib" not in page
    assert "as_of = None" not in page and "injected-parameters" not in page  # parameter cells are gone
    for code in (
        "jp-InputPrompt",
        "jp-CodeMirrorEditor",
        "cm-editor cm-s-jupyter",
        'class="highlight',
        'class="input_area',
        'class="input_prompt',
    ):
        assert code not in page, code
    # The prose is code cells' output (the catalogue's, in the reader's language): no markdown cell is left
    # whose source could show. Were there one, the lab template's input area must hold rendered markdown only.
    areas = re.findall(r'<div class="jp-InputArea jp-Cell-inputArea">\s*(<div[^>]*>)', page)
    assert all("jp-RenderedMarkdown" in first for first in areas)
    assert "Ce qu'il faut corriger" in page and "Annexe : méthode" in page
    code_cells = re.findall(r'<div[^>]*class="[^"]*jp-CodeCell[^"]*"', page)
    assert code_cells and all("jp-mod-noInput" in cell for cell in code_cells)


def test_html_report_reads_offline(report):
    page = html_text(report)
    assert not re.search(r"<script[^>]+src=", page)
    assert "widget-view+json" not in page and "<iframe" not in page


def test_workbook_sheets_and_headers(report):
    workbook = openpyxl.load_workbook(report["out"] / WORKBOOK)
    assert workbook.sheetnames == SHEETS
    problems = workbook["Problèmes"]
    assert [c.value for c in problems[1]] == ISSUE_HEADERS
    assert problems.max_row - 1 == len(report["document"]["issues"])
    assert [problems.cell(row=r, column=7).value for r in range(2, problems.max_row + 1)] == [
        issue["action"] for issue in report["document"]["issues"]
    ]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref, sheet.title
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        assert all(sheet.column_dimensions[c.column_letter].width >= len(str(c.value)) for c in sheet[1]), sheet.title
    assert [c.value for c in workbook["Par personnel"][1]] == ["Membre du personnel", "Nom", *BREAKDOWN_HEADERS]
    assert [c.value for c in workbook["Par service"][1]] == ["Service", "Nom", *BREAKDOWN_HEADERS]
    assert [c.value for c in workbook["Par type"][1]] == ["Type de service", *BREAKDOWN_HEADERS]
    assert [c.value for c in workbook["Par mois"][1]] == ["Mois", *BREAKDOWN_HEADERS]
    assert [c.value for c in workbook["Tendance"][1]] == [
        "Trimestre",
        "Dus",
        "Comptés",
        "Non comptés",
        "Exclus (non dus)",
        "Couverture (%)",
    ]
    months = [workbook["Par mois"].cell(row=r, column=1).value for r in range(2, 5)]
    assert months == ["juillet 2026", "août 2026", "septembre 2026"]  # calendar order
    assert "T3 2026" in workbook.properties.title  # the quarter as a reader writes it


def test_workbook_summary_matches_the_counts(report):
    rows = {
        row[0]: row[1:]
        for row in openpyxl.load_workbook(report["out"] / WORKBOOK)["Résumé"].iter_rows(min_row=2, values_only=True)
    }
    a, v = report["document"]["appointments"], report["document"]["availabilities"]
    assert rows["Total"] == (a["total"], v["total"], a["total"] + v["total"])
    excluded = a["not_counted"]["service_excluded"], v["not_counted"]["service_excluded"]
    assert rows["Exclus volontairement, non dus"] == (*excluded, sum(excluded))
    assert rows["Dus"] == (a["owed"], v["owed"], a["owed"] + v["owed"])
    assert rows["Comptés"] == (a["counted"], v["counted"], a["counted"] + v["counted"])
    assert rows["Non comptés : Inactif dans Personnel médical"][0] == a["not_counted"]["staff_inactive"]
    assert rows["Couverture (%)"][2] == report["document"]["coverage_pct"]
    assert len(rows) == 4 + 5 + 1  # total, excluded, owed, counted, the five reasons of owed items, coverage


def test_executed_notebook_has_the_parameters_injected(report):
    executed = nbformat.read(report["out"] / f"audit-{QUARTER}.ipynb", as_version=4)
    (injected,) = (c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'quarter = "{QUARTER}"' in injected.source and str(report["db"]) in injected.source


def test_notebook_is_stored_thin_and_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    (parameters,) = (c for c in code if "parameters" in c.metadata.get("tags", []))
    assert re.findall(r"^(\w+) = ", parameters.source, re.M) == [
        "db",
        "clinic",
        "quarter",
        "as_of",
        "fail_under",
        "generated_at",
        "language",
    ]
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None
        assert len(cell.source.splitlines()) <= (7 if cell is parameters else 5), cell.source
    # The prose is the catalogue's (in the reader's language), shown by code cells in this order.
    assert [c.cell_type for c in notebook.cells] == ["code"] * len(notebook.cells)
    prose = [m for c in code for m in re.findall(r'prose\("(\w+)"', c.source)]
    assert prose[0] == "nb_audit_intro" and prose[-1] == "nb_audit_method"  # the method last, for analysts
    assert prose.index("nb_audit_issues") < prose.index("nb_audit_summary") < prose.index("nb_audit_trend")


def test_notebook_runs_under_nbval(report):
    run_nbval(NOTEBOOK.relative_to(ROOT), cwd=ROOT, env=clean_env(ORCHESTRATOR_DB=str(report["db"])))


def test_tables_speak_english_on_request(report, monkeypatch):
    from orchestrator_lib import report as presentation
    from orchestrator_lib.i18n import set_language

    set_language("en")
    result = run_audit(report["db"], QUARTER, details=True)
    assert list(presentation.issues_table(result).columns)[:2] == ["Problem", "Lowers the count"]
    assert next(iter(presentation.workbook_tables(result, report["db"]))) == "Problems"
    assert presentation.breakdown_table(result, "month").iloc[0, 0] in ("July 2026", "August 2026", "September 2026")
