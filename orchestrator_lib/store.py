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

import fcntl
import functools
import getpass
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import duckdb

from .errors import DatabaseBusyError, DatabaseMissingError, InputError, RefusedError, SchemaTooNewError
from .resources import shipped

DEFAULT_DB = Path("data") / "orchestrator.duckdb"
LOCAL_TIMEZONE = "America/Montreal"
MIGRATIONS_DIR = shipped("orchestrator_lib", "migrations")
T = TypeVar("T")


DEFAULT_CLINIC = "main"
CLINIC_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
# DuckDB's own schemas and catalogues, and the store's alias (lake.ALIAS).
RESERVED_SCHEMAS = {"temp", "system", "information_schema", "pg_catalog", "memory", "lake"}
LAKE_PREFIX = "ducklake:"


@dataclass(frozen=True)
class Location:
    """Where a clinic's data lives: a DuckDB file, or a DuckLake store shared by many
    clinics and machines (``ducklake:postgres:<libpq connection string>``), and which
    clinic of it. Each clinic is a schema of its own: every table, view and macro of
    the migrations is made in it and reads only it, so one clinic's commands never see
    another's rows. The default clinic is ``main``, the schema a DuckDB file starts with."""

    target: str
    clinic: str = DEFAULT_CLINIC

    @property
    def is_lake(self) -> bool:
        return self.target.startswith(LAKE_PREFIX)

    @property
    def path(self) -> Path:
        """The DuckDB file (a DuckLake store has none)."""
        if self.is_lake:
            raise ValueError(f"{self} is not a file")
        return Path(self.target)

    @property
    def label(self) -> str:
        """A short name for titles: the clinic, or the file's name for a file's only clinic."""
        return self.clinic if self.is_lake or self.clinic != DEFAULT_CLINIC else self.path.stem

    def with_clinic(self, clinic: str) -> Location:
        return replace(self, clinic=_checked_clinic(clinic))

    def absolute(self) -> Location:
        """The same place named from anywhere (a kernel runs in another folder)."""
        return self if self.is_lake else replace(self, target=str(self.path.resolve()))

    def exists(self) -> bool:
        """Whether this clinic's database exists (opening nothing for a file that is absent)."""
        return clinic_exists(self)

    @property
    def where(self) -> str:
        """The file or the store, as a message names it (no clinic)."""
        return self.target if not self.is_lake else lake_display(self.target)

    def __str__(self) -> str:
        return self.where if self.clinic == DEFAULT_CLINIC else f"{self.where} [{self.clinic}]"


# What every function taking a database accepts: a path, a DuckLake target, a Location, or None
# (then $ORCHESTRATOR_DB and $ORCHESTRATOR_CLINIC, else the default file).
DbArg = str | os.PathLike | Location | None


def lake_display(target: str) -> str:
    """A DuckLake target as shown in a message: its connection string never holds a password
    (``resolve_db`` refuses one), and only the names that say where it is are kept."""
    kept = [part for part in target[len(LAKE_PREFIX) :].split() if not part.lower().startswith("password")]
    return LAKE_PREFIX + " ".join(kept)


def _names_a_password(target: str) -> bool:
    """Whether a DuckLake target holds a secret, in either of libpq's forms: a ``password=``
    (or ``sslpassword=``…) keyword, or a URI with ``user:secret@``."""
    return bool(re.search(r"password", target, re.IGNORECASE) or re.search(r"://[^/@\s]*:[^/@\s]*@", target))


def _checked_clinic(clinic: str) -> str:
    if not CLINIC_ID.fullmatch(clinic) or clinic in RESERVED_SCHEMAS:
        raise InputError("clinic_invalid", clinic=clinic[:60])
    return clinic


