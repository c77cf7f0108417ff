"""What every view shares: the labels (French first, English available), HTML
helpers and the guard that turns any error into a message, never a traceback."""

from __future__ import annotations

import html
import logging
from functools import wraps

import ipywidgets as widgets

from ..errors import OrchestratorError
from ..messages import in_language, language, msg, percent

log = logging.getLogger(__name__)

# Every text the views show: (French, English). French is the default language.
LABELS: dict[str, tuple[str, str]] = {
    "title_1": ("1. Services exclus", "1. Excluded services"),
    "title_2": ("2. Services inactifs", "2. Inactive services"),
    "title_3": ("3. Services actifs : types", "3. Active services: types"),
    "title_4": ("Appliquer", "Apply"),
    "help_1": (
        "Sélectionnez les services à exclure de la synchronisation : ceux utilisés à des fins administratives "
        "internes à la clinique et que vous ne voulez jamais offrir aux patients. Ils ne seront pas pris en compte "
        "dans les rapports de rémunération et demeureront sous l'onglet Inactifs. Cochez-les, puis cliquez sur Suivant.",
        "Select the services to exclude from synchronisation: those used for the clinic's internal administration "
        "that you never want to offer to patients. They will not count in the remuneration reports and will stay "
        "in the Inactive tab. Tick them, then click Next.",
    ),
    "help_2": (
        "Cochez les services que vous n'offrez pas aux patients présentement, mais que vous offrirez éventuellement : "
        "ils iront sous l'onglet Inactifs. Notez qu'un service coché ici sera réactivé automatiquement si un "
        "rendez-vous y est associé dans votre DMÉ.",
        "Tick the services you do not offer to patients now but will offer later: they will go to the Inactive tab. "
        "A service ticked here is reactivated automatically if an appointment is booked for it in your EMR.",
    ),
    "help_3": (
        "Attribuez au moins un type à chaque service pour finaliser son activation. Si vous faites une erreur, "
        "cliquez à nouveau sur votre sélection pour la retirer. Un service sans type sera automatiquement "
        "désactivé au moment de la sauvegarde.",
        "Give each service at least one type to complete its activation. If you make a mistake, click your choice "
        "again to remove it. A service left without a type is deactivated automatically when saving.",
    ),
    "help_4": (
        "Vérifiez le résumé, puis cliquez sur Appliquer pour compléter l'importation des nouveaux services. "
        "Rien n'est enregistré avant. « Précédent » permet encore de modifier vos choix.",
        "Check the summary, then click Apply to complete the import of the new services. Nothing is saved before. "
        "'Previous' still lets you change your choices.",
    ),
    "step_count": ("Étape {step} : {count}", "Step {step}: {count}"),
    "services_one": ("{n} service", "{n} service"),
    "services_many": ("{n} services", "{n} services"),
    "search_placeholder": ("Rechercher par nom ou identifiant", "Search by name or id"),
    "previous": ("Précédent", "Previous"),
    "next": ("Suivant", "Next"),
    "apply": ("Appliquer", "Apply"),
    "page_previous": ("‹", "‹"),
    "page_next": ("›", "›"),
    "page_previous_tooltip": ("Page précédente", "Previous page"),
    "page_next_tooltip": ("Page suivante", "Next page"),
    "page": ("{first}–{last} sur {total}", "{first}–{last} of {total}"),
    "page_empty": ("Aucun service", "No service"),
    "page_empty_search": ("Aucun service ne correspond à « {text} »", "No service matches '{text}'"),
    "why": ("?", "?"),
    "why_tooltip": ("Pourquoi ce service est-il ici ?", "Why is this service here?"),
    "why_any_placeholder": ("Identifiant d'un service absent de la liste", "Id of a service missing from the list"),
    "why_any": ("Pourquoi ?", "Why?"),
    "future": ("{n} rendez-vous à venir", "{n} future appointment(s)"),
    "imported": ("déjà importé, {state}", "already imported, {state}"),
    "state_active": ("actif", "active"),
    "state_inactive": ("inactif", "inactive"),
    "state_excluded": ("exclu", "excluded"),
    "summary_final": ("Après l'application", "After applying"),
    "final_active": ("Actifs", "Active"),
    "final_inactive": ("Inactifs (inclus)", "Inactive (included)"),
    "final_excluded": ("Exclus", "Excluded"),
    "auto_reactivated": ("Réactivés automatiquement", "Reactivated automatically"),
    "auto_deactivated": ("Désactivés automatiquement (sans type)", "Deactivated automatically (no type)"),
    "none": ("aucun", "none"),
    "and_more": ("… et {n} autres", "… and {n} more"),
    "what_if_heading": (
        "Effet sur le rapport de rémunération (ce que l'audit comptera)",
        "Effect on the remuneration report (what the audit will count)",
    ),
    "what_if_quarter": ("Trimestre", "Quarter"),
    "what_if_current": ("{quarter} (en cours)", "{quarter} (current)"),
    "what_if_previous": ("{quarter} (précédent)", "{quarter} (previous)"),
    "what_if_counted": ("Éléments comptés", "Items counted"),
    "what_if_coverage": ("Couverture (comptés ÷ dus)", "Coverage (counted ÷ owed)"),
    "what_if_still_not_counted": (
        "Resteront non comptés (gardés inactifs ou sans type)",
        "Still not counted (kept inactive or without a type)",
    ),
    "what_if_note": (
        "Avant → après l'application. Les éléments des services exclus ne sont pas dus.",
        "Before → after applying. Items of excluded services are not owed.",
    ),
    "no_coverage": ("aucune", "none"),
    "undo": ("Annuler cette exécution", "Undo this run"),
    "catalogue_active": ("Actifs", "Active"),
    "catalogue_inactive": ("Inactifs", "Inactive"),
    "catalogue_title": ("{tab} ({n})", "{tab} ({n})"),
    "col_id": ("Identifiant", "Id"),
    "col_name": ("Nom", "Name"),
    "col_state": ("État", "State"),
    "col_types": ("Types", "Types"),
    "catalogue_truncated": (
        "{shown} premiers services sur {total} : précisez la recherche.",
        "First {shown} services of {total}: refine the search.",
    ),
    "catalogue_empty": ("Aucun service.", "No service."),
    # The dashboard
    "dashboard_title": ("Orchestrateur de rendez-vous — tableau de bord", "Appointment orchestrator — dashboard"),
    "tab_overview": ("Vue d'ensemble", "Overview"),
    "tab_services": ("Services", "Services"),
    "tab_sync": ("Synchronisation", "Sync"),
    "tab_staff": ("Personnel médical", "Medical staff"),
    "tab_audit": ("Audit", "Audit"),
    "read_at": ("Données lues à {time}", "Data read at {time}"),
    "refresh": ("Rafraîchir", "Refresh"),
    "coverage_current": ("Couverture {quarter} (en cours) :", "Coverage {quarter} (current):"),
    "coverage_previous": ("Couverture {quarter} (précédent) :", "Coverage {quarter} (previous):"),
    "coverage_of": ("Couverture {quarter} :", "Coverage {quarter}:"),
    "counted_of_owed": ("({counted} comptés sur {owed} dus)", "({counted} counted of {owed} owed)"),
    "services_active": ("Services actifs", "Active services"),
    "services_inactive": ("Inactifs (inclus)", "Inactive (included)"),
    "services_excluded": ("Exclus", "Excluded"),
    "services_pending": ("En attente de synchronisation", "Waiting for a sync"),
    "staff_problems": ("Personnel médical : {n} point(s) à régler", "Medical staff: {n} item(s) to fix"),
    "trend_heading": ("Couverture par trimestre", "Coverage by quarter"),
    "detail_heading": ("Détail et changements manuels", "Details and manual changes"),
    "detail_placeholder": ("Identifiant du service", "Service id"),
    "detail_show": ("Afficher", "Show"),
    "action_activate": ("Activer avec ces types", "Activate with these types"),
    "action_deactivate": ("Désactiver", "Deactivate"),
    "action_exclude": ("Exclure", "Exclude"),
    "action_include": ("Inclure", "Include"),
    "confirm": ("Confirmer", "Confirm"),
    "cancel": ("Annuler", "Cancel"),
    "confirm_question": ("{action} : {service} ?", "{action}: {service}?"),
    "load_export": ("Synchroniser avec le DMÉ", "Synchronise with the EMR"),
    "loading": ("Chargement", "Loading"),
    "history_heading": ("Historique", "History"),
    "undo_last": ("Annuler la dernière exécution", "Undo the latest run"),
    "no_runs": ("Aucune exécution.", "No run yet."),
    "col_run": ("Exécution", "Run"),
    "col_kind": ("Nature", "Kind"),
    "col_when": ("Quand", "When"),
    "col_who": ("Qui", "Who"),
    "col_changes": ("Changements", "Changes"),
    "col_run_state": ("État", "State"),
    "undone_by": ("annulée par {run}", "undone by {run}"),
    "undoes": ("annule {run}", "undoes {run}"),
    "col_license": ("Permis", "Licence"),
    "col_role": ("Type", "Role"),
    "col_specialty": ("Spécialité", "Specialty"),
    "col_responsible": ("Responsable", "Responsible"),
    "col_appointments_at_stake": ("Rendez-vous en jeu ({quarter})", "Appointments at stake ({quarter})"),
    "col_availabilities_at_stake": ("Disponibilités en jeu ({quarter})", "Availabilities at stake ({quarter})"),
    "col_appointments": ("Rendez-vous", "Appointments"),
    "col_availabilities": ("Disponibilités", "Availabilities"),
    "col_action": ("À faire", "To do"),
    "staff_missing_heading": ("Absents du Personnel médical", "Missing from medical staff"),
    "not_handled": ("Non pris en charge", "Not handled"),
    "yes": ("oui", "yes"),
    "role_medecin": ("Médecin", "Physician"),
    "role_ips": ("IPS", "Nurse practitioner"),
    "role_infirmiere": ("Infirmière", "Nurse"),
    "role_gestionnaire": ("Gestionnaire", "Manager"),
    "role_autre": ("Autre", "Other"),
    "quarter": ("Trimestre", "Quarter"),
    "run_audit": ("Auditer", "Run audit"),
    "make_report": ("Rapport et tableur", "Report and workbook"),
    "report_busy": ("Génération du rapport (quelques secondes)…", "Generating the report (a few seconds)…"),
    "download_xlsx": ("Télécharger issues.xlsx", "Download issues.xlsx"),
    "download_html": ("Télécharger le rapport HTML", "Download the HTML report"),
    "issues_heading": ("Ce qu'il faut corriger ({n})", "What to fix ({n})"),
    "summary_heading": ("Résumé", "Summary"),
    "by_type": ("Par type de service", "By service type"),
    "by_staff": ("Par membre du personnel", "By staff member"),
    "by_service": ("Par service", "By service"),
    "by_month": ("Par mois", "By month"),
}

