"""One language at a time: what a person reads in English holds no French word of ours, and what
they read in French no English one. The CLI's error paths and outputs, the report (HTML and
workbook) and the dashboard in Chromium are read in both languages and searched for marker words,
once the clinic's own data (names of services, staff, specialties, places) is taken out. The
dashboard is read tab by tab in both languages by tests/test_browser_manager.py
(``test_every_tab_reads_well_from_1024_pixels``), with ``markers_in`` from here.

The report's first screen in both languages goes to ``test-results/screenshots/language-*.png``.
"""

from __future__ import annotations

import csv
import html.parser
import json
import re
from pathlib import Path

import openpyxl
import pytest

from conftest import DEMO, run_cli, write_export

# Words of our French that English must never show, and the reverse. Whole words, case kept.
FRENCH = [
    "Erreur",
    "Valeur",
    "refusée",
    "Couverture",
    "Trimestre",
    "Synchroniser",
    "Personnel",
    "médical",
    "disponibilité",
    "disponibilités",
    "Aucun",
    "Aucune",
    "Annuler",
    "Opération",
    "Télécharger",
    "Actifs",
    "Inactifs",
    "Étape",
    "Suivant",
    "comptés",
    "dus",
    "Rien",
    "Utilisation",
    "Afficher",
    "Données",
    "Problème",
    "Résumé",
    "Tendance",
    "Rôle",
    "Spécialité",
    "Oui",
    "Non",
    "Historique",
    "Rafraîchir",
    "Exemple",
    "rendez-vous",
    "le",
    "la",
    "les",
    "des",
    "du",
    "et",
    "sur",
    "pour",
    "dans",
    "avec",
    "mais",
    "ou",
]
ENGLISH = [
    "Error",
    "Usage",
    "Show",
    "Coverage",
    "Quarter",
    "Sync",
    "Staff",
    "Download",
    "Next",
    "Previous",
    "Undo",
    "Missing",
    "Overview",
    "Apply",
    "Search",
    "Refresh",
    "History",
    "Active",
    "Inactive",
    "Yes",
    "No",
    "appointments",
    "availabilities",
    "items",
    "the",
    "and",
    "of",
    "to",
    "with",
    "not",
    "is",
    "are",
    "for",
    "from",
    "this",
    "that",
]
# Words both languages write the same, or the command's own literals: never markers.
LITERALS = re.compile(
    r"--[\w-]+|\$\w+|\b(previous|current|active|inactive|true|false|Options)\b|`[^`]*`|\S+\.(csv|json|xlsx|duckdb)\b"
)


def clinic_data() -> list[str]:
    """Every name the demo export holds (services, staff, specialties, places), longest first."""
    names: set[str] = set()
    for table, columns in {
        "services": ("name",),
        "staff": ("name", "specialty"),
        "availabilities": ("location",),
    }.items():
        with open(DEMO / f"{table}.csv", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                for column in columns:
                    value = row[column] or ""
                    names.update([value, *value.split(", ")])
    return sorted((n for n in names if n), key=len, reverse=True)


DATA = clinic_data()


def markers_in(text: str, language: str) -> set[str]:
    """The other language's marker words found in ``text`` (shown in ``language``)."""
    for name in DATA:
        text = text.replace(name, " ")
    text = LITERALS.sub(" ", text)
    words = ENGLISH if language == "fr" else FRENCH
    return {w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)}


def test_the_marker_words_catch_the_other_language():
    """The check itself: a French sentence shown in English is caught, and the reverse."""
    assert markers_in("Error: Aucune donnée pour ce trimestre.", "en") == {"Aucune", "pour"}
    assert markers_in("Erreur : the file is missing.", "fr") >= {"the", "is"}
    assert markers_in("Consultation urgente, Tremblay, Marie-Claude", "en") == set()  # the clinic's own data


# --- the command line ------------------------------------------------------------------------------


