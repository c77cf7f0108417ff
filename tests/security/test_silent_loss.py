"""A load never loses rows silently: an Excel sheet is read whole whatever its
<dimension> says, a workbook that inflates too far is refused, a CSV line too
long for DuckDB's reader is refused instead of being dropped, and the rows
stored are counted against the rows the file holds."""

from __future__ import annotations

import re
import shutil
import zipfile

import pytest
from openpyxl import Workbook

from orchestrator_lib.errors import InputError
from orchestrator_lib.load import load_export
from orchestrator_lib.sources import files

from conftest import SMALL_EXPORT, query, run_cli, snapshot, write_export


def xlsx_of(folder, name: str, text: str) -> None:
    import csv
    import io

    workbook = Workbook()
    for row in csv.reader(io.StringIO(text, newline="")):
        workbook.active.append(row)
    workbook.save(folder / f"{name}.xlsx")
    (folder / f"{name}.csv").unlink()


def test_an_excel_sheet_that_under_declares_its_dimension_is_read_whole(tmp_path, db):
    folder = write_export(tmp_path / "export")
    xlsx_of(folder, "services", SMALL_EXPORT["services"])
    path = folder / "services.xlsx"
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(lying, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:D1"', data)
            target.writestr(item, data)
    shutil.move(lying, path)
    load_export(folder, db)
    assert query(db, "SELECT count(*) FROM emr_services") == [(4,)]


def test_a_workbook_that_inflates_past_the_limit_is_refused(tmp_path, db, monkeypatch):
    load_export(write_export(tmp_path / "first"), db)
    before = snapshot(db)
    folder = write_export(tmp_path / "export")
    xlsx_of(folder, "staff", SMALL_EXPORT["staff"])
    with zipfile.ZipFile(folder / "staff.xlsx", "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/padding.bin", b"\0" * (3 << 20))  # 3 MiB of zeros: a few KiB on disk
    monkeypatch.setattr(files, "MAX_XLSX_INFLATED", 2 << 20)
    with pytest.raises(Exception, match="Mio"):
        load_export(folder, db)
    assert snapshot(db) == before


@pytest.mark.parametrize("megabytes", [9, 40])  # reported by DuckDB / dropped silently by DuckDB 1.5.5
def test_a_csv_line_too_long_is_refused_naming_its_line_and_nothing_changes(tmp_path, db, megabytes):
    load_export(write_export(tmp_path / "first"), db)
    before = snapshot(db)
    folder = write_export(tmp_path / "export")
    with open(folder / "services.csv", "a", encoding="utf-8") as out:
        out.write("SRV-LONG," + "x" * (megabytes << 20) + ",active,2025-01-10\nSRV-9,Fin,active,2025-01-10\n")
    result = run_cli("--db", str(db), "load", str(folder))
    assert result.returncode == 2 and "services.csv, ligne 6" in result.stderr, result.stderr
    assert snapshot(db) == before


def test_a_reader_that_drops_a_row_silently_is_caught(tmp_path, db, monkeypatch):
    """Whatever the reader loses without a word (DuckDB dropped over-long lines),
    the count of the file's rows stops the load."""
    load_export(write_export(tmp_path / "first"), db)
    before = snapshot(db)
    reading = files.TableFile.relation

    def losing_one(self):
        sql, params = reading(self)
        return (f"SELECT * FROM ({sql}) LIMIT 3", params) if self.table.name == "services" else (sql, params)

    monkeypatch.setattr(files.TableFile, "relation", losing_one)
    with pytest.raises(InputError, match=r"services\.csv.* 4 lignes de données, mais 3") as refused:
        load_export(write_export(tmp_path / "export"), db)
    assert refused.value.key == "rows_lost"
    assert snapshot(db) == before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_line_feeds_inside_values_and_blank_lines_are_not_taken_for_lost_rows(tmp_path, db, suffix):
    services = (
        SMALL_EXPORT["services"].replace("SRV-2,Pause,", 'SRV-2,"Pause\nde midi",')
        + '\n\nSRV-5,"Fin\r\nde journée",active,2025-01-10\n\n'
    )
    folder = write_export(tmp_path / "export", {"services": services})
    if suffix == ".xlsx":
        xlsx_of(folder, "services", (folder / "services.csv").read_text())
    load_export(folder, db)
    assert query(db, "SELECT count(*) FROM emr_services") == [(5,)]
    assert query(db, "SELECT name FROM emr_services WHERE service_id = 'SRV-2'") == [("Pause\nde midi",)]


def test_a_file_without_a_final_line_feed_keeps_its_last_row(tmp_path, db):
    load_export(write_export(tmp_path / "export", {"services": SMALL_EXPORT["services"].rstrip("\n")}), db)
    assert query(db, "SELECT count(*) FROM emr_services") == [(4,)]