ERROR_STYLE = (
    "color:#8b0000;background:#fdecea;border:1px solid #e0a0a0;border-radius:4px;padding:0.5em 0.75em;margin:0.25em 0"
)
RESULT_STYLE = (
    "color:#1b4d1b;background:#edf7ed;border:1px solid #9cc99c;border-radius:4px;padding:0.5em 0.75em;margin:0.25em 0"
)
TABLE_STYLE = "border-collapse:collapse;margin:0.25em 0"
CELL_STYLE = "border:1px solid #ccc;padding:0.2em 0.6em;text-align:left"
NUMBER_STYLE = "border:1px solid #ccc;padding:0.2em 0.6em;text-align:right"


def label(key: str, **values: object) -> str:
    """The label ``key`` in the user's language (read at each call: it may change)."""
    return in_language(LABELS[key], **values)


def _services(n: int) -> str:
    # French keeps the singular for 0 and 1; English only for 1.
    singular = n == 1 if language() == "en" else n < 2
    return label("services_one" if singular else "services_many", n=n)


def _e(value: object) -> str:
    """Text for an element's content (quotes stay readable)."""
    return html.escape(str(value), quote=False)


def _a(value: object) -> str:
    """Text for an attribute's value."""
    return html.escape(str(value), quote=True)


def _show(widget: widgets.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


def _pct(value: float | None) -> str:
    """A coverage as the reader writes it; ``aucune`` when nothing is owed."""
    return percent(value) if value is not None else label("no_coverage")


def _error_html(text: str) -> str:
    return f'<div role="alert" style="{ERROR_STYLE}">{_e(text)}</div>'


def guarded(method):
    """A widget callback: an OrchestratorError shows its message in the red box,
    anything else a short generic message (details go to the log), never a traceback."""

    @wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except OrchestratorError as error:
            self._show_error(str(error))
            self._after_error(error)
        except Exception as error:
            log.exception("view callback failed")
            self._show_error(msg("unexpected", detail=f"{type(error).__name__}: {error}"))

    return wrapper


def _type_label(entry: dict) -> str:
    return entry["label_en"] if language() == "en" else entry["label_fr"]