def cli_paths(tmp_path: Path, loaded: Path) -> list[list[str]]:
    """Commands that fail for each kind of reason, and the outputs people read."""
    bad = write_export(tmp_path / "bad", {"services": "service_id;name;emr_status\nSRV-1;Pause\n"}, delimiter=";")
    decisions = tmp_path / "decisions.json"
    decisions.write_text('{"exclude": ["SRV-036"], "types": {}', encoding="utf-8")  # cut short
    db = str(loaded)
    return [
        ["--help"],
        ["audit", "--help"],
        ["service", "activate", "--help"],
        ["nosuchcommand"],
        ["audit"],
        ["--db", db, "audit", "--quarter", "2026Q9"],
        ["--db", db, "audit", "--quarter", "x", "--fail-under", "300"],
        ["--db", db, "audit", "--quarter", "2026Q3", "--as-of", "hier"],
        ["--db", str(tmp_path / "missing.duckdb"), "audit", "--quarter", "2026Q3"],
        ["--db", db, "sync"],
        ["--db", db, "sync", "--decisions", str(tmp_path / "nofile.json")],
        ["--db", db, "sync", "--decisions", str(decisions)],
        ["--db", str(tmp_path / "new.duckdb"), "load", str(tmp_path / "nofolder")],
        ["--db", str(tmp_path / "new.duckdb"), "load", str(bad)],
        ["--db", db, "explain", "NOPE-1"],
        ["--db", db, "undo"],
        ["--db", db, "service", "activate", "SRV-001"],
        ["--db", db, "audit", "--quarter", "2026Q3", "--fail-under", "95"],
        ["--db", db, "audit", "--quarter", "2025Q1", "--fail-under", "95"],
        ["--db", db, "explain", "STF-001", "--as-of", "2026-11-27T12:00"],
        ["--db", db, "explain", "SRV-036", "--as-of", "2026-11-27T12:00"],
        ["--db", db, "staff"],
        ["--db", db, "history"],
    ]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_command_line_speaks_one_language(tmp_path, loaded_demo, language):
    said = []
    for args in cli_paths(tmp_path, loaded_demo):
        result = run_cli(*args, env={"ORCHESTRATOR_LANG": language})
        assert "Traceback" not in result.stderr, args
        said.append((args, result.stdout + result.stderr))
    assert any("orchestrator audit" in text for _, text in said)
    for args, text in said:
        assert text.strip(), args
        assert markers_in(text, language) == set(), (args, text)


# --- the report ----------------------------------------------------------------------------------


class _Text(html.parser.HTMLParser):
    """The text a reader sees in an HTML page (no style, no script; no command, which is code)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("style", "script", "code")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("style", "script", "code")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def page_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(parser.parts)


def workbook_text(path: Path) -> str:
    workbook = openpyxl.load_workbook(path, read_only=True)
    cells = [str(v) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v]
    return " ".join(workbook.sheetnames + cells)


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_report_speaks_one_language(tmp_path, loaded_demo, language, page, screenshots):
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps({"exclude": ["SRV-036"], "types": {"SRV-001": ["urgent"]}}), encoding="utf-8")
    env = {"ORCHESTRATOR_LANG": language}
    run_cli(
        "--db",
        str(loaded_demo),
        "sync",
        "--decisions",
        str(decisions),
        "--as-of",
        "2026-11-27T12:00",
        env=env,
        check=True,
    )
    out = tmp_path / "report"
    result = run_cli("--db", str(loaded_demo), "audit", "--quarter", "2026Q3", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    report = page_text(out / "audit-2026Q3.html")
    assert ("T3 2026" if language == "fr" else "Q3 2026") in report and "2026Q3 " not in report
    assert markers_in(report, language) == set()
    assert markers_in(workbook_text(out / "audit-2026Q3.xlsx"), language) == set()
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto((out / "audit-2026Q3.html").as_uri())
    page.screenshot(path=str(screenshots / f"language-{language}-report-first-page.png"))  # what a director sees first
