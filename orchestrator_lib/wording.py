"""Words on the engine's codes: the one place where an audit issue, an explanation fact, a
state, a role, a kind of run or a user becomes what a person reads. The engine returns codes
and values; the CLI, the views and the report call these, in the language of the moment.

Each table maps a code to its message id, written out (``N_``) so that the catalogue check
(tests/test_i18n.py) sees every id the code can ask for.
"""

from __future__ import annotations

import functools

from .i18n import N_, _, _n, date, dollars, language, moment, number, percent, quarter

# What to do about an issue that loses items from the count (audit.py's action codes).
ACTIONS = {
    "service_not_imported": N_("action_service_not_imported"),
    "service_not_imported_absent": N_("action_service_not_imported_absent"),
    "service_not_imported_emr_inactive": N_("action_service_not_imported_emr_inactive"),
    "service_excluded": N_("action_service_excluded"),
    "service_inactive": N_("action_service_inactive"),
    "staff_missing": N_("action_staff_missing"),
    "staff_inactive": N_("action_staff_inactive"),
    "staff_not_volunteer": N_("action_staff_not_volunteer"),
}
# Checks that do not change the counts; those with a count are plural entries.
CHECKS = {
    "responsible_missing": N_("check_responsible_missing"),
    "responsible_inactive": N_("check_responsible_inactive"),
    "responsible_several": N_("check_responsible_several"),
    "specialty_not_primary_care": N_("check_specialty_not_primary_care"),
    "data_ends_early": N_("check_data_ends_early"),
    "volunteer_column_absent": N_("check_volunteer_column_absent"),
    "load_before_quarter_end": N_("check_load_before_quarter_end"),
}
COUNTED_CHECKS = {
    "availability_attribute_missing": N_("check_availability_attribute_missing"),
    "excluded_with_appointments": N_("check_excluded_with_appointments"),
    "will_reactivate": N_("check_will_reactivate"),
    "published_before_configuration": N_("check_published_before_configuration"),
}
DATE_CHECKS = ("data_ends_early", "load_before_quarter_end")  # their detail is a date
# The name of a reason not counted, or of a check.
REASONS = {
    "service_not_imported": N_("service_not_imported"),
    "service_excluded": N_("service_excluded"),
    "service_inactive": N_("service_inactive"),
    "staff_missing": N_("staff_missing"),
    "staff_inactive": N_("staff_inactive"),
    "staff_not_volunteer": N_("staff_not_volunteer"),
    "volunteer_column_absent": N_("volunteer_column_absent"),
    "responsible_missing": N_("responsible_missing"),
    "responsible_inactive": N_("responsible_inactive"),
    "responsible_several": N_("responsible_several"),
    "specialty_not_primary_care": N_("specialty_not_primary_care"),
    "availability_attribute_missing": N_("availability_attribute_missing"),
    "excluded_with_appointments": N_("excluded_with_appointments"),
    "will_reactivate": N_("will_reactivate"),
    "published_before_configuration": N_("published_before_configuration"),
    "data_ends_early": N_("data_ends_early"),
    "load_before_quarter_end": N_("load_before_quarter_end"),
}
# An availability's regulatory attributes (audit_checks.sql).
ATTRIBUTES = {
    "published_at": N_("attribute_published_at"),
    "clientele": N_("attribute_clientele"),
    "reason": N_("attribute_reason"),
    "mode": N_("attribute_mode"),
    "location": N_("attribute_location"),
}
# explain.py's facts; those about future appointments are plural entries.
FACTS = {
    "imported_active": N_("explain_imported_active"),
    "imported_inactive": N_("explain_imported_inactive"),
    "imported_excluded": N_("explain_imported_excluded"),
    "since_run": N_("explain_since_run"),
    "absent_from_export": N_("explain_absent_from_export"),
    "unknown": N_("explain_unknown"),
    "emr_inactive": N_("explain_emr_inactive"),
    "staff_active": N_("explain_staff_active"),
    "staff_inactive": N_("explain_staff_inactive"),
    "staff_missing": N_("explain_staff_missing"),
    "staff_responsible": N_("explain_staff_responsible"),
    "staff_not_volunteer": N_("explain_staff_not_volunteer"),
    "chosen_excluded": N_("explain_chosen_excluded"),
    "chosen_kept_inactive": N_("explain_chosen_kept_inactive"),
    "chosen_types": N_("explain_chosen_types"),
    "chosen_no_type": N_("explain_chosen_no_type"),
}
FUTURE_FACTS = {
    "will_reactivate": N_("explain_will_reactivate"),
    "excluded_with_future": N_("explain_excluded_with_future"),
    "pending": N_("explain_pending"),
    "chosen_kept_inactive_future": N_("explain_chosen_kept_inactive_future"),
}
STATES = {"active": N_("state_active"), "inactive": N_("state_inactive"), "excluded": N_("state_excluded")}
ROLES = {
    "medecin": N_("role_medecin"),
    "ips": N_("role_ips"),
    "infirmiere": N_("role_infirmiere"),
    "gestionnaire": N_("role_gestionnaire"),
    "autre": N_("role_autre"),
}
RUN_KINDS = {"sync": N_("run_sync"), "manual": N_("run_manual"), "undo": N_("run_undo")}
# A run's decisions (0003_history.sql): the word for one, and the plural entry for a count.
DECISIONS = {
    "excluded": (N_("decision_excluded"), N_("n_decision_excluded")),
    "kept_inactive": (N_("decision_kept_inactive"), N_("n_decision_kept_inactive")),
    "typed": (N_("decision_typed"), N_("n_decision_typed")),
    "auto_reactivated": (N_("decision_auto_reactivated"), N_("n_decision_auto_reactivated")),
    "auto_deactivated": (N_("decision_auto_deactivated"), N_("n_decision_auto_deactivated")),
    "activate": (N_("decision_activate"), N_("n_decision_activate")),
    "deactivate": (N_("decision_deactivate"), N_("n_decision_deactivate")),
    "exclude": (N_("decision_exclude"), N_("n_decision_exclude")),
    "include": (N_("decision_include"), N_("n_decision_include")),
    "set_types": (N_("decision_set_types"), N_("n_decision_set_types")),
    "undo": (N_("decision_undo"), N_("n_decision_undo")),
}
# What a sync summary counts (wizard.Plan.summary), each a plural entry.
SYNC_COUNTS = {
    "active": N_("n_active"),
    "inactive": N_("n_inactive"),
    "excluded": N_("n_excluded"),
    "auto_reactivated": N_("n_auto_reactivated"),
    "auto_deactivated": N_("n_auto_deactivated"),
}


