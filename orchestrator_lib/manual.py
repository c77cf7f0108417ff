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


def activate(db, service_id: str, types, user: str | None = None) -> str | None:
    """Offer the service, with these types; an excluded service is included again."""

    def after(state: State, codes: list[str]) -> State:
        chosen = _known_types(codes, types)
        if not chosen:
            raise RefusedError("activate_needs_type", service_id=service_id, allowed=", ".join(codes))
        return State(False, "active", chosen)

    return _change(db, service_id, "activate", after, user)


def deactivate(db, service_id: str, user: str | None = None) -> str | None:
    """Stop offering the service; its types are kept for a later activation."""
    return _change(db, service_id, "deactivate", lambda s, _codes: replace(s, status="inactive"), user)


def exclude(db, service_id: str, user: str | None = None) -> str | None:
    """Turn automatic synchronisation off: inactive, never reactivated automatically."""
    return _change(db, service_id, "exclude", lambda s, _codes: State(True, "inactive", s.types), user)


def include(db, service_id: str, user: str | None = None) -> str | None:
    """Turn automatic synchronisation on again; the service stays inactive."""
    return _change(db, service_id, "include", lambda s, _codes: replace(s, excluded=False), user)


def set_types(db, service_id: str, types, user: str | None = None) -> str | None:
    """Replace the service's types; an active service keeps at least one."""

    def after(state: State, codes: list[str]) -> State:
        chosen = _known_types(codes, types)
        if state.status == "active" and not chosen:
            raise RefusedError("activate_needs_type", service_id=service_id, allowed=", ".join(codes))
        return replace(state, types=chosen)

    return _change(db, service_id, "set_types", after, user)


def _change(db, service_id: str, decision: str, new_state, user) -> str | None:
    """Apply one change by hand; None (no run recorded) when the service already is so.
    The id is matched without regard to case, as a person types it. One read (the
    service and the type catalogue), then one write transaction."""
    with store.reading(db) as con:
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
    return history.apply_changes(
        db, "manual", [Change(canonical, name, decision, before, new_state(before, codes))], user=user
    )


def _known_types(codes: list[str], types) -> tuple[str, ...]:
    unknown = [t for t in types if t not in codes]
    if unknown:
        raise InputError("type_unknown", value=", ".join(unknown), allowed=", ".join(codes))
    return tuple(code for code in codes if code in set(types))