def resolve_db(path: DbArg = None, clinic: str | None = None) -> Location:
    """The database: the argument, else ``$ORCHESTRATOR_DB``, else the default file; and the clinic:
    ``clinic``, else ``$ORCHESTRATOR_CLINIC``, else ``main``.

    The default ``data/orchestrator.duckdb`` is looked for in the working folder
    and then in each folder above it, as git looks for its repository: a
    notebook's kernel runs in ``notebooks/`` and still finds the project's
    database. When none exists, it is the one of the working folder.

    A DuckLake target naming a password is refused (without repeating it): the
    password belongs in ``$PGPASSWORD`` or ``~/.pgpass``, never on a command line.
    """
    if isinstance(path, Location):
        return path.with_clinic(clinic) if clinic else path
    chosen_clinic = _checked_clinic(clinic or os.environ.get("ORCHESTRATOR_CLINIC") or DEFAULT_CLINIC)
    chosen = os.fspath(path) if path else os.environ.get("ORCHESTRATOR_DB")
    if chosen:
        if chosen.startswith(LAKE_PREFIX) and _names_a_password(chosen):
            raise InputError("lake_password_in_target")
        return Location(chosen, chosen_clinic)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_DB).is_file():
            return Location(str(folder / DEFAULT_DB), chosen_clinic)
    return Location(str(DEFAULT_DB), chosen_clinic)


def require_existing(db: Location) -> None:
    """Refuse a database that does not exist: only ``load`` and ``demo`` create one,
    so a mistyped path or clinic is said, never silently replaced by an empty database."""
    if not db.is_lake and not db.path.is_file():
        raise DatabaseMissingError("db_missing", db=db)
    # A clinic is looked for once its store is open (_connect_to).


