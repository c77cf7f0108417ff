"""The evidence pack of a quarter (docs/evidence.md): what a clinic hands over when it
contests the remuneration report, and what proves later that its figures still hold.

``write_pack`` writes, beside the report of ``audit --out``:

- ``items.parquet`` and ``items.csv``: every appointment and availability of the quarter
  with its service, staff member, start, status, the reason it is not counted (empty when
  counted) and the patient's keyed pseudonym only; the CSV's text is inert for a spreadsheet;
- ``manifest.json``: when, by which tool and rules, for which quarter, and a fingerprint of
  each table the audit read (the EMR tables, the orchestrator's decisions) and of each file.

``verify`` recomputes those fingerprints on the database and says which table changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb

from . import __version__, store
from .errors import InputError, OrchestratorError
from .periods import LOCAL, Quarter
from .queries import sql
from .spreadsheet import FORMULA_STARTS

MANIFEST = "manifest.json"
ITEM_FILES = ("items.parquet", "items.csv")
# What the audit of a quarter reads, and how much of it: the two big tables for the
# quarter only (an appointment of another quarter changes nothing in this one).
TABLES = {
    "emr_services": "",
    "emr_staff": "",
    "emr_appointments": "WHERE start >= $start AND start < $end",
    "emr_availabilities": "WHERE start >= $start AND start < $end",
    "services": "",  # the orchestrator's decisions: state and types of each imported service
    "service_configured": "",  # when each was last configured (from the history of runs)
}
TEXT_COLUMNS = ("item_id", "service_id", "service_name", "staff_id", "staff_name")
# Text that a spreadsheet would run (spreadsheet.FORMULA_STARTS), as a DuckDB pattern.
FORMULA_START = "^[" + "".join("\\" + c if c in "-\\]^" else c for c in FORMULA_STARTS) + "]"


# Rows and an order-free digest of every row: the sum of the first 64 bits of each row's MD5
# (MD5 does not change between DuckDB versions, unlike its hash()).
DIGEST = (
    "SELECT count(*), coalesce(sum(('0x' || left(md5(t::VARCHAR), 16))::UBIGINT::HUGEINT), 0) FROM {table} t {where}"
)


def fingerprints(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> dict[str, str]:
    """Rows and an order-free digest of every row, per table the audit reads (what says
    *where* a difference comes from)."""
    bounds = {"start": quarter.start, "end": quarter.end}
    return {table: _digest(con, table, where, bounds if where else {}) for table, where in TABLES.items()}


def items_digest(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> str:
    """The digest of the pack's items judged now (what says *whether* the pack still holds)."""
    con.execute(sql("evidence_items"), {"start": quarter.start, "end": quarter.end})
    return _digest(con, "pack_items", "", {})


def _digest(con, table: str, where: str, params: dict) -> str:
    rows, digest = store.row(con, DIGEST.format(table=table, where=where), params)
    return f"{rows}:{digest}"


def write_pack(con: duckdb.DuckDBPyConnection, quarter: Quarter, folder: Path, generated_at: str) -> dict[str, Path]:
    """The items files and the manifest of ``quarter`` into ``folder``, from ``con``."""
    digest = items_digest(con, quarter)
    parquet, csv = (folder / name for name in ITEM_FILES)
    con.execute(f"COPY pack_items TO '{_quoted(parquet)}' (FORMAT parquet, COMPRESSION zstd)")
    inert = ", ".join(
        f"CASE WHEN regexp_matches({c}, '{FORMULA_START}') THEN '''' || {c} ELSE {c} END AS {c}" for c in TEXT_COLUMNS
    )
    con.execute(
        f"COPY (SELECT * REPLACE ({inert}) FROM pack_items) TO '{_quoted(csv)}' (HEADER, DELIMITER ',', QUOTE '\"')"
    )
    counts = dict(con.execute("SELECT kind, count(*) FROM pack_items GROUP BY kind").fetchall())
    manifest = {
        "generated_at": generated_at,
        "tool": "orchestrator_lib",
        "version": __version__,
        "rules_version": store.latest_version(),
        "duckdb": duckdb.__version__,
        "quarter": str(quarter),
        "items": {"appointments": counts.get("appointment", 0), "availabilities": counts.get("availability", 0)},
        "items_digest": digest,
        "tables": fingerprints(con, quarter),
        "files": {path.name: _sha256(path) for path in (parquet, csv)},
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return {"items_parquet": parquet, "items_csv": csv, "manifest": path}


def verify(db, folder) -> dict:
    """Does the pack in ``folder`` still match the database: the quarter's items judged now
    equal to the pack's, and its files as written? ``{"quarter", "matches", "items_changed",
    "tables_changed": [...], "files_changed": [...], "generated_at", "rules_version",
    "same_rules"}``. ``tables_changed`` says where a difference comes from (a table may also
    change without changing the items: a new member with no item of the quarter)."""
    folder = Path(folder)
    manifest = _read_manifest(folder)
    quarter = manifest["quarter"]
    files_changed = [
        name
        for name, digest in manifest["files"].items()
        if not (folder / name).is_file() or _sha256(folder / name) != digest
    ]
    with store.reading(db) as con:
        items_now = items_digest(con, quarter)
        tables_now = fingerprints(con, quarter)
    tables_changed = [t for t, digest in manifest["tables"].items() if tables_now.get(t) != digest]
    items_changed = items_now != manifest["items_digest"]
    return {
        "quarter": str(quarter),
        "matches": not items_changed and not files_changed,
        "items_changed": items_changed,
        "tables_changed": tables_changed,
        "files_changed": files_changed,
        "generated_at": manifest.get("generated_at"),
        "rules_version": manifest.get("rules_version"),
        "same_rules": manifest.get("rules_version") == store.latest_version(),
        "verified_at": dt.datetime.now(LOCAL).isoformat(timespec="seconds"),
    }


def _read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("pack_no_manifest", folder=folder) from None
    except (OSError, ValueError) as error:
        raise InputError("pack_bad_manifest", file=path, reason=str(error)) from None
    expected = {"quarter": str, "items_digest": str, "tables": dict, "files": dict}
    wrong = [
        key
        for key, kind in expected.items()
        if not isinstance(manifest, dict) or not isinstance(manifest.get(key), kind)
    ]
    if not wrong and not all(isinstance(v, str) for part in ("tables", "files") for v in manifest[part].values()):
        wrong = ["tables", "files"]
    if not wrong and any(Path(name).name != name for name in manifest["files"]):
        wrong = ["files"]  # a file of the pack, never a path elsewhere
    if wrong:
        raise InputError("pack_bad_manifest", file=path, reason=", ".join(wrong))
    try:
        manifest["quarter"] = Quarter.parse(manifest["quarter"])
    except OrchestratorError:
        raise InputError("pack_bad_manifest", file=path, reason="quarter") from None
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
