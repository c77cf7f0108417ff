"""Moving a clinic between stores, and keeping a shared store compact.

``copy_clinic`` is ``orchestrator migrate-store``: a clinic's DuckDB file (its data, its
decisions, its history, its amounts) copied into a shared store, or back. The copy is one
write transaction: the clinic appears in the destination whole or not at all. Pseudonyms are
copied as they are, so the destination must use the same patient key: the source's key file
is copied beside the destination when it has none, and a key that would differ is refused
before anything is written.
"""

from __future__ import annotations

from . import scratch, store
from .errors import RefusedError

# Tables the migrations fill themselves (the type catalogue, the version, the writers' turn):
# the destination's own rows stand.
MADE_BY_MIGRATIONS = {"schema_migrations", "service_types", "write_turns"}


def copy_clinic(source, destination) -> dict[str, int]:
    """Copy ``source``'s clinic into ``destination`` (a clinic that holds no data yet);
    return the rows copied per table."""
    source, destination = store.resolve_db(source), store.resolve_db(destination)
    if source == destination:
        raise RefusedError("migrate_same_store", db=source)
    with scratch.folder() as folder:
        # One read of the source, as Parquet files (every type kept exactly), then one write.
        # The tables the migrations make, and only those: a name is never taken from the source.
        tables = [t for t in store.clinic_tables() if t not in MADE_BY_MIGRATIONS]
        with store.reading(source) as con:
            for number, table in enumerate(tables):
                con.execute(f"COPY {store.ident(table)} TO {_parquet(folder, number)} (FORMAT parquet)")
            check = con.execute("SELECT value FROM settings WHERE key = 'patient_key_check'").fetchone()
        store.adopt_key(source, destination, check[0] if check else None)

        def work(con) -> dict[str, int]:
            if store.scalar(con, "SELECT (SELECT count(*) FROM emr_loads) + (SELECT count(*) FROM runs)"):
                raise RefusedError("migrate_target_not_empty", db=destination, clinic=destination.clinic)
            copied = {}
            for number, table in enumerate(tables):
                con.execute(f"DELETE FROM {store.ident(table)}")
                copied[table] = store.scalar(
                    con,
                    f"INSERT INTO {store.ident(table)} BY NAME SELECT * FROM read_parquet({_parquet(folder, number)})",
                )
            return copied

        return store.write(destination, work, create=True)


def _parquet(folder, number: int) -> str:
    """The scratch file of the ``number``-th table, as an SQL string."""
    return "'" + str(folder / f"{number}.parquet").replace("'", "''") + "'"


def maintain_store(db=None, keep: str = "7 days") -> dict[str, int] | None:
    """DuckLake's upkeep of a shared store (``lake.maintain``); None for a DuckDB file, which
    DuckDB compacts itself at each checkpoint."""
    db = store.resolve_db(db)
    if not db.is_lake:
        store.require_existing(db)
        return None
    from . import lake

    return lake.maintain(db, keep)