def current_user() -> str:
    """Who is acting, for the history: ``$ORCHESTRATOR_USER`` or the OS login."""
    try:
        return os.environ.get("ORCHESTRATOR_USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return f"uid-{os.getuid()}"


# --- opening the file --------------------------------------------------------


def _is_lock_conflict(error: BaseException) -> bool:
    return isinstance(error, duckdb.IOException) and "conflicting lock" in str(error).lower()


def _holder(error: BaseException) -> str:
    """'program (PID n)' as DuckDB names the process holding the lock."""
    found = re.search(r"held in (.+?) \(PID (\d+)\)", str(error))
    return f"{Path(found.group(1)).name}, PID {found.group(2)}" if found else "?"


def _open(db: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = _connect(db, read_only)
    except duckdb.IOException as error:
        if "not a valid DuckDB database" in str(error):  # --db names another kind of file
            raise InputError("db_not_duckdb", db=db) from None
        if not _is_lock_conflict(error):  # a file the system will not let us open (permissions, read-only disk)
            raise InputError("db_unopenable", db=db, detail=str(error).splitlines()[0].split(": ", 1)[-1]) from None
        con = _open_when_free(db, read_only)
    return con


def _lock_timeout() -> float:
    return float(os.environ.get("ORCHESTRATOR_LOCK_TIMEOUT", "30"))


def _connect(db: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """One attempt to open the file. A reader first lets a waiting writer go ahead."""
    if not read_only:
        return duckdb.connect(str(db), read_only=False)
    with _turnstile(db, exclusive=False):
        return duckdb.connect(str(db), read_only=True)


@contextmanager
def _turnstile(db: Path, *, exclusive: bool) -> Iterator[None]:
    """Writers before new readers. DuckDB lets one process write only when no
    other has the file open, and gives a waiting writer no turn: readers that
    keep coming (a dashboard, a scheduled audit, scripts) could hold it off for
    good. A writer that has to wait holds ``DB.lock`` exclusively until it is
    in; a reader passes through it (shared, for the instant of its own open)
    only when the file exists, that is once a writer has had to wait."""
    path = Path(f"{db}.lock")
    if not exclusive and not path.exists():
        yield
        return
    try:
        with _private_files():  # a reader only reads it; the writer makes it
            handle = open(path, "a" if exclusive else "r")  # noqa: SIM115  (closed by the with below)
    except OSError:  # a folder we may not write to: no turnstile, as before
        yield
        return
    with handle:
        _flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _flock(handle, mode: int) -> None:
    """Take the lock, waiting at most the lock timeout (then go on without it:
    the turnstile orders processes, DuckDB's own lock keeps the file safe)."""
    deadline = time.monotonic() + _lock_timeout()
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.005)


def _open_when_free(db: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Wait for another process to let go of the file (tenacity is imported
    only then: most opens find the file free, and a command starts faster)."""
    import tenacity

    timeout = _lock_timeout()
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_is_lock_conflict),
        wait=tenacity.wait_random_exponential(multiplier=0.02, max=0.5),
        stop=tenacity.stop_after_delay(timeout),
        reraise=True,
    )
    try:
        if read_only:
            return retrying(_connect, db, True)
        with _turnstile(db, exclusive=True):  # new readers wait until this writer is in
            return retrying(duckdb.connect, str(db), read_only=False)
    except duckdb.IOException as error:
        if _is_lock_conflict(error):
            raise DatabaseBusyError("db_busy", db=db, seconds=int(timeout), holder=_holder(error)) from None
        raise


def _open_store(db: Location, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection to the file or the shared store, no clinic chosen yet."""
    if db.is_lake:
        from . import lake

        con = lake.connect(db, read_only=read_only)
    else:
        con = _open(db.path, read_only)
    con.execute(f"SET TimeZone = '{LOCAL_TIMEZONE}'")
    return con


def ident(name: str) -> str:
    """``name`` as an SQL identifier, whatever it holds (a file's name may hold a quote)."""
    return '"' + name.replace('"', '""') + '"'


def _in_store(con: duckdb.DuckDBPyConnection, clinic: str) -> str:
    """``"catalog"."clinic"``: always qualified by the store, so that a clinic named like a
    catalogue (``lake``, ``memory``, the file's own name) is never taken for one."""
    return f"{ident(scalar(con, 'SELECT current_database()'))}.{ident(clinic)}"


def _use(con: duckdb.DuckDBPyConnection, clinic: str) -> None:
    """Every unqualified name now means this clinic's (its schema, in the store in use)."""
    con.execute(f"USE {_in_store(con, clinic)}")


def _connect_to(db: Location, *, read_only: bool, create: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection with ``db``'s clinic in use (made first when ``create``)."""
    con = _open_store(db, read_only=read_only)
    try:
        if create:
            try:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_in_store(con, db.clinic)}")
            except duckdb.TransactionException as error:  # another process made it at the same moment
                if not _is_conflict(error):
                    raise
                raise WriteConflict(str(db)) from None
        elif (db.is_lake or db.clinic != DEFAULT_CLINIC) and not _holds_clinic(con, db.clinic):
            raise DatabaseMissingError("clinic_missing", db=db, clinic=db.clinic)
        _use(con, db.clinic)
    except BaseException:
        con.close()
        raise
    return con


def clinics(db=None) -> list[str]:
    """Every clinic of the store (or file) ``db`` names, in order; each is brought up to date."""
    db = resolve_db(db)
    require_existing(db)
    con = _open_store(db, read_only=True)
    try:
        versions = _clinics_on(con)
    finally:
        con.close()
    found = sorted(versions)
    behind = [c for c in found if versions[c] < latest_version()]
    for clinic in behind:  # the migrations, in their own write transactions
        write(db.with_clinic(clinic), lambda _con: None)
    return found


@contextmanager
def reading_each(db=None) -> Iterator[tuple[list[str], Callable[[str], duckdb.DuckDBPyConnection]]]:
    """The store's clinics, one read-only connection to it all, and a function that puts a clinic
    in use on it: a regional audit attaches the store once, not once a clinic."""
    db = resolve_db(db)
    names = clinics(db)  # refuses a missing store, migrates what is behind
    con = _open_store(db, read_only=True)

    def clinic(name: str) -> duckdb.DuckDBPyConnection:
        if not _holds_clinic(con, name):
            raise DatabaseMissingError("clinic_missing", db=db, clinic=name)
        _use(con, name)
        return con

    try:
        with _snapshot(con, db):  # every clinic as of one commit
            yield names, clinic
    finally:
        con.close()


def _clinics_on(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Clinic -> its version, for every schema of the store that holds our migrations."""
    schemas = con.execute(
        "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database()"
    ).fetchall()
    # Only names a clinic may have: a schema someone else made in the catalogue is no clinic.
    versions = {
        name: _version_in(con, name)
        for (name,) in schemas
        if CLINIC_ID.fullmatch(name) and name not in RESERVED_SCHEMAS
    }
    return {name: version for name, version in versions.items() if version is not None}


def _holds_clinic(con: duckdb.DuckDBPyConnection, clinic: str) -> bool:
    return _version_in(con, clinic) is not None


def _version_in(con: duckdb.DuckDBPyConnection, clinic: str | None) -> int | None:
    """The migration version of ``clinic`` (None: the clinic in use), or None when it has no
    migrations table. One table is bound, never listed: on DuckLake, listing the tables of
    every clinic costs 0.15 s at 20 clinics, binding one 0.01 s."""
    # Always qualified: an unqualified name a schema lacks is looked for in ``main`` too.
    clinic = clinic or scalar(con, "SELECT current_schema()")
    table = f"{_in_store(con, clinic)}.schema_migrations"
    try:
        return scalar(con, f"SELECT coalesce(max(version), 0) FROM {table}")
    except duckdb.CatalogException:
        return None


def clinic_exists(db: Location) -> bool:
    if not db.is_lake and not db.path.is_file():
        return False
    if not db.is_lake and db.clinic == DEFAULT_CLINIC:
        return True
    try:
        _connect_to(db, read_only=True).close()
    except DatabaseMissingError:
        return False
    return True


@contextmanager
def reading(db: DbArg = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to an up-to-date database, closed on exit."""
    db = resolve_db(db)
    require_existing(db)
    con = _connect_to(db, read_only=True)
    try:
        version = schema_version(con)
        _refuse_newer(db, version)
        if version < latest_version():
            con.close()
            write(db, lambda _con: None)  # the migrations, in their own transactions
            con = _connect_to(db, read_only=True)
        with _snapshot(con, db):
            yield con
    finally:
        con.close()


@contextmanager
def _snapshot(con: duckdb.DuckDBPyConnection, db: Location) -> Iterator[None]:
    """On DuckLake, one read is one transaction: every query of an audit or a report sees the
    same commit, as a DuckDB file opened read-only does (no writer can come in meanwhile)."""
    if not db.is_lake:
        yield
        return
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    finally:
        con.execute("ROLLBACK")


@contextmanager
def writing(db: DbArg = None, *, create: bool = False, serial: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection inside one transaction: committed on success,
    rolled back on any error, so a write is all or nothing. Only ``create``
    (a load) makes a database (or a clinic) that does not exist yet.

    On a shared store another process may commit a write of the same clinic
    first; DuckLake then refuses this commit (``WriteConflict``): ``write`` runs
    the work again rather than calling this directly."""
    db = resolve_db(db)
    if not db.is_lake:  # a store's clinic is made or looked for once it is open (_connect_to)
        if create:
            db.path.parent.mkdir(parents=True, exist_ok=True)
        else:
            require_existing(db)
    with _private_files(shared=db.is_lake):
        con = _connect_to(db, read_only=False, create=create)
        try:
            migrate(con, lake=db.is_lake, label=str(db))
            con.execute("BEGIN TRANSACTION")
            try:
                if db.is_lake and serial:  # any two writers of this clinic now conflict (lake.py)
                    con.execute("UPDATE write_turns SET turn = turn + 1")
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            _commit(con, db)
        finally:
            con.close()
    if not db.is_lake and db.path.stat().st_mode & 0o077:  # made by an earlier version, or copied by hand
        db.path.chmod(0o600)


class WriteConflict(Exception):
    """DuckLake refused a commit: another process wrote the same clinic first."""


def _is_conflict(error: BaseException) -> bool:
    return isinstance(error, duckdb.TransactionException) and "conflict" in str(error).lower()


def _commit(con: duckdb.DuckDBPyConnection, db: Location | str) -> None:
    try:
        con.execute("COMMIT")
    except duckdb.Error as error:
        if _is_conflict(error):
            raise WriteConflict(str(db)) from None
        raise


WRITE_ATTEMPTS = 8


def write(db, work: Callable[[duckdb.DuckDBPyConnection], T], *, create: bool = False, serial: bool = True) -> T:
    """``work(con)`` in one write transaction of ``db``; run again from the start when another
    process wrote the clinic first (at most ``WRITE_ATTEMPTS`` times, waiting a little longer
    each time, then said clearly). ``work`` reads what it needs inside the transaction, so each
    attempt decides on the state it writes over. ``serial=False`` for a write that no other
    depends on (the wizard's draft, saved at each choice): it does not take the clinic's turn,
    so it never makes a long load or an apply start again."""
    import tenacity

    db = resolve_db(db)
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(WriteConflict),
        wait=tenacity.wait_random_exponential(multiplier=0.05, max=1),
        stop=tenacity.stop_after_attempt(WRITE_ATTEMPTS),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt, writing(db, create=create, serial=serial) as con:
                return work(con)
    except WriteConflict:
        raise RefusedError("write_conflict", db=db, attempts=WRITE_ATTEMPTS) from None
    raise AssertionError("unreachable")  # tenacity either returns or raises


@contextmanager
def _private_files(shared: bool = False) -> Iterator[None]:
    """Files DuckDB creates while writing (the database, its write-ahead log)
    are readable by their owner only: they hold the clinic's data. A shared store's
    Parquet files (``shared``) are the group's: readable by the owner's group too, the
    accounts of the group's machines, and never by others."""
    previous = os.umask(0o007 if shared else 0o077)
    try:
        yield
    finally:
        os.umask(previous)


# --- schema migrations -------------------------------------------------------


def migrations() -> list[tuple[int, Path]]:
    """(version, file) for every ``NNNN_name.sql`` migration, in order."""
    found = [(int(p.name[:4]), p) for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")]
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


@functools.cache
def clinic_tables() -> tuple[str, ...]:
    """The tables the migrations make in a clinic (read from an in-memory database migrated
    once): what a clinic is made of, never what a catalogue happens to hold."""
    con = duckdb.connect()
    try:
        migrate(con)
        rows = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    return tuple(r[0] for r in rows)


@contextmanager
def reading_on(db, con: duckdb.DuckDBPyConnection | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """``con`` when the caller has one open (a command reads on one connection),
    else a short read of ``db``: what lets library functions take either."""
    if con is not None:
        yield con
    else:
        with reading(db) as opened:
            yield opened


def row(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> tuple:
    """The one row of a query that always has one (an aggregate, an INSERT's count)."""
    found = con.execute(sql, params or []).fetchone()
    if found is None:
        raise LookupError(f"no row for: {sql}")
    return found


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params=None):
    """The first value of ``row``: ``scalar(con, "SELECT count(*) FROM services")``."""
    return row(con, sql, params)[0]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The clinic's schema version (0: none yet). Only the clinic in use counts: a store holds many."""
    return _version_in(con, None) or 0


def _refuse_newer(db: Location | str, version: int) -> None:
    if version > latest_version():
        raise SchemaTooNewError("db_newer", db=db, found=version, known=latest_version())


def migrate(con: duckdb.DuckDBPyConnection, upto: int | None = None, *, lake: bool = False, label: str = "") -> int:
    """Apply the missing migrations (each in its own transaction); return the version.
    On DuckLake (``lake``) each is rewritten as it takes them (``lake.schema_sql``)."""
    from .lake import schema_sql

    def run(*statements: tuple[str, list]) -> None:
        con.execute("BEGIN TRANSACTION")
        try:
            for sql, params in statements:
                con.execute(sql, params)
        except duckdb.CatalogException as error:
            con.execute("ROLLBACK")
            if lake and "already exists" in str(error):  # another process migrated it first
                raise WriteConflict(label) from None
            raise
        except BaseException:
            con.execute("ROLLBACK")
            raise
        _commit(con, label)

    # On DuckLake, two processes may migrate one clinic at once; each migration there first
    # updates the table's row 0, so that the second to commit conflicts (and is run again,
    # finding the migration applied) instead of applying it twice.
    turn: list[tuple[str, list]] = (
        [("UPDATE schema_migrations SET applied_at = current_timestamp WHERE version = 0", [])] if lake else []
    )
    found = _version_in(con, None)
    if found is None:
        # The applied time is given by each insert: DuckLake has no computed defaults.
        run(
            (
                "CREATE TABLE schema_migrations (version INTEGER NOT NULL, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL)",
                [],
            ),
            *([("INSERT INTO schema_migrations VALUES (0, 'turn', current_timestamp)", [])] if lake else []),
        )
    version = start = found or 0
    _refuse_newer(label, version)
    for number, path in migrations():
        if number <= version or (upto is not None and number > upto):
            continue
        sql = path.read_text(encoding="utf-8")
        run(
            *turn,
            (schema_sql(sql) if lake else sql, []),
            ("INSERT INTO schema_migrations VALUES (?, ?, current_timestamp)", [number, path.stem]),
        )
        version = number
    if version != start and not lake:
        # Write the new schema into the file itself: DuckDB 1.5.5 cannot replay a
        # write-ahead log holding these DDL statements (a column DEFAULT calling
        # nextval) if the process is killed before its next checkpoint, which
        # would leave a new database that no longer opens.
        con.execute("CHECKPOINT")
    return version


# --- the patient pseudonymisation key -----------------------------------------
#
# A patient reference becomes HMAC-SHA256(key, reference), cut to 128 bits
# (load.py computes it in SQL). The key is 256 random bits, in a file beside
# the database (mode 600) or in $ORCHESTRATOR_PATIENT_KEY. The database keeps
# only a check of the key (an HMAC of a constant), so that a load with another
# key is refused; for a random key nothing stored helps to guess it, and a
# passphrase is stretched by scrypt first, so that each guess costs scrypt.

KEY_BYTES = 32
KEY_HEX = re.compile(r"[0-9a-f]{64}")
KEY_CHECK = b"orchestrator-lib patient key check"
# scrypt's cost for a passphrase: about 0.1 s and 32 MiB a derivation.
SCRYPT = {"n": 2**15, "r": 8, "p": 1, "maxmem": 64 * 2**20, "dklen": KEY_BYTES}
PASSPHRASE_SALT = b"orchestrator-lib patient key from a passphrase, v1"


def key_file(db: Location | str | os.PathLike) -> Path:
    """Where a clinic's key is kept when ``$ORCHESTRATOR_PATIENT_KEY`` is not set: beside a
    DuckDB file (``orchestrator.duckdb.key``, or ``orchestrator.duckdb.CLINIC.key`` for another
    clinic of it); for a shared store, ``CLINIC.key`` in ``$ORCHESTRATOR_KEY_DIR`` (the user's
    configuration folder by default): the store's machines never hold it."""
    db = resolve_db(db)
    if db.is_lake:
        import platformdirs

        folder = os.environ.get("ORCHESTRATOR_KEY_DIR") or platformdirs.user_config_dir("orchestrator-lib")
        return Path(folder) / f"{db.clinic}.key"
    suffix = ".key" if db.clinic == DEFAULT_CLINIC else f".{db.clinic}.key"
    return db.path.with_name(db.path.name + suffix)


def patient_key(con: duckdb.DuckDBPyConnection, db: Location) -> bytes:
    """The secret that turns ``patient_ref`` into a pseudonym, checked against
    the one this database's pseudonyms were made with.

    From ``$ORCHESTRATOR_PATIENT_KEY`` when set (64 hexadecimal digits, or a
    passphrase stretched by scrypt), else from the clinic's key file (``key_file``),
    created once, atomically (mode 600). From the variable, every clinic but ``main``
    gets a key of its own, derived from it (``clinic_key``): one secret for a group's
    server, and still no pseudonym shared between two clinics. A key file that is not
    exactly 64 hexadecimal digits is refused: a load never falls back to an
    empty or weak key.
    """
    stored = con.execute("SELECT value FROM settings WHERE key = 'patient_key_check'").fetchone()
    path = key_file(db)
    key = _configured_key(db)
    if key is None and stored is not None:  # a new key would silently break every pseudonym already stored
        raise InputError("key_missing", db=db, key_file=path)
    if key is None:
        key = _create_key_file(path)
    check = _key_check(key)
    if stored is None:
        con.execute("INSERT INTO settings VALUES ('patient_key_check', ?)", [check])
    elif not hmac.compare_digest(stored[0], check):
        raise InputError("key_mismatch", db=db, key_file=path)
    return key


def _configured_key(db: Location) -> bytes | None:
    """The clinic's key as configured, or None: the variable, else its key file; on a shared
    store a clinic's key file comes first (a clinic moved in with ``migrate-store`` keeps the
    key of its pseudonyms, on a server that holds the group's variable)."""
    from_env = os.environ.get("ORCHESTRATOR_PATIENT_KEY")
    path = key_file(db)
    if path.exists() and (db.is_lake or not from_env):
        return read_key_file(path)
    if from_env:
        return clinic_key(_key_from_environment(from_env.strip()), db.clinic)
    return None


def _key_check(key: bytes) -> str:
    return hmac.new(key, KEY_CHECK, hashlib.sha256).hexdigest()


def adopt_key(source: Location, destination: Location, check: str | None) -> None:
    """Before a clinic's pseudonyms are copied into ``destination`` (``migrate-store``): make
    sure its loads will go on making the same ones. A destination whose configured key is not
    the one they were made with (``check``) gets the source's key as its key file (on a shared
    store a clinic's key file comes before the group's variable); one that has a key file of
    its own that differs, or a DuckDB file whose key the variable imposes, is refused before
    anything is written."""
    if check is None:  # nothing pseudonymised yet: the destination makes its own key at its first load
        return
    key = _configured_key(destination)
    if key is not None and hmac.compare_digest(_key_check(key), check):
        return
    if key_file(destination).exists() or (not destination.is_lake and os.environ.get("ORCHESTRATOR_PATIENT_KEY")):
        raise RefusedError("migrate_key_differs", db=destination, clinic=destination.clinic)
    key = _configured_key(source)
    if key is None or not hmac.compare_digest(_key_check(key), check):
        raise InputError("key_missing", db=source, key_file=key_file(source))
    _create_key_file(key_file(destination), key)


def clinic_key(master: bytes, clinic: str) -> bytes:
    """The key of ``clinic`` made from the group's key: the key itself for ``main`` (what a
    single clinic's database always used), else HMAC-SHA256(master, clinic)."""
    if clinic == DEFAULT_CLINIC:
        return master
    return hmac.new(master, b"orchestrator-lib clinic key: " + clinic.encode("ascii"), hashlib.sha256).digest()


def _key_from_environment(text: str) -> bytes:
    """64 hexadecimal digits are the key itself; anything else is a passphrase,
    stretched by scrypt. Its salt is fixed, so that the same passphrase gives
    the same key for every database of the clinic (a store moved or rebuilt
    keeps matching pseudonyms); each guess still costs a whole scrypt."""
    if KEY_HEX.fullmatch(text.lower()):
        return bytes.fromhex(text)
    return hashlib.scrypt(text.encode("utf-8"), salt=PASSPHRASE_SALT, **SCRYPT)


def read_key_file(path: Path) -> bytes:
    """The key of ``path``: exactly 64 hexadecimal digits (and a final newline), else refused.
    A key file others can read is made private (600) on the way."""
    text = path.read_bytes().decode("ascii", errors="replace").strip()
    if not KEY_HEX.fullmatch(text):
        raise InputError("key_invalid", key_file=path, size=path.stat().st_size)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return bytes.fromhex(text)


def _create_key_file(path: Path, key: bytes | None = None) -> bytes:
    """Write a new random key (or ``key``) to a private temporary file, flush it to disk,
    then link it into place: the key file is either absent or whole, never
    empty, even if the disk fills or the process is killed half-way. If
    another process created one meanwhile, that one wins."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    key = key or secrets.token_bytes(KEY_BYTES)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.write(fd, (key.hex() + "\n").encode("ascii"))
            failpoint("key_written")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return read_key_file(path)
        _fsync_folder(path.parent)
        return key
    finally:
        temporary.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def failpoint(name: str) -> None:
    """Crash here on purpose when ``$ORCHESTRATOR_FAILPOINT`` names this point:
    lets a test prove that a process killed at any step leaves every file whole."""
    if os.environ.get("ORCHESTRATOR_FAILPOINT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
