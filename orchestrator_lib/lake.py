"""The shared store: DuckLake, its catalogue in PostgreSQL, its tables as Parquet files.

A group of clinics shares one store: every clinic's manager, analysts on their own
machines and scheduled audits read and write it at once, which one DuckDB file cannot
allow. DuckLake speaks the same SQL; what differs is said here once:

- its extensions come from the ``duckdb-extension-ducklake`` and ``-postgres`` wheels,
  installed into a folder of our own, never downloaded at run time;
- its tables know no sequences, keys, CHECK constraints nor computed defaults, so the
  migrations are rewritten for it (``schema_sql``) and every writer gives each value;
- two processes that write one clinic at once both work, and DuckLake refuses the
  second commit: ``store.write`` runs the work again, a bounded number of times. Every
  write transaction bumps the clinic's one ``write_turns`` row first, so that any two
  writers of a clinic conflict, even when they only add rows.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import duckdb

from .errors import DatabaseMissingError, InputError

ALIAS = "lake"
EXTENSIONS = ("ducklake", "postgres")


def extension_directory() -> Path:
    """DuckDB's extension folder for this project: the user's cache, never the network."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("orchestrator-lib")) / "duckdb-extensions"


def _shipped_extension(name: str) -> Path:
    """The binary the ``duckdb-extension-NAME`` wheel carries for this exact DuckDB."""
    import importlib

    package = importlib.import_module(f"duckdb_extension_{name}")
    folder = Path(package.__file__ or "").parent / "extensions" / f"v{duckdb.__version__}"
    return next(folder.glob("*.duckdb_extension"))


def _load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    for name in EXTENSIONS:
        try:
            con.execute(f"LOAD {name}")
        except duckdb.Error:  # first use on this machine: install it from the wheel
            con.execute(f"INSTALL {_quoted(str(_shipped_extension(name)))}")
            con.execute(f"LOAD {name}")


def data_path() -> str | None:
    """Where a new store keeps its Parquet files: ``$ORCHESTRATOR_DATA_PATH`` (shared storage
    every machine mounts at the same place). An existing store remembers its own."""
    return os.environ.get("ORCHESTRATOR_DATA_PATH") or None


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# One DuckDB instance per store and process, with the extensions loaded and the store attached
# once: loading them and attaching cost ~0.2 s, and a command, a dashboard kernel or the
# concurrency test's workers open many connections. Each connection is a cursor of it, with
# its own transaction and clinic; DuckLake reads its catalogue's latest snapshot at each
# transaction, so a cursor sees what other processes committed.
_attached: dict[tuple[str, bool], duckdb.DuckDBPyConnection] = {}
_attaching = threading.Lock()


def connect(db, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection to the store ``db`` names, as ``lake`` (its ``main`` schema in use). A
    reader never creates a store: it attaches it read-only until a writer of this process has."""
    with _attaching:
        hub = _attached.get((db.target, False)) or (read_only and _attached.get((db.target, True)))
        if not hub:
            hub = _attached[(db.target, read_only)] = _attach(db, read_only=read_only)
    con = hub.cursor()
    con.execute(f"USE {ALIAS}")
    return con


def _attach(db, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Attach the store; when two processes create a new store at the same moment, the one
    whose catalogue tables the other made first attaches again (it then finds them)."""
    import tenacity

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_created_meanwhile),
        wait=tenacity.wait_random(0.05, 0.5),
        stop=tenacity.stop_after_attempt(5),
        reraise=True,
    )
    try:
        return retrying(_attach_once, db, read_only)
    except duckdb.Error as error:
        raise _explained(error, db) from None


def _created_meanwhile(error: BaseException) -> bool:
    text = str(error)
    return "Failed to initialize DuckLake" in text and ("duplicate key" in text or "already exists" in text)


