"""A load never loses rows silently: an Excel sheet is read whole whatever its
<dimension> says, a workbook that inflates too far is refused, a CSV line too
long for DuckDB's reader is refused instead of being dropped."""

from __future__ import annotations

import re
import shutil
import zipfile

import pytest
from openpyxl import Workbook

from conftest import SMALL_EXPORT, query, run_cli, snapshot, write_export
from orchestrator_lib.load import load_export
from orchestrator_lib.sources import files


def xlsx_of(folder, name: str, text: str) -> None:
    import csv

    workbook = Workbook()
    for row in csv.reader(text.splitlines()):
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
