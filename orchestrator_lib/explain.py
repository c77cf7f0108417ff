"""Why a service is where it is, or missing from a wizard list (SPEC §3)."""

from __future__ import annotations

from . import store
from .messages import msg
from .periods import parse_as_of


def explain(db, service_id: str, *, as_of=None, wizard=None) -> dict:
    """Facts about ``service_id``, most important first, each as a code and a
    sentence in the user's language. With ``wizard``, its current choices too."""
    as_of = wizard.as_of if wizard is not None else parse_as_of(as_of)
    with store.reading(db) as con:
        emr = con.execute("SELECT name, emr_status FROM emr_services WHERE service_id = ?", [service_id]).fetchone()
        imported = con.execute("SELECT name, excluded, status, list_sort(types) FROM services WHERE service_id = ?",
                               [service_id]).fetchone()
        last_run = con.execute("""
            SELECT r.run_id, r.applied_at::DATE, c.decision FROM run_changes c JOIN runs r USING (run_id)
            WHERE c.service_id = ? ORDER BY r.number DESC LIMIT 1""", [service_id]).fetchone()
        future = con.execute("SELECT count(*) FROM emr_appointments WHERE service_id = ? AND status <> 'cancelled' "
                             "AND start >= ?", [service_id, as_of]).fetchone()[0]
    facts: list[tuple[str, dict]] = []
    if imported:
        name, excluded, status, types = imported
        state = "excluded" if excluded else status
        facts.append((f"imported_{state}", {"types": ", ".join(types) or "-"}))
        if last_run:
            facts.append(("since_run", {"run_id": last_run[0], "date": last_run[1], "decision": last_run[2]}))
        if emr is None:
            facts.append(("absent_from_export", {}))
        if future and not excluded and status == "inactive":
            facts.append(("will_reactivate", {"future": future}))
        elif future and excluded:
            facts.append(("excluded_with_future", {"future": future}))
    elif emr is None:
        name = service_id
        facts.append(("unknown", {}))
    elif emr[1] == "inactive":
        name = emr[0]
        facts.append(("emr_inactive", {}))
    else:
        name = emr[0]
        facts.append(("pending", {"future": future}))
    if wizard is not None and not imported and emr is not None and emr[1] == "active":
        facts.extend(_wizard_facts(wizard, service_id, future))
    return {"service_id": service_id, "name": name, "future_appointments": future,
            "facts": [{"code": code, "text": msg(f"explain_{code}", service_id=service_id, **values)}
                      for code, values in facts]}


def _wizard_facts(wizard, service_id: str, future: int) -> list[tuple[str, dict]]:
    if service_id in wizard.excluded:
        return [("chosen_excluded", {})]
    if service_id in wizard.kept_inactive:
        return [("chosen_kept_inactive_future" if future else "chosen_kept_inactive", {"future": future})]
    chosen = wizard.types_of(service_id)
    return [("chosen_types" if chosen else "chosen_no_type", {"types": ", ".join(chosen)})]
