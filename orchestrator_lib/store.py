"""The DuckDB file: where it is, its schema, and short-lived connections.

A DuckDB file is open read-write by one process *or* read-only by many, never
both. The dashboard, an analyst's notebook and scheduled audits share one file,
so nothing here keeps a connection open: each read or write opens the file,
does its work and closes it. Opening waits (with backoff) while another process
holds the file, and after ``$ORCHESTRATOR_LOCK_TIMEOUT`` seconds (30 by default)
says clearly who holds it.

Times in the EMR tables are local wall-clock times in America/Montreal: the
remuneration rules are defined on local dates, so storing local time makes
every quarter, month or "future" test a plain comparison.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from .errors import DatabaseBusyError, DatabaseMissingError, InputError, SchemaTooNewError

DEFAULT_DB = Path("data") / "orchestrator.duckdb"
LOCAL_TIMEZONE = "America/Montreal"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def resolve_db(path: str | os.PathLike | None = None) -> Path:
    """The database path: the argument, else ``$ORCHESTRATOR_DB``, else the default.

    The default ``data/orchestrator.duckdb`` is looked for in the working folder
    and then in each folder above it, as git looks for its repository: a
    notebook's kernel runs in ``notebooks/`` and still finds the project's
    database. When none exists, it is the one of the working folder.
    """
    chosen = path or os.environ.get("ORCHESTRATOR_DB")
    if chosen:
        return Path(chosen)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_DB).is_file():
            return folder / DEFAULT_DB
    return DEFAULT_DB


def require_existing(db: Path) -> None:
    """Refuse a database that does not exist: only ``load`` and ``demo`` create one,
    so a mistyped path is said, never silently replaced by an empty database."""
    if not db.is_file():
        raise DatabaseMissingError("db_missing", db=db)


def current_user() -> str:
    """Who is acting, for the history: ``$ORCHESTRATOR_USER`` or the OS login."""
    try:
        return os.environ.get("ORCHESTRATOR_USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return f"uid-{os.getuid()}"


# --- opening the file --------------------------------------------------------

def _is_lock_conflict(error: BaseException) -> bool:
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def _holder(error: BaseException) -> str:
    """'program (PID n)' as DuckDB names the process holding the lock."""
    found = re.search(r"held in (.+?) \(PID (\d+)\)", str(error))
    return f"{Path(found.group(1)).name}, PID {found.group(2)}" if found else "?"


def _open(db: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as error:
        if not _is_lock_conflict(error):
            raise
        con = _open_when_free(db, read_only)
    con.execute(f"SET TimeZone = '{LOCAL_TIMEZONE}'")
    return con


def _open_when_free(db: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Wait for another process to let go of the file (tenacity is imported
    only then: most opens find the file free, and a command starts faster)."""
    import tenacity

    timeout = float(os.environ.get("ORCHESTRATOR_LOCK_TIMEOUT", "30"))
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_is_lock_conflict),
        wait=tenacity.wait_random_exponential(multiplier=0.02, max=0.5),
        stop=tenacity.stop_after_delay(timeout),
        reraise=True,
    )
    try:
        return retrying(duckdb.connect, str(db), read_only=read_only)
    except duckdb.IOException as error:
        if _is_lock_conflict(error):
            raise DatabaseBusyError("db_busy", db=db, seconds=int(timeout), holder=_holder(error)) from None
        raise


@contextmanager
def reading(db: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to an up-to-date database, closed on exit."""
    db = resolve_db(db)
    require_existing(db)
    con = _open(db, read_only=True)
    try:
        version = schema_version(con)
        _refuse_newer(con, version)
        if version < latest_version():
            con.close()
            with writing(db):
                pass
            con = _open(db, read_only=True)
        yield con
    finally:
        con.close()


@contextmanager
def writing(db: str | os.PathLike | None = None, *, create: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection inside one transaction: committed on success,
    rolled back on any error, so a write is all or nothing. Only ``create``
    (a load) makes a database that does not exist yet."""
    db = resolve_db(db)
    if create:
        db.parent.mkdir(parents=True, exist_ok=True)
    else:
        require_existing(db)
    con = _open(db, read_only=False)
    try:
        migrate(con)
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


# --- schema migrations -------------------------------------------------------

def migrations() -> list[tuple[int, Path]]:
    """(version, file) for every ``NNNN_name.sql`` migration, in order."""
    found = [(int(p.name[:4]), p) for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")]
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def _refuse_newer(con: duckdb.DuckDBPyConnection, version: int) -> None:
    if version > latest_version():
        path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
        raise SchemaTooNewError("db_newer", db=path, found=version, known=latest_version())


def migrate(con: duckdb.DuckDBPyConnection, upto: int | None = None) -> int:
    """Apply the missing migrations (each in its own transaction); return the version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
    )
    version = schema_version(con)
    _refuse_newer(con, version)
    for number, path in migrations():
        if number <= version or (upto is not None and number > upto):
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [number, path.stem])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        version = number
    return version


# --- the patient pseudonymisation key -----------------------------------------

def key_file(db: Path) -> Path:
    return db.with_name(db.name + ".key")


def patient_key(con: duckdb.DuckDBPyConnection, db: Path) -> bytes:
    """The secret that turns ``patient_ref`` into a pseudonym, checked against
    the one this database's pseudonyms were made with.

    From ``$ORCHESTRATOR_PATIENT_KEY`` when set, else from a file beside the
    database created once (mode 600). Never stored in the database: a copy of
    the database alone cannot be used to test guesses of a patient number.
    Only a fingerprint is kept, to refuse a load made with another key.
    """
    row = con.execute("SELECT value FROM settings WHERE key = 'patient_key_fingerprint'").fetchone()
    from_env = os.environ.get("ORCHESTRATOR_PATIENT_KEY")
    path = key_file(db)
    if from_env:
        key = hashlib.sha256(from_env.encode("utf-8")).digest()
    elif path.exists():
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    elif row is not None:  # a new key would silently break every pseudonym already stored
        raise InputError("key_missing", db=db, key_file=path)
    else:
        key = _create_key_file(path)
    fingerprint = hashlib.sha256(b"orchestrator-key-fingerprint:" + key).hexdigest()[:16]
    if row is None:
        con.execute("INSERT INTO settings VALUES ('patient_key_fingerprint', ?)", [fingerprint])
    elif row[0] != fingerprint:
        raise InputError("key_mismatch", db=db, key_file=path)
    return key


def _create_key_file(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text(encoding="ascii").strip())