def action(issue: dict) -> str:
    """What to do about an audit issue (``action_code`` and its values), as one sentence."""
    code = issue["action_code"]
    values = {"id": issue.get("subject_id"), "name": issue.get("subject_name")}
    if code in ACTIONS:
        return _(ACTIONS[code], **values)
    detail = issue.get("detail")
    if code == "availability_attribute_missing":
        detail = attributes(detail or [])
    elif code in DATE_CHECKS and detail:
        detail = date(detail)
    elif code == "published_before_configuration" and detail:
        detail = moment(detail)
        values["staff"] = staff_counts(issue.get("staff") or [])
    elif isinstance(detail, list):
        detail = ", ".join(detail)
    if code in COUNTED_CHECKS:
        count = issue.get("appointments") or issue.get("availabilities") or 0
        return _n(COUNTED_CHECKS[code], count, detail=detail, **values)
    return _(CHECKS[code], detail=detail, **values)


def funnel(tally: dict) -> str:
    """The quarter's offer and what became of its appointments (an audit's ``funnel``), one line."""

    def pct(value):
        return "—" if value is None else percent(value)

    return _(
        "funnel_line",
        **{k: number(tally.get(k, 0)) for k in ("offered", "booked", "held", "noshow", "cancelled", "pending")},
        **{k: pct(tally.get(k)) for k in ("held_pct", "noshow_pct", "cancelled_pct")},
    )


# The clinic's two amounts (rates.KINDS): by themselves, with their value, as a table's row.
RATE_KINDS = {"availability": N_("rate_kind_availability"), "held": N_("rate_kind_held")}
RATE_AMOUNTS = {"availability": N_("rate_availability"), "held": N_("rate_held")}
RATE_ROWS = {"availability": N_("row_rate_availability"), "held": N_("row_rate_held")}


def rates(amounts: dict[str, float]) -> str:
    """``50,00 $ par disponibilité comptée, 50,00 $ par rendez-vous réalisé``: the amounts set."""
    return ", ".join(_(RATE_AMOUNTS[kind], amount=dollars(amounts[kind])) for kind in RATE_AMOUNTS if kind in amounts)


