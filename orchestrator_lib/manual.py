"""Changes to an imported service by hand, outside the wizard (docs/rules.md, service states):
activate with types (which also re-includes an excluded service), deactivate,
exclude, include, set types. Each is recorded in the history like a run; one that changes nothing records
nothing (the functions return None)."""

from __future__ import annotations

from dataclasses import replace

from . import history, store
from .catalogue import list_types
from .errors import InputError, RefusedError
from .history import Change, State
from .impact import what_if
from .periods import parse_as_of


def activate(db, service_id: str, types, user: str | None = None) -> str | None:
    """Offer the service, with these types; an excluded service is included again."""
    return _change(db, service_id, "activate", types, user)


def deactivate(db, service_id: str, user: str | None = None) -> str | None:
    """Stop offering the service; its types are kept for a later activation."""
    return _change(db, service_id, "deactivate", (), user)


def exclude(db, service_id: str, user: str | None = None) -> str | None:
    """Turn automatic synchronisation off: inactive, never reactivated automatically."""
    return _change(db, service_id, "exclude", (), user)


def include(db, service_id: str, user: str | None = None) -> str | None:
    """Turn automatic synchronisation on again; the service stays inactive."""
    return _change(db, service_id, "include", (), user)


def set_types(db, service_id: str, types, user: str | None = None) -> str | None:
    """Replace the service's types; an active service keeps at least one."""
    return _change(db, service_id, "set_types", types, user)


ACTIONS = ("activate", "deactivate", "exclude", "include", "set_types")


def preview(db, action: str, service_id: str, types=(), *, as_of=None) -> dict:
    """What a change by hand would do, before it is made (the confirmation a person reads):
    the service's id and name, whether anything changes, and the items of the quarter of
    ``as_of`` (appointments and availabilities together) counted before and after."""
    with store.reading(db) as con:
        change = _planned(con, service_id, action, types)
        impact = what_if(db, [change], parse_as_of(as_of), con=con)
    quarter = impact["quarters"]["current"]
    figures = impact["figures"][quarter]
    return {
        "service_id": change.service_id,
        "name": change.name,
        "changes": change.before != change.after,
        "quarter": quarter,
        "counted_before": figures["counted_before"],
        "counted_after": figures["counted_after"],
    }


def _after(decision: str, service_id: str, state: State, codes: list[str], types) -> State:
    """The service's state after ``decision`` (the rules of docs/rules.md, service states)."""
    if decision == "activate":
        chosen = _known_types(codes, types)
        if not chosen:
            raise RefusedError("activate_needs_type", service_id=service_id, allowed=", ".join(codes))
        return State(False, "active", chosen)
    if decision == "deactivate":
        return replace(state, status="inactive")
    if decision == "exclude":
        return State(True, "inactive", state.types)
    if decision == "include":
        return replace(state, excluded=False)
    chosen = _known_types(codes, types)  # set_types
    if state.status == "active" and not chosen:
        raise RefusedError("activate_needs_type", service_id=service_id, allowed=", ".join(codes))
    return replace(state, types=chosen)


def _planned(con, service_id: str, decision: str, types) -> Change:
    """The change ``decision`` would make to the service (its id matched without regard to case)."""
    codes = [t["code"] for t in list_types(con=con)]
    row = con.execute(
        "SELECT service_id, name FROM services WHERE lower(service_id) = lower(trim(?)) "
        "ORDER BY service_id = trim(?) DESC LIMIT 1",
        [service_id, service_id],
    ).fetchone()
    before = history.current_states(con, [row[0]]).get(row[0]) if row else None
    if row is None or before is None:
        raise RefusedError("not_imported", service_id=service_id)
    canonical, name = row
    return Change(canonical, name, decision, before, _after(decision, canonical, before, codes, types))


def _change(db, service_id: str, decision: str, types, user) -> str | None:
    """Apply one change by hand; None (no run recorded) when the service already is so.
    One read (the service and the type catalogue), then one write transaction."""
    with store.reading(db) as con:
        change = _planned(con, service_id, decision, types)
    return history.apply_changes(db, "manual", [change], user=user)


def _known_types(codes: list[str], types) -> tuple[str, ...]:
    unknown = [t for t in types if t not in codes]
    if unknown:
        raise InputError("type_unknown", value=", ".join(unknown), allowed=", ".join(codes))
    return tuple(code for code in codes if code in set(types))