def _attach_once(db, read_only: bool) -> duckdb.DuckDBPyConnection:
    """The store attached; ``$ORCHESTRATOR_DATA_PATH`` is given only to create a new one (an
    existing store keeps the data path it was made with, wherever this machine mounts it)."""
    con = duckdb.connect(
        config={
            "extension_directory": str(extension_directory()),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    try:
        _load_extensions(con)
        attach = f"ATTACH {_quoted(db.target)} AS {ALIAS}"
        try:
            con.execute(attach + (" (READ_ONLY)" if read_only else ""))
        except duckdb.Error as error:
            if read_only or not data_path() or "data_path is not set" not in str(error):
                raise
            con.execute(f"{attach} (DATA_PATH {_quoted(data_path() or '')})")  # a new store
    except BaseException:
        con.close()
        raise
    return con


def _explained(error: duckdb.Error, db) -> Exception:
    """DuckLake's and libpq's reason, without the connection string (said by ``db`` already)."""
    text = str(error)
    if "creating a new DuckLake is explicitly disabled" in text:
        return DatabaseMissingError("clinic_missing", db=db, clinic=db.clinic)
    if "data_path is not set" in text:
        return InputError("lake_needs_data_path", db=db)
    return InputError("lake_unreachable", db=db, detail=_reason(text) or type(error).__name__)


def _reason(text: str) -> str:
    """libpq's or DuckLake's own reason, without any connection string: what follows the last
    quoted part of the first line (the target is named by the message already)."""
    first = text.splitlines()[0] if text else ""
    reason = first.rsplit('"', 1)[-1] if '"' in first else first.split(": ", 1)[-1]
    reason = reason.lstrip(" :,").strip()
    return re.sub(r"\S*(@|password)\S*", "", reason, flags=re.IGNORECASE)[:300]


# --- the migrations, as DuckLake takes them ----------------------------------------------

_DROPPED = [
    re.compile(r"--[^\n]*"),  # comments first: they may hold any word below
    re.compile(r"CREATE SEQUENCE \w+;"),
    re.compile(r"\s+DEFAULT\s+(nextval\('\w+'\)|current_timestamp|\[\]|true|false)", re.IGNORECASE),
    re.compile(r"\s+UNIQUE\b(?!\s*\()"),
]
_COLUMN_KEY = re.compile(r"\s+PRIMARY KEY\b(?!\s*\()")  # a key's column is NOT NULL still
_WITH_PARENTHESES = re.compile(r"\b(CHECK|PRIMARY KEY)\s*\(")
_DANGLING_COMMA = re.compile(r",(\s*)(?=[,)])")


def schema_sql(sql: str) -> str:
    """A migration as DuckLake takes it: no sequences, keys, CHECK constraints or defaults
    (the code gives every value they gave, and checks what they checked)."""
    for pattern in _DROPPED:
        sql = pattern.sub("", sql)
    sql = _COLUMN_KEY.sub(" NOT NULL", sql)
    sql = _without_parenthesised(sql)
    return _DANGLING_COMMA.sub(r"\1", sql)


def _without_parenthesised(sql: str) -> str:
    """Drop every ``CHECK (…)`` and table-level ``PRIMARY KEY (…)``, nested parentheses included."""
    while found := _WITH_PARENTHESES.search(sql):
        depth, end = 0, found.end() - 1
        for end in range(found.end() - 1, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            if depth == 0:
                break
        sql = sql[: found.start()].rstrip() + sql[end + 1 :]
    return sql


# --- clinics and upkeep -----------------------------------------------------------------------


# DuckLake's own upkeep, in the order its documentation gives: small inserts kept in the
# catalogue written out as Parquet, small files merged, files with many deleted rows rewritten,
# snapshots older than ``keep`` expired (time travel kept that long), then the files no
# snapshot needs any more deleted, and those a killed process left behind.
MAINTENANCE = (
    ("flushed", "SELECT count(*) FROM ducklake_flush_inlined_data('lake')"),
    ("merged", "SELECT coalesce(sum(files_processed), 0) FROM ducklake_merge_adjacent_files('lake')"),
    ("rewritten", "SELECT coalesce(sum(files_processed), 0) FROM ducklake_rewrite_data_files('lake')"),
    ("expired", "SELECT count(*) FROM ducklake_expire_snapshots('lake', older_than => now() - $keep::INTERVAL)"),
    ("removed", "SELECT count(*) FROM ducklake_cleanup_old_files('lake', cleanup_all => true)"),
    ("orphans", "SELECT count(*) FROM ducklake_delete_orphaned_files('lake', older_than => now() - $keep::INTERVAL)"),
)


SHORTEST_KEEP = "1 hour"  # files younger than this may still be written by a transaction in progress


def _checked_keep(keep: str) -> None:
    """``--keep`` as an interval of at least ``SHORTEST_KEEP``: deleting younger files
    could delete those another process's open transaction is writing."""
    try:
        long_enough = duckdb.execute(
            "SELECT $keep::INTERVAL >= $short::INTERVAL", {"keep": keep, "short": SHORTEST_KEEP}
        )
        ok = long_enough.fetchone()[0]  # type: ignore[index]
    except duckdb.Error:
        raise InputError("maintain_keep_invalid", value=keep[:60]) from None
    if not ok:
        raise InputError("maintain_keep_too_short", value=keep[:60], shortest=SHORTEST_KEEP)


def maintain(db, keep: str) -> dict[str, int]:
    """Run DuckLake's upkeep on the whole store; how many files or snapshots each step touched."""
    from .store import _private_files

    _checked_keep(keep)
    try:
        connect(db, read_only=True).close()  # an existing store: upkeep never creates one
    except DatabaseMissingError:
        raise DatabaseMissingError("lake_missing", db=db.where) from None
    with _private_files(shared=True):
        con = connect(db, read_only=False)
    try:
        done = {}
        with _private_files(shared=True):
            for name, sql in MAINTENANCE:
                params = {"keep": keep} if "$keep" in sql else {}
                done[name] = int(con.execute(sql, params).fetchone()[0])  # type: ignore[index]
        return done
    finally:
        con.close()
