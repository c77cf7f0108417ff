"""Reading the catalogue: imported services and Personnel médical."""

from __future__ import annotations

from . import store
from .queries import sql

TABS = ("active", "inactive")


def list_services(db: store.DbArg = None, tab: str | None = None, search: str | None = None, *, con=None) -> list[dict]:
    """Imported services of a tab (``active``/``inactive``, None for all), sorted by id.
    ``search`` matches name or id, ignoring case and accents (``vaccin`` finds ``Vaccination``).
    On ``con`` when the caller already has a connection open."""
    return _read(db, "services", {"tab": tab, "search": search or None}, _dicts, con)


def list_staff(db: store.DbArg = None, tab: str | None = None) -> list[dict]:
    """Members of Personnel médical (``active``/``inactive`` tab, None for all), sorted by id."""
    return _read(db, "staff", {"tab": tab}, _dicts)


def catalogue_counts(db: store.DbArg = None) -> dict[str, int]:
    """How many services are active, inactive (included), excluded, and pending a sync."""
    with store.reading(db) as con:
        active, inactive, excluded = store.row(
            con,
            "SELECT count(*) FILTER (status = 'active'), count(*) FILTER (status = 'inactive' AND NOT excluded), "
            "count(*) FILTER (excluded) FROM services",
        )
        pending = store.scalar(con, "SELECT count(*) FROM pending_services")
    return {"active": active, "inactive": inactive, "excluded": excluded, "pending": pending}


def list_types(db: store.DbArg = None, *, con=None) -> list[dict]:
    """The service type catalogue, in display order: code, label_fr, label_en
    (on ``con`` when the caller already has a connection open)."""
    with store.reading_on(db, con) as con:
        return _dicts(con.execute("SELECT code, label_fr, label_en FROM service_types ORDER BY position"))


def _read(db, query: str, params: dict, shape, con=None):
    """The rows of a named query, shaped by ``_dicts`` or ``_frame``."""
    with store.reading_on(db, con) as con:
        return shape(con.execute(sql(query), params))


def _dicts(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _frame(cursor):
    """The rows as a pandas DataFrame with the query's columns (even when there are no rows)."""
    import pandas as pd

    return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])


def services_frame(db=None, tab: str | None = None, search: str | None = None):
    """``list_services`` as a pandas DataFrame indexed by ``service_id``.

    Example: ``services_frame(tab="inactive", search="vaccin")``
    """
    return _read(db, "services", {"tab": tab, "search": search or None}, _frame).set_index("service_id")


def staff_frame(db=None, tab: str | None = None):
    """``list_staff`` as a pandas DataFrame indexed by ``staff_id``.

    Example: ``staff_frame(tab="active")``
    """
    return _read(db, "staff", {"tab": tab}, _frame).set_index("staff_id")


def missing_staff(db=None, quarter=None, *, con=None) -> list[dict]:
    """Staff ids the quarter's appointments and availabilities name but Personnel médical does not
    hold (missing from the EMR's staff table), with their items: what creating them would bring into
    the count, whatever else keeps those items out for now."""
    from .periods import Quarter

    quarter = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    with store.reading_on(db, con) as con:
        return _dicts(
            con.execute(
                "SELECT i.staff_id, count(*) FILTER (kind = 'appointment') AS appointments, "
                "count(*) FILTER (kind = 'availability') AS availabilities FROM remuneration_items i "
                "ANTI JOIN emr_staff s ON s.staff_id = i.staff_id WHERE i.start >= ? AND i.start < ? "
                "GROUP BY i.staff_id ORDER BY count(*) DESC, i.staff_id",
                [quarter.start, quarter.end],
            )
        )