# The tables an evidence pack fingerprints (evidence.TABLES), as a manager reads them.
PACK_TABLES = {
    "emr_services": N_("pack_emr_services"),
    "emr_staff": N_("pack_emr_staff"),
    "emr_appointments": N_("pack_emr_appointments"),
    "emr_availabilities": N_("pack_emr_availabilities"),
    "services": N_("pack_services"),
    "service_configured": N_("pack_service_configured"),
}


def pack_table(name: str) -> str:
    """``rendez-vous du trimestre (DMÉ) (emr_appointments)``: a table of the pack, and its name."""
    return f"{_(PACK_TABLES[name])} ({name})" if name in PACK_TABLES else name


def rate_change(change: dict) -> str:
    """One change of the clinic's amounts (``rates.changes``): when, who, which, before → after."""
    values = {k: "—" if change[k] is None else dollars(change[k]) for k in ("before", "after")}
    return _(
        "rate_change", at=when(change["at"]), by=person(change["by"]), kind=_(RATE_KINDS[change["kind"]]), **values
    )


def money(estimate: dict) -> str:
    """An audit's ``money`` (estimates at the clinic's own amounts), one line."""
    return _(
        "money_line",
        rates=rates(estimate["rates"]),
        counted=dollars(estimate["counted"]),
        at_stake=dollars(estimate["at_stake"]),
    )


def action_with_stake(issue: dict) -> str:
    """What to do about an issue, and the estimated amount it keeps out when the clinic set its amounts."""
    text = action(issue)
    amount = issue.get("amount_at_stake")
    return _("issue_at_stake", text=text, amount=dollars(amount)) if amount else text


def staff_counts(members: list[dict]) -> str:
    """``Bouchard, Mathieu : 39 ; Tremblay, Marie-Claude : 38``: members and their items."""
    return _("list_separator").join(_("member_count", name=m["name"], n=number(m["availabilities"])) for m in members)


def attributes(codes: list[str]) -> str:
    """``date d'ouverture à la réservation, lieu``: an availability's missing attributes."""
    return ", ".join(_(ATTRIBUTES[c]) if c in ATTRIBUTES else c for c in codes)


def reason(code: str) -> str:
    """A reason not counted, or the kind of a check: ``Absent du Personnel médical``."""
    return _(REASONS[code]) if code in REASONS else code


def describe_extent(extent: dict) -> str:
    """What the data covers (an audit's ``extent``), as one sentence."""
    if not extent.get("last_load"):
        return _("audit_data_none")

    def day(iso: str | None) -> str:
        return date(iso) if iso else "—"

    return _(
        "audit_data",
        loaded_at=day(extent["last_load"]["at"]),
        source=extent["last_load"]["source"],
        last_appointment=day(extent["last_appointment"]),
        last_availability=day(extent["last_availability"]),
    )


def fact(fact: dict, subject_id: str, type_labels: dict[str, dict] | None = None) -> str:
    """An explanation fact (``explain``'s code and values) as one sentence."""
    values = dict(fact.get("values", {}))
    if "types" in values:
        values["types"] = types(values["types"], type_labels or {})
    if "decision" in values:
        values["decision"] = decision(values["decision"])
    if "date" in values:
        values["date"] = date(values["date"])
    if "quarter" in values:
        values["quarter"] = quarter(values["quarter"])
    if fact["code"] in FUTURE_FACTS:
        return _n(FUTURE_FACTS[fact["code"]], values.pop("future", 0), service_id=subject_id, **values)
    return _(FACTS[fact["code"]], service_id=subject_id, staff_id=subject_id, **values)


def type_label(entry: dict) -> str:
    """A service type of ``list_types`` in the current language."""
    return entry["label_en"] if language() == "en" else entry["label_fr"]


def types(codes: list[str], labels: dict[str, dict]) -> str:
    """``Urgent, Semi-urgent``; ``aucun`` for none. ``labels``: ``list_types`` by code."""
    if not codes:
        return _("none")
    return ", ".join(type_label(labels[c]) if c in labels else c for c in codes)


def state(status: str, excluded: bool = False) -> str:
    """A service's state: ``actif``, ``inactif``, ``exclu``."""
    return _(STATES["excluded" if excluded else status])


