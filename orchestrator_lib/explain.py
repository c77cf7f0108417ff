"""Why a service is where it is, or missing from a wizard list (docs/rules.md, the wizard); and
where a member of Personnel médical stands. Ids are matched as a person types
them, without regard to case."""

from __future__ import annotations

from . import store
from .catalogue import list_types
from .errors import InputError
from .periods import Quarter, parse_as_of

# Every id a clinic can ask about: services of the export or the orchestrator,
# staff of the export, and the ids appointments and availabilities refer to.
_KNOWN_IDS = """
    SELECT 'service' AS kind, service_id AS id FROM emr_services UNION
    SELECT 'service', service_id FROM services UNION
    SELECT 'service', service_id FROM emr_appointments UNION
    SELECT 'service', service_id FROM emr_availabilities UNION
    SELECT 'staff', staff_id FROM emr_staff UNION
    SELECT 'staff', staff_id FROM emr_appointments UNION
    SELECT 'staff', staff_id FROM emr_availabilities"""


def find_id(con, text: str) -> tuple[str, str] | None:
    """(``service`` or ``staff``, the id as stored) for ``text`` in any case; None if unknown."""
    row = con.execute(
        f"SELECT kind, id FROM ({_KNOWN_IDS}) WHERE lower(id) = lower(trim(?)) "
        "ORDER BY id = trim(?) DESC, kind LIMIT 1",
        [text, text],
    ).fetchone()
    return (row[0], row[1]) if row else None


def explain(db, item_id: str, *, as_of=None, wizard=None) -> dict:
    """Facts about the service or staff member ``item_id`` (any case), most
    important first, each as a code and its values (``wording.fact`` says it; ``type_labels``
    names the types they mention). With ``wizard``, its current choices too. An unknown id is
    refused."""
    as_of = wizard.as_of if wizard is not None else parse_as_of(as_of)
    with store.reading(db) as con:
        found = find_id(con, item_id)
        if found is None:
            raise InputError("id_unknown", value=item_id)
        kind, canonical = found
        if kind == "staff":
            return _explain_staff(con, canonical, as_of)
        facts, name, future = _service_facts(con, canonical, as_of)
        type_labels = {t["code"]: t for t in list_types(con=con)}
    if wizard is not None and facts and facts[0][0] == "pending":
        facts.extend(_wizard_facts(wizard, canonical, future))
    return {
        "kind": "service",
        "service_id": canonical,
        "name": name,
        "future_appointments": future,
        "facts": _facts(facts),
        "type_labels": type_labels,
    }


def _facts(facts: list[tuple[str, dict]]) -> list[dict]:
    return [{"code": code, "values": values} for code, values in facts]


def _service_facts(con, service_id: str, as_of) -> tuple[list[tuple[str, dict]], str, int]:
    emr = con.execute("SELECT name, emr_status FROM emr_services WHERE service_id = ?", [service_id]).fetchone()
    imported = con.execute(
        "SELECT name, excluded, status, list_sort(types) FROM services WHERE service_id = ?", [service_id]
    ).fetchone()
    last_run = con.execute(
        """
        SELECT r.run_id, r.applied_at::DATE, c.decision FROM run_changes c JOIN runs r USING (run_id)
        WHERE c.service_id = ? ORDER BY r.number DESC LIMIT 1""",
        [service_id],
    ).fetchone()
    future, reactivates = store.row(
        con,
        "SELECT coalesce(sum(f.future_appointments), 0), count(r.service_id) > 0 FROM (SELECT ?) t(service_id) "
        "LEFT JOIN future_appointments(?) f USING (service_id) LEFT JOIN will_reactivate(?) r USING (service_id)",
        [service_id, as_of, as_of],
    )
    facts: list[tuple[str, dict]] = []
    if imported:
        name, excluded, status, types = imported
        state = "excluded" if excluded else status
        facts.append((f"imported_{state}", {"types": list(types)}))
        if last_run:
            facts.append(("since_run", {"run_id": last_run[0], "date": str(last_run[1]), "decision": last_run[2]}))
        if emr is None:
            facts.append(("absent_from_export", {}))
        if reactivates:
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
    return facts, name, future


def _explain_staff(con, staff_id: str, as_of) -> dict:
    """Where a member stands in Personnel médical, and what it means for this quarter's count."""
    quarter = Quarter.of(as_of)
    member = con.execute(
        "SELECT name, status, responsible, volunteer FROM emr_staff WHERE staff_id = ?", [staff_id]
    ).fetchone()
    appointments, availabilities = con.execute(
        "SELECT count(*) FILTER (kind = 'appointment'), count(*) FILTER (kind = 'availability') "
        "FROM remuneration_items WHERE staff_id = ? AND start >= ? AND start < ?",
        [staff_id, quarter.start, quarter.end],
    ).fetchone()
    values = {"quarter": str(quarter), "appointments": appointments, "availabilities": availabilities}
    if member is None:
        facts = [("staff_missing", values)]
        name = staff_id
    else:
        name, status, responsible, volunteer = member
        standing = "staff_not_volunteer" if status == "active" and not volunteer else f"staff_{status}"
        facts = [(standing, values)] + ([("staff_responsible", {})] if responsible else [])
    return {"kind": "staff", "staff_id": staff_id, "name": name, "facts": _facts(facts)}


def _wizard_facts(wizard, service_id: str, future: int) -> list[tuple[str, dict]]:
    if service_id in wizard.excluded:
        return [("chosen_excluded", {})]
    if service_id in wizard.kept_inactive:
        return [("chosen_kept_inactive_future" if future else "chosen_kept_inactive", {"future": future})]
    chosen = wizard.types_of(service_id)
    return [("chosen_types", {"types": list(chosen)})] if chosen else [("chosen_no_type", {})]
