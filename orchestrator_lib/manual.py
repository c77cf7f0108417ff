"""Changes to an imported service by hand, outside the wizard (SPEC §2):
activate with types (which also re-includes an excluded service), deactivate,
exclude, include, set types. Each is recorded in the history like a run."""

from __future__ import annotations

from dataclasses import replace

from . import history, store
from .catalogue import list_types
from .errors import InputError, RefusedError
from .history import Change, State


def activate(db, service_id: str, types, user: str | None = None) -> str:
    """Offer the service, with these types; an excluded service is included again."""
    types = _known_types(db, types)
    if not types:
        raise RefusedError("activate_needs_type", service_id=service_id, allowed=", ".join(_type_codes(db)))
    return _change(db, service_id, "activate", lambda s: State(False, "active", types), user)


def deactivate(db, service_id: str, user: str | None = None) -> str:
    """Stop offering the service; its types are kept for a later activation."""
    return _change(db, service_id, "deactivate", lambda s: replace(s, status="inactive"), user)


def exclude(db, service_id: str, user: str | None = None) -> str:
    """Turn automatic synchronisation off: inactive, never reactivated automatically."""
    return _change(db, service_id, "exclude", lambda s: State(True, "inactive", s.types), user)


def include(db, service_id: str, user: str | None = None) -> str:
    """Turn automatic synchronisation on again; the service stays inactive."""
    return _change(db, service_id, "include", lambda s: replace(s, excluded=False), user)


def set_types(db, service_id: str, types, user: str | None = None) -> str:
    """Replace the service's types; an active service keeps at least one."""
    types = _known_types(db, types)

    def after(state: State) -> State:
        if state.status == "active" and not types:
            raise RefusedError("activate_needs_type", service_id=service_id, allowed=", ".join(_type_codes(db)))
        return replace(state, types=types)

    return _change(db, service_id, "set_types", after, user)


def _change(db, service_id: str, decision: str, new_state, user) -> str:
    with store.reading(db) as con:
        before = history.current_states(con, [service_id]).get(service_id)
        name = con.execute("SELECT name FROM services WHERE service_id = ?", [service_id]).fetchone()
    if before is None:
        raise RefusedError("not_imported", service_id=service_id)
    after = new_state(before)
    if after == before:
        raise RefusedError("no_change", service_id=service_id)
    return history.apply_changes(db, "manual", [Change(service_id, name[0], decision, before, after)], user=user)


def _type_codes(db) -> list[str]:
    return [t["code"] for t in list_types(db)]


def _known_types(db, types) -> tuple[str, ...]:
    codes = _type_codes(db)
    unknown = [t for t in types if t not in codes]
    if unknown:
        raise InputError("type_unknown", value=", ".join(unknown), allowed=", ".join(codes))
    return tuple(code for code in codes if code in set(types))