def decision(code: str) -> str:
    """A decision of a run (``activate``, ``kept_inactive``…), as words."""
    return _(DECISIONS[code][0]) if code in DECISIONS else code


def role(code: str | None) -> str:
    return _(ROLES.get(code or "autre", ROLES["autre"]))


def volunteer(ticked: bool | None) -> str:
    """The Volontaire box: ``Oui``, ``Non``, or not given by the export (then counted)."""
    return _("volunteer_unknown") if ticked is None else _("yes") if ticked else _("no")


def run_kind(code: str) -> str:
    """``Synchronisation``, ``Changement manuel``, ``Annulation``."""
    return _(RUN_KINDS[code]) if code in RUN_KINDS else code


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def when(iso: str | None) -> str:
    """A recorded time, in Montréal, written the one way (``2 décembre 2026, 09 h 14``)."""
    return moment(iso) if iso else ""


def person(login: str | None) -> str:
    """Who did something: the full name the system knows for a login, else the login;
    an administrator account says so rather than showing ``root``."""
    if not login:
        return ""
    if login == "root":
        return _("person_administrator", login=login)
    return _full_name(login) or login


@functools.cache
def _full_name(login: str) -> str | None:
    try:
        import pwd

        gecos = pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError):
        return None
    return gecos if gecos and gecos != login else None


def decisions(counts: dict[str, int]) -> str:
    """A run's changes by decision: ``7 exclus, 1 désactivé automatiquement``."""
    return ", ".join(_n(DECISIONS[code][1], n) if code in DECISIONS else f"{code}: {n}" for code, n in counts.items())


def sync_summary(summary: dict, *, dry_run: bool = False) -> str:
    """What a sync applied (or would apply): one sentence, every count in its plural form."""
    if summary["run_id"] is None and not dry_run:
        return _("sync_nothing")
    counts = {field: _n(msgid, len(summary[field])) for field, msgid in SYNC_COUNTS.items()}
    if dry_run:
        return _("sync_dry_run", **counts)
    return _("sync_done", run_id=summary["run_id"], **counts)


def load_summary(result) -> str:
    """What a load stored (a ``load.LoadResult``), or that nothing changed."""
    if not result.changed:
        return _("nothing_changed")
    return _(
        "loaded",
        services=_n("n_services", result.services),
        staff=_n("n_staff", result.staff),
        appointments=_n("n_appointments", result.appointments),
        availabilities=_n("n_availabilities", result.availabilities),
        pending=_n("n_pending", len(result.pending)),
    )


def prose(msgid: str, **values: object):
    """A paragraph of a notebook (Markdown), in the current language: notebooks' prose lives in
    the catalogue too, so the report reads in the reader's language."""
    from IPython.display import Markdown

    return Markdown(_(msgid, **values))


# The group's view (region.py): a clinic's status in a word.
STATUSES = {
    "ok": N_("status_ok"),
    "under_threshold": N_("status_under_threshold"),
    "no_data": N_("status_no_data"),
}


def status(code: str) -> str:
    return _(STATUSES[code])


def verdict(code: str, threshold: float | None) -> str:
    """The status where it judges (against a threshold, or no data), else a dash: a coverage
    is no success by itself."""
    return status(code) if threshold is not None or code == "no_data" else "—"


def coverage_text(value: float | None) -> str:
    """A coverage, or the words for none (nothing owed: never shown as 100 %)."""
    return percent(value) if value is not None else _("audit_no_coverage")


def region_rows(result) -> list[str]:
    """One line per clinic for ``orchestrator region``: its coverage, counted over owed, status
    and first issue, the clinics most in need first."""
    lines = []
    for entry in result.to_json()["clinics"]:  # the clinics most in need first
        first = entry["main_issues"][0]["action"] if entry["main_issues"] else _("region_no_issue")
        # A status word only where it judges: against a threshold, or for no data.
        judged = result.threshold is not None or entry["status"] == "no_data"
        lines.append(
            _(
                N_("region_row") if judged else N_("region_row_unjudged"),
                clinic=entry["clinic"],
                coverage=coverage_text(entry["coverage_pct"]),
                counted=number(entry["counted"]),
                owed=number(entry["owed"]),
                status=status(entry["status"]),
                issue=first,
            )
        )
    return lines
