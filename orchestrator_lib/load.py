"""Load an EMR export into the store (docs/export-format.md): all or nothing.

Every table is read by DuckDB straight from its file and checked while it is
copied: a cell that breaks a rule stops the copy through SQL ``error()``, and
the whole load is rolled back, so the database is left exactly as before. Only
then, on that rare path, is the offending line looked up in the file for the
message. Loading the same export again changes nothing; a newer export
replaces the EMR side and never touches an orchestrator decision.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from . import scratch, store
from .errors import InputError
from .export_format import BOOLEAN_FALSE, BOOLEAN_TRUE, Column, Table
from .i18n import Message, _
from .sources.files import NotUtf8, TableFile, open_export


@dataclass
class LoadResult:
    services: int
    staff: int
    appointments: int
    availabilities: int
    pending: list[str]
    changed: bool = True
    source: str = ""
    warnings: list[Message] = field(default_factory=list)  # kept but worth a look (FHIR codes not mapped)
    read: Message | None = None  # FHIR: what was read from the server, for the user

    def to_json(self) -> dict:
        """The ``orchestrator load --json`` document (the command line in the README)."""
        return {
            k: v
            for k, v in asdict(self).items()
            if k in ("services", "staff", "appointments", "availabilities", "pending")
        }


class _Unchanged(Exception):
    """Raised inside the load transaction to roll back a load that changes nothing."""


def load_export(
    folder: str | os.PathLike,
    db: store.DbArg = None,
    *,
    progress: bool | Callable[[int, int], None] = False,
) -> LoadResult:
    """Load the export in ``folder`` into ``db``; raise ``InputError`` on bad input.

    ``progress``: True for a progress bar on the terminal, or a function called
    with (bytes done, bytes in all) after each table (the dashboard's bar)."""
    with scratch.folder() as work:
        files = open_export(folder, work)  # headers and encodings are checked before the database is touched
        return _load(files, db, str(Path(folder).resolve()), progress)


def load_fhir(
    url: str,
    db: store.DbArg = None,
    *,
    full: bool = False,
    progress: bool | Callable[[int, int], None] = False,
) -> LoadResult:
    """Load the EMR served by the FHIR R4 server at ``url`` into ``db``.

    Everything is read before the database is opened, then written in one
    transaction, exactly as an export folder. After a first load from the same
    server, appointments and slots are read incrementally unless ``full``;
    a full read is what notices resources deleted on the server."""
    from .sources import fhir

    where = store.resolve_db(db)
    since = None if full else _previous_high_water(where, fhir.display_url(url))
    export = fhir.fetch_export(url, since=since, progress=progress)
    with scratch.folder() as folder:
        files = export.table_files(folder)
        result = _load(files, where, export.server, progress, high_water=export.high_water)
    result.warnings, result.read = export.warnings(), export.summary()
    return result


def configured_source(db: store.DbArg = None) -> str | None:
    """The EMR the dashboard's *Synchroniser* (and ``load`` without argument) reads:
    ``$ORCHESTRATOR_FHIR_URL``, else the export folder ``$ORCHESTRATOR_EXPORT_DIR``, else, with
    ``db``, the source of its last load when it can still be read (a FHIR server, or a folder
    that exists); else none."""
    chosen = os.environ.get("ORCHESTRATOR_FHIR_URL") or os.environ.get("ORCHESTRATOR_EXPORT_DIR")
    if chosen or db is None or not store.resolve_db(db).exists():
        return chosen or None
    with store.reading(db) as con:
        row = con.execute("SELECT source FROM emr_loads ORDER BY load_id DESC LIMIT 1").fetchone()
    last = row[0] if row else None
    if last and (last.startswith(("http://", "https://")) or Path(last).is_dir()):
        return last
    return None


def load_source(
    source: str,
    db: store.DbArg = None,
    *,
    full: bool = False,
    progress: bool | Callable[[int, int], None] = False,
) -> LoadResult:
    """Load ``source``: a FHIR server when it is an http(s) URL, else an export folder
    (``full`` only matters for a server)."""
    if source.startswith(("http://", "https://")):
        return load_fhir(source, db, full=full, progress=progress)
    return load_export(source, db, progress=progress)


def _load(files: Sequence[TableFile], db, source: str, progress, high_water=None) -> LoadResult:
    """Copy ``files`` into ``db`` in one transaction (or not at all)."""
    db = store.resolve_db(db)

    def work(con) -> LoadResult:
        # Rows need no order (every query sorts what it shows): DuckDB may then
        # insert from both cores at once, 15 % faster on 5 M appointments.
        con.execute("SET preserve_insertion_order = false")
        key = store.patient_key(con, db)
        previous = _current_fingerprint(con)
        with _progress(files, progress) as bar:
            for table_file in files:
                _copy_table(con, table_file, key)
                store.failpoint(f"after_{table_file.table.name}")
                bar.update(table_file.path.stat().st_size)
        staff = next((f for f in files if f.table.name == "staff"), None)
        volunteers = staff is not None and "volunteer" in staff.positions
        result = _record_load(con, source, previous, high_water, volunteers)
        con.execute("RESET preserve_insertion_order")  # a setting of the whole DuckDB instance (lake.py)
        store.failpoint("before_commit")
        return result

    try:
        result = store.write(db, work, create=True)
    except _Unchanged as unchanged:
        return unchanged.args[0]
    finally:
        for table_file in files:
            table_file.cleanup()
    store.failpoint("after_commit")
    return result


def _previous_high_water(db, source: str) -> dt.datetime | None:
    """Since when an incremental read of ``source`` may start: when the last
    load began (server clock), if that load came from the same server."""
    if not db.exists():
        return None
    with store.reading(db) as con:
        last = con.execute("SELECT source, high_water FROM emr_loads ORDER BY load_id DESC LIMIT 1").fetchone()
    if last is None or last[0] != source or last[1] is None:
        return None
    return last[1].astimezone(dt.UTC)


# --- copying one table -----------------------------------------------------------


def _copy_table(con: duckdb.DuckDBPyConnection, table_file: TableFile, key: bytes) -> None:
    try:
        _insert(con, table_file, key)
    except NotUtf8:
        table_file.convert_to_utf8()
        _insert(con, table_file, key)
    _check_unique(con, table_file)
    _check_times_exist(con, table_file)
    if "end" in (c.name for c in table_file.table.columns):
        _check_end_after_start(con, table_file)


def _insert(con: duckdb.DuckDBPyConnection, table_file: TableFile, key: bytes) -> None:
    """Replace the table's rows with the file's, applying every cell rule on the way."""
    table = table_file.table
    relation, params = table_file.relation()
    targets = ", ".join(f'"{_target(c)}"' for c in table.columns)
    values = ", ".join(
        c.when_absent if c.when_absent is not None and c.name not in table_file.positions else _value(table, c)
        for c in table.columns
    )
    # A merge (an incremental FHIR read) replaces only the rows it brings.
    into = "incoming" if table_file.merge else table.db_table
    if table_file.merge:
        con.execute(f"CREATE OR REPLACE TEMP TABLE incoming AS FROM {table.db_table} LIMIT 0")
    else:
        con.execute(f"DELETE FROM {table.db_table}")
    try:
        stored = store.scalar(
            con,
            f"INSERT INTO {into} ({targets}) SELECT {values} FROM ({relation})",
            {**params, **hmac_pads(key)} if table.column_names_with_kind("patient") else params,
        )
    except duckdb.InvalidInputException as error:
        raise _explain_rule_error(error, table_file) from None
    except duckdb.Error as error:  # a CSV DuckDB could not split into lines at all
        raise InputError("csv_malformed", file=table_file.path, line="?", detail=str(error).splitlines()[0]) from None
    table_file.check_structure(con)
    table_file.check_row_count(stored)
    if table_file.merge:
        con.execute(
            f'DELETE FROM {table.db_table} WHERE "{table.id_column}" IN (SELECT "{table.id_column}" FROM incoming) '
            f'OR list_contains($dropped, "{table.id_column}")',
            {"dropped": list(table_file.dropped)},
        )
        con.execute(f"INSERT INTO {table.db_table} BY NAME FROM incoming")
        con.execute("DROP TABLE incoming")


def hmac_pads(key: bytes) -> dict[str, bytes]:
    """The HMAC-SHA256 inner and outer keys (RFC 2104) that the pseudonym's SQL uses."""
    block = key.ljust(64, b"\0")  # SHA-256's block; the key is 32 bytes
    return {"inner_key": bytes(b ^ 0x36 for b in block), "outer_key": bytes(b ^ 0x5C for b in block)}


def pseudonym(key: bytes, reference: str) -> str:
    """What the load stores for ``reference`` (the same as its SQL): HMAC-SHA256, 128 bits, hexadecimal."""
    import hashlib
    import hmac

    return hmac.new(key, reference.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _target(column: Column) -> str:
    return "patient_hash" if column.kind == "patient" else column.name


def _value(table: Table, column: Column) -> str:
    """The SQL that turns a text cell into the stored value, or stops the load."""
    cell = _trimmed(f'"{column.name}"')

    def fail(rule: str) -> str:
        return (
            f"error(json_object('rule', '{rule}', 'column', '{column.name}', "
            f"'id', {_trimmed(chr(34) + table.id_column + chr(34))}, 'value', {cell})::VARCHAR)"
        )

    def one_of(codes: tuple[str, ...]) -> str:
        return ", ".join(f"'{code}'" for code in codes)

    if column.kind == "patient":
        # HMAC-SHA256 (RFC 2104) with the clinic's key, 128 bits kept: the
        # reference itself is never written, and without the key a pseudonym
        # cannot be tested against a guessed patient number. DuckDB has no
        # HMAC function: $inner_key / $outer_key are the key XOR ipad / opad.
        return (
            f"CASE WHEN {cell} IS NULL THEN NULL "
            f"ELSE left(sha256($outer_key || unhex(sha256($inner_key || encode({cell})))), 32) END"
        )
    if column.kind == "datetime":
        parsed = _datetime(cell)
        if column.required:
            return f"coalesce({parsed}, CASE WHEN {cell} IS NULL THEN {fail('value_missing')} ELSE {fail('value_datetime')} END)"
        return f"CASE WHEN {cell} IS NULL THEN NULL ELSE coalesce({parsed}, {fail('value_datetime')}) END"
    if column.kind == "code":
        folded = f"fold_text({cell})" if column.name == "role" else f"lower({cell})"
        empty = fail("value_missing") if column.required else (f"'{column.default}'" if column.default else "NULL")
        return (
            f"CASE WHEN {cell} IS NULL THEN {empty} WHEN {folded} IN ({one_of(column.codes)}) "
            f"THEN {folded} ELSE {fail('value_code')} END"
        )
    if column.kind == "boolean":
        return (
            f"CASE WHEN {cell} IS NULL OR lower({cell}) IN ({one_of(BOOLEAN_FALSE)}) THEN false "
            f"WHEN lower({cell}) IN ({one_of(BOOLEAN_TRUE)}) THEN true ELSE {fail('value_boolean')} END"
        )
    return f"coalesce({cell}, {fail('value_missing')})" if column.required else cell


def _trimmed(cell: str) -> str:
    """The cell without surrounding spaces (NULL if nothing is left). Most cells
    have none: testing the two ends is much cheaper than trimming every cell."""
    return (
        f"(CASE WHEN starts_with({cell}, ' ') OR ends_with({cell}, ' ') THEN nullif(trim({cell}), '') ELSE {cell} END)"
    )


ISO_8601 = r"\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?)?([zZ]|[+-]\d\d(:?\d\d)?)?"


def _datetime(cell: str) -> str:
    """ISO 8601 text to local wall-clock time in America/Montreal; NULL for anything else.

    Text without an offset is already local time: a plain TIMESTAMP cast keeps
    it as written. The usual shapes (date, minutes, seconds) are recognised by
    a few character tests, which matters over millions of rows; anything else
    must match ISO 8601 whole (``infinity``, ``epoch``, ``2026/01/02`` or a
    five-digit year do not). Text with an offset (``Z``, ``+hh:mm``, ``-hh``)
    is converted; seconds are added when absent because DuckDB requires them
    before an offset.
    """
    # The usual shapes: TIMESTAMP's cast checks their digits and the time's
    # separators; the two dashes keep out the slashes it would also take.
    usual = (
        f"((length({cell}) IN (10, 16) OR (length({cell}) = 19 AND substr({cell}, 17, 1) = ':')) "
        f"AND substr({cell}, 5, 1) = '-' AND substr({cell}, 8, 1) = '-')"
    )
    has_offset = rf"regexp_matches(substr({cell}, 11), '[zZ+-]')"
    with_seconds = rf"regexp_replace({cell}, '^(\d{{4}}-\d\d-\d\d[T ]\d\d:\d\d)([zZ+-])', '\1:00\2')"
    return (
        f"CASE WHEN {usual} THEN try_cast({cell} AS TIMESTAMP) "
        f"WHEN NOT regexp_full_match({cell}, '{ISO_8601}') THEN NULL "
        f"WHEN {has_offset} THEN timezone('{store.LOCAL_TIMEZONE}', try_cast({with_seconds} AS TIMESTAMPTZ)) "
        f"ELSE try_cast({cell} AS TIMESTAMP) END"
    )


def _check_times_exist(con: duckdb.DuckDBPyConnection, table_file: TableFile) -> None:
    """Refuse a local time that does not exist in Montreal: the hour the clocks
    skip in March (2:00 → 3:00). Only a time written without an offset can land
    there (a converted instant never does); it is looked for among the stored
    2 a.m. times of March, a tiny share of the rows, after the copy."""
    table, zone = table_file.table, store.LOCAL_TIMEZONE
    for column in (c.name for c in table.columns if c.kind == "datetime"):
        row = con.execute(
            f'SELECT "{table.id_column}", "{column}"::VARCHAR FROM {table.db_table} '
            f'WHERE month("{column}") = 3 AND hour("{column}") = 2 '
            f"AND timezone('{zone}', timezone('{zone}', \"{column}\")) <> \"{column}\" LIMIT 1"
        ).fetchone()
        if row:
            found = table_file.cells({row[0]}, (column,)).get(row[0], (row[1],))[0]
            raise table_file.error("value_nonexistent", {table.id_column: row[0]}, column=column, value=found)


def _explain_rule_error(error: duckdb.Error, table_file: TableFile) -> InputError:
    """Turn the JSON of an SQL ``error()`` into a message naming file, line and column."""
    text = str(error)
    try:
        found = json.loads(text[text.index("{") :])
    except ValueError:
        return InputError("csv_malformed", file=table_file.path, line="?", detail=text.splitlines()[0])
    id_column = table_file.table.id_column
    match = {id_column: found.get("id"), found["column"]: found.get("value")}
    column = table_file.table.column(found["column"])
    return table_file.error(
        found["rule"], match, column=found["column"], value=found.get("value"), allowed=", ".join(column.codes)
    )


def _check_unique(con: duckdb.DuckDBPyConnection, table_file: TableFile) -> None:
    table = table_file.table
    # One distinct count proves the ids unique; only when it finds fewer ids
    # than rows is the duplicate looked for (rare, and then the load stops).
    maybe = store.scalar(con, f'SELECT count(*) > count(DISTINCT "{table.id_column}") FROM {table.db_table}')
    row = (
        maybe
        and con.execute(
            f'SELECT "{table.id_column}" FROM {table.db_table} GROUP BY 1 HAVING count(*) > 1 LIMIT 1'
        ).fetchone()
    )
    if row:
        lines = table_file.locate({table.id_column: row[0]}, limit=2) + ["?", "?"]
        raise InputError(
            "duplicate_id",
            file=table_file.path,
            line=lines[1],
            first_line=lines[0],
            column=table.id_column,
            value=row[0],
        )


def _check_end_after_start(con: duckdb.DuckDBPyConnection, table_file: TableFile) -> None:
    """Refuse an end before its start. Times are stored as local wall-clock
    time, so an item across the November fall-back (01:30-04:00 to 01:15-05:00,
    45 minutes) looks reversed: those few rows are judged again on the file's
    own text, as instants, and only a real reversal stops the load."""
    table = table_file.table
    reversed_rows = con.execute(
        f'SELECT "{table.id_column}", start::VARCHAR, "end"::VARCHAR FROM {table.db_table} '
        f'WHERE "end" < start ORDER BY "{table.id_column}" LIMIT {MAX_REVERSED_CHECKED}'
    ).fetchall()
    if not reversed_rows:
        return
    texts = table_file.cells({row[0] for row in reversed_rows}, ("start", "end"))
    for item_id, start, end in reversed_rows:
        if not _ordered_instants(*texts.get(item_id, (None, None))):
            raise table_file.error("end_before_start", {table.id_column: item_id}, column="end", start=start, end=end)


MAX_REVERSED_CHECKED = 10_000  # more items seen reversed than that: the first is refused, a real reversal


def _ordered_instants(start: str | None, end: str | None) -> bool:
    """Whether two ISO 8601 texts, both with an offset, are instants in order."""
    if start is None or end is None:
        return False
    try:
        first, last = dt.datetime.fromisoformat(start.strip()), dt.datetime.fromisoformat(end.strip())
    except ValueError:
        return False
    return first.tzinfo is not None and last.tzinfo is not None and last >= first


# --- after the copy ---------------------------------------------------------------

FINGERPRINT_SQL = {
    "services": "SELECT count(*), coalesce(sum(hash(service_id, name, emr_status, created_at)), 0) FROM emr_services",
    "staff": "SELECT count(*), coalesce(sum(hash(staff_id, name, status, license, role, specialty, responsible, volunteer)), 0) "
    "FROM emr_staff",
    "appointments": 'SELECT count(*), coalesce(sum(hash(appointment_id, service_id, staff_id, start, "end", status, patient_hash)), 0) FROM emr_appointments',
    "availabilities": 'SELECT count(*), coalesce(sum(hash(availability_id, service_id, staff_id, start, "end", published_at, '
    "reason, clientele, mode, referral_source, location)), 0) FROM emr_availabilities",
}


def _fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of the whole EMR side: equal digests, equal content."""
    return "|".join(f"{name}:{':'.join(map(str, store.row(con, sql)))}" for name, sql in FINGERPRINT_SQL.items())


def _current_fingerprint(con: duckdb.DuckDBPyConnection) -> tuple[str, bool] | None:
    """What the EMR side holds now (None before the first load): the digest of its rows, and
    whether its staff came with the volunteer column (the same rows without the column say
    something else: everyone counted as a volunteer).

    Digests are computed lazily: a first load, the one that matters on a big
    export, has nothing to compare with and pays nothing.
    """
    last = con.execute(
        "SELECT fingerprint, coalesce(volunteer_column, false) FROM emr_loads ORDER BY load_id DESC LIMIT 1"
    ).fetchone()
    if last is None:
        return None
    return last[0] or _fingerprint(con), last[1]


def _record_load(
    con: duckdb.DuckDBPyConnection,
    source: str,
    previous: tuple[str, bool] | None,
    high_water=None,
    volunteers: bool = True,
) -> LoadResult:
    """Log the load, or roll it back through ``_Unchanged`` when the content is the same
    (``previous``: ``_current_fingerprint`` before the load)."""
    counts = {name: store.scalar(con, f"SELECT count(*) FROM emr_{name}") for name in FINGERPRINT_SQL}
    pending = [r[0] for r in con.execute("SELECT service_id FROM pending_services ORDER BY service_id").fetchall()]
    fingerprint = _fingerprint(con) if previous else None
    result = LoadResult(**counts, pending=pending, source=source)
    if previous is not None and (fingerprint, volunteers) == previous:
        result.changed = False
        raise _Unchanged(result)
    con.execute(
        "INSERT INTO emr_loads (load_id, loaded_at, loaded_by, source, fingerprint, services, staff, appointments, "
        "availabilities, high_water, volunteer_column) "
        "SELECT coalesce(max(load_id), 0) + 1, current_timestamp, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM emr_loads",
        [store.current_user(), source, fingerprint, *counts.values(), high_water, volunteers],
    )
    return result


def _progress(files: Sequence[TableFile], progress):
    from tqdm import tqdm

    total = sum(f.path.stat().st_size for f in files)
    bar = tqdm(
        total=total,
        unit=_("progress_bytes"),
        unit_scale=True,
        desc=_("progress_loading"),
        disable=progress is not True,
        leave=False,
    )
    if callable(progress):
        done, update = 0, bar.update

        def report(n: int) -> None:
            nonlocal done
            done += n
            update(n)
            progress(done, total)

        bar.update = report  # type: ignore[method-assign,assignment]  # the bar also tells the caller
    return bar
