"""The ``orchestrator`` command (the command line in the README): each command is a thin wrapper over
one function of ``orchestrator_lib``. Heavy modules are imported inside the
commands so that ``orchestrator --help`` answers at once.

Exit status: 0 success, 2 bad input or refused action (message on stderr,
nothing changed), 1 anything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from pathlib import Path

import click

from .errors import OrchestratorError
from .messages import msg

# Binding any SQL parameter makes DuckDB's Python client import pandas (0.3 s,
# a third of an audit of 5 million appointments) only to check whether the
# value is a pandas object. A command that handles no DataFrame marks pandas
# as absent for DuckDB while it runs; one that needs it calls _need_pandas().
_WITH_PANDAS = {"demo", "dashboard"}


@contextlib.contextmanager
def _without_pandas():
    if "pandas" in sys.modules:
        yield
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # "import pandas" now fails at once, and DuckDB passes on
    try:
        yield
    finally:
        _need_pandas()


def _need_pandas() -> None:
    """Let pandas be imported again (the report's tables are DataFrames)."""
    if "pandas" in sys.modules and sys.modules["pandas"] is None:
        del sys.modules["pandas"]


class _Group(click.Group):
    """Turns every library error into its message and exit status, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OrchestratorError as error:
            click.echo(f"Erreur : {error}" if _french() else f"Error: {error}", err=True)
            sys.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # output piped into `head` and closed: not an error
            os._exit(0)
        except Exception as error:  # anything unforeseen: exit 1, no traceback unless asked
            if os.environ.get("ORCHESTRATOR_DEBUG"):
                raise
            click.echo(msg("unexpected", detail=f"{type(error).__name__}: {error}"), err=True)
            sys.exit(1)


def _french() -> bool:
    from .messages import language

    return language() == "fr"


def _say(text: object) -> None:
    """A line for a person at a terminal: names from the EMR may hold control
    characters (an escape sequence could rewrite the screen); they show as spaces."""
    click.echo(re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " ", str(text)))


def _emit(document) -> None:
    """The one JSON document of ``--json`` on stdout."""
    click.echo(json.dumps(document, ensure_ascii=False, default=str))


json_option = click.option("--json", "as_json", is_flag=True, help="Un seul document JSON sur stdout.")
tab_option = click.option(
    "--tab",
    type=click.Choice(["active", "inactive"]),
    default=None,
    help="Onglet Actifs (active) ou Inactifs (inactive).",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Base DuckDB (sinon $ORCHESTRATOR_DB, sinon data/orchestrator.duckdb).",
)
@click.version_option(package_name="orchestrator_lib")
@click.pass_context
def main(ctx: click.Context, db: Path | None) -> None:
    """Synchroniser les services de l'orchestrateur avec le DMÉ et auditer le
    rapport de rémunération. / Keep the orchestrator's services in step with
    the EMR and audit the remuneration report."""
    ctx.obj = db
    if ctx.invoked_subcommand not in _WITH_PANDAS:
        ctx.with_resource(_without_pandas())


@main.command()
@click.argument("folder", type=click.Path(path_type=Path), required=False)
@click.option(
    "--fhir",
    "fhir_url",
    metavar="URL",
    help="Lire le DMÉ sur ce serveur FHIR R4 (jeton dans $ORCHESTRATOR_FHIR_TOKEN).",
)
@click.option(
    "--full", is_flag=True, help="FHIR : tout relire au lieu des seuls changements depuis le dernier chargement."
)
@json_option
@click.pass_obj
def load(db, folder: Path | None, fhir_url: str | None, full: bool, as_json: bool) -> None:
    """Charger le DMÉ : un dossier d'exportation de quatre tables, ou un serveur FHIR R4.

    Sans argument : la source configurée ($ORCHESTRATOR_FHIR_URL, sinon
    $ORCHESTRATOR_EXPORT_DIR).

    Examples: orchestrator load data/demo --json
              orchestrator load --fhir https://dme.example/fhir/R4
    """
    from . import load as loading

    if folder and fhir_url:
        raise click.UsageError(msg("load_one_source"))
    source = fhir_url or (str(folder) if folder else loading.configured_source())
    if not source:
        raise click.UsageError(msg("load_no_source"))
    progress = not as_json and sys.stderr.isatty()
    if fhir_url:  # an explicit --fhir is a server even when it does not look like one
        result = loading.load_fhir(fhir_url, db, full=full, progress=progress)
    else:
        result = loading.load_source(source, db, full=full, progress=progress)
    _report_load(result, as_json)


def _report_load(result, as_json: bool) -> None:
    for warning in result.warnings:  # stderr: stdout holds only the JSON document
        click.echo(msg("warning", text=warning), err=True)
    if as_json:
        _emit(result.to_json())
        return
    if result.read:
        click.echo(result.read)
    if not result.changed:
        click.echo(msg("nothing_changed"))
    else:
        click.echo(
            msg(
                "loaded",
                services=result.services,
                staff=result.staff,
                appointments=result.appointments,
                availabilities=result.availabilities,
                pending=len(result.pending),
            )
        )


@main.command()
@click.option(
    "--scale",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Taille de la clinique (1 = l'exportation de démonstration livrée).",
)
@json_option
@click.pass_obj
def demo(db, scale: int, as_json: bool) -> None:
    """Écrire l'exportation de la clinique de démonstration sous data/demo/ et la charger.

    Example: orchestrator demo --scale 10
    """
    from .demo import write_demo_export
    from .load import load_export

    folder = Path("data") / "demo" if scale == 1 else Path("data") / "demo" / f"scale-{scale}"
    write_demo_export(folder, scale=scale)
    _report_load(load_export(folder, db, progress=not as_json and sys.stderr.isatty()), as_json)


@main.command()
@tab_option
@click.option("--search", default=None, help="Texte cherché dans le nom ou l'identifiant (sans égard aux accents).")
@json_option
@click.pass_obj
def services(db, tab: str | None, search: str | None, as_json: bool) -> None:
    """Lister les services importés (onglets Actifs / Inactifs).

    Example: orchestrator services --tab inactive --search vaccin --json
    """
    from .catalogue import list_services

    rows = list_services(db, tab=tab, search=search)
    if as_json:
        _emit(rows)
        return
    _print_table(
        rows,
        [
            ("service_id", "Service", "Service"),
            ("name", "Nom", "Name"),
            ("status", "État", "Status"),
            ("excluded", "Exclu", "Excluded"),
            ("types", "Types", "Types"),
        ],
    )


@main.command()
@tab_option
@json_option
@click.pass_obj
def staff(db, tab: str | None, as_json: bool) -> None:
    """Lister le Personnel médical (onglets Actifs / Inactifs).

    Example: orchestrator staff --tab inactive --json
    """
    from .catalogue import list_staff

    rows = list_staff(db, tab=tab)
    if as_json:
        _emit(rows)
        return
    _print_table(
        rows,
        [
            ("staff_id", "Membre", "Member"),
            ("name", "Nom", "Name"),
            ("status", "État", "Status"),
            ("license", "Permis", "Licence"),
            ("role", "Type", "Role"),
            ("specialty", "Spécialité", "Specialty"),
            ("responsible", "Responsable", "Responsible"),
        ],
    )


# --- the synchronisation wizard, history, explanations ---------------------------------

as_of_option = click.option(
    "--as-of", "as_of", default=None, help="Heure de référence ISO 8601 des rendez-vous à venir (défaut : maintenant)."
)
user_option = click.option(
    "--user", default=None, help="Qui agit, pour l'historique (défaut : $ORCHESTRATOR_USER ou la session)."
)


@main.command()
@click.option(
    "--decisions",
    "decisions_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help='Fichier JSON : {"exclude": [id, …], "inactive": [id, …], "types": {id: [type, …]}}.',
)
@as_of_option
@click.option("--dry-run", is_flag=True, help="Montrer le résultat sans rien écrire.")
@user_option
@json_option
@click.pass_obj
def sync(db, decisions_file: Path, as_of, dry_run: bool, user, as_json: bool) -> None:
    """Synchroniser les services en attente selon un fichier de décisions.

    Example: orchestrator sync --decisions decisions.json --dry-run --json
    """
    from .wizard import sync as run_sync

    summary = run_sync(db, decisions_file, as_of=as_of, user=user, dry_run=dry_run)
    if as_json:
        _emit(summary)
        return
    if summary["run_id"] is None:
        click.echo(msg("sync_nothing"))
    else:
        click.echo(
            msg(
                "sync_done" if not dry_run else "sync_dry_run",
                run_id=summary["run_id"],
                **{k: len(v) for k, v in summary.items() if isinstance(v, list)},
            )
        )
    for quarter, figures in summary["what_if"].items():
        click.echo(
            msg(
                "sync_what_if",
                quarter=quarter,
                before=figures["counted_before"],
                after=figures["counted_after"],
                coverage_before=_pct(figures["coverage_before"]),
                coverage_after=_pct(figures["coverage_after"]),
            )
        )


@main.command("history")
@json_option
@click.pass_obj
def history_command(db, as_json: bool) -> None:
    """Lister les exécutions (synchronisations, changements manuels, annulations).

    Example: orchestrator history --json
    """
    from .history import list_runs

    runs = list_runs(db)
    if as_json:
        _emit(runs)
        return
    for run in runs:
        run["decisions"] = ", ".join(f"{k}: {v}" for k, v in run["decisions"].items())
        run["state"] = (
            f"annulée par {run['undone_by']}"
            if run["undone_by"]
            else (f"annule {run['undoes']}" if run["undoes"] else "")
        )
    _print_table(
        runs,
        [
            ("run_id", "Exécution", "Run"),
            ("kind", "Nature", "Kind"),
            ("applied_at", "Quand", "When"),
            ("applied_by", "Qui", "Who"),
            ("decisions", "Décisions", "Decisions"),
            ("state", "État", "State"),
        ],
    )


@main.command()
@click.argument("run_id", required=False)
@user_option
@json_option
@click.pass_obj
def undo(db, run_id: str | None, user, as_json: bool) -> None:
    """Annuler la dernière exécution (ou RUN_ID si aucune exécution suivante n'en dépend).

    Example: orchestrator undo
    """
    from .history import undo as undo_run

    undo_id = undo_run(db, run_id, user=user)
    _emit({"run_id": undo_id}) if as_json else click.echo(msg("undone", run_id=undo_id))


@main.command()
@click.argument("item_id", metavar="ID")
@as_of_option
@json_option
@click.pass_obj
def explain(db, item_id: str, as_of, as_json: bool) -> None:
    """Expliquer où est un service (ou pourquoi il manque à une liste), ou un membre du personnel.

    Example: orchestrator explain srv-036
    """
    from .explain import explain as explain_item

    found = explain_item(db, item_id, as_of=as_of)
    if as_json:
        _emit(found)
        return
    _say(f"{found.get('service_id') or found['staff_id']} — {found['name']}")
    for fact in found["facts"]:
        _say(f"  • {fact['text']}")


@main.command()
@click.option(
    "--quarter", required=True, help="Trimestre : 2026Q3, T3 2026, previous (celui qui vient de finir) ou current."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier du rapport : carnet exécuté, HTML sans code, classeur Excel, summary.json.",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    default=None,
    help="Code de sortie 3 si la couverture (%) est inférieure, ou s'il n'y a rien de dû.",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Rien sur la sortie quand tout va bien (pour cron : un courriel seulement en cas de problème).",
)
@as_of_option
@json_option
@click.pass_obj
def audit(db, quarter: str, out_dir: Path | None, fail_under: float | None, quiet: bool, as_of, as_json: bool) -> None:
    """Auditer le rapport de rémunération d'un trimestre.

    Example: orchestrator audit --quarter previous --out data/reports --fail-under 95 --quiet
    """
    from . import store
    from .audit import run_audit

    written = None
    if out_dir is None:
        result = run_audit(db, quarter, as_of=as_of, fail_under=fail_under)
    else:
        _need_pandas()
        from .report import audit_report

        result, written = audit_report(db, quarter, out_dir, as_of=as_of, fail_under=fail_under)
    if result.status != "ok":  # the first line a scheduler's mail shows
        click.echo(_alarm(result, store.resolve_db(db)), err=True)
    if as_json:
        _emit(result.to_json())
    elif not (quiet and result.status == "ok"):
        _print_audit(result, written)
    if fail_under is not None and result.status != "ok":
        sys.exit(3)


def _pct(value: float | None) -> str:
    from .messages import percent

    return percent(value) if value is not None else msg("audit_no_coverage")


def _threshold(value: float | None) -> str:
    """``95`` or ``92,5``: the threshold as the user gave it."""
    from .messages import number

    return "—" if value is None else number(value, 0 if value == int(value) else 1)


def _alarm(result, db: Path) -> str:
    from .messages import number

    values = {
        "quarter": result.quarter,
        "coverage": _pct(result.coverage_pct),
        "db": db,
        "threshold": _threshold(result.threshold),
        "counted": number(result.counted),
        "owed": number(result.owed),
    }
    if result.status == "no_data":
        return msg("audit_alarm_no_data" if result.threshold is not None else "audit_no_data", **values)
    return msg("audit_alarm_under", **values)


def _print_audit(result, written: Path | None) -> None:
    from .messages import describe_extent, number

    a, v = result.counts["appointments"], result.counts["availabilities"]
    click.echo(
        msg(
            "audit_summary",
            quarter=result.quarter,
            coverage=_pct(result.coverage_pct),
            counted=number(result.counted),
            owed=number(result.owed),
            appointments=number(a["counted"]),
            appointments_owed=number(a["owed"]),
            availabilities=number(v["counted"]),
            availabilities_owed=number(v["owed"]),
        )
    )
    if result.period == "in_progress":
        click.echo(msg("audit_in_progress"))
    if result.excluded:
        click.echo(msg("audit_excluded", count=number(result.excluded)))
    click.echo(describe_extent(result.extent))
    if result.status == "ok" and result.threshold is not None:
        click.echo(
            msg(
                "audit_status_ok",
                quarter=result.quarter,
                coverage=_pct(result.coverage_pct),
                threshold=_threshold(result.threshold),
            )
        )
    for issue in result.issues[:20]:
        _say(f"  • {issue['action']}")
    if len(result.issues) > 20:
        click.echo(msg("audit_more", count=len(result.issues) - 20))
    if written is not None:
        click.echo(msg("audit_written", out=written))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", type=int, default=8866, show_default=True)
@click.option("--token", default=None, help="Jeton d'accès (sinon $ORCHESTRATOR_TOKEN) ; obligatoire hors 127.0.0.1.")
@click.pass_obj
def dashboard(db, host: str, port: int, token: str | None) -> None:
    """Servir le tableau de bord des gestionnaires (Voilà).

    Example: orchestrator dashboard --port 8866
    """
    from .server import serve

    serve(db, host=host, port=port, token=token)


@main.group()
def service() -> None:
    """Changer un service importé à la main (chaque changement va à l'historique)."""


type_option = click.option("--type", "types", multiple=True, help="Type de service (répétable).")


def _manual(action: str, service_id: str, user, as_json: bool, *args) -> None:
    """Run one function of ``manual`` on the database of the root ``--db`` option."""
    from . import manual

    db = click.get_current_context().find_root().obj
    run_id = getattr(manual, action)(db, service_id, *args, user=user)
    if as_json:
        _emit({"run_id": run_id})
    else:
        click.echo(
            msg("changed", run_id=run_id, service_id=service_id) if run_id else msg("no_change", service_id=service_id)
        )


@service.command("activate")
@click.argument("service_id")
@type_option
@user_option
@json_option
def service_activate(service_id, types, user, as_json):
    """Activer avec au moins un type (réinclut un service exclu).

    Example: orchestrator service activate SRV-001 --type urgent --type semi_urgent
    """
    _manual("activate", service_id, user, as_json, list(types))


def _simple_change(name: str, action: str, doc: str) -> None:
    """Register ``orchestrator service NAME SERVICE_ID``: one manual change without options."""

    @service.command(name, help=doc)
    @click.argument("service_id")
    @user_option
    @json_option
    def command(service_id, user, as_json):
        _manual(action, service_id, user, as_json)


_simple_change(
    "deactivate",
    "deactivate",
    "Désactiver (les types sont gardés).\n\nExample: orchestrator service deactivate SRV-001",
)
_simple_change(
    "exclude",
    "exclude",
    "Exclure de la synchronisation automatique (devient inactif).\n\nExample: orchestrator service exclude SRV-036",
)
_simple_change(
    "include",
    "include",
    "Réinclure dans la synchronisation automatique (reste inactif).\n\nExample: orchestrator service include SRV-036",
)


@service.command("set-types")
@click.argument("service_id")
@type_option
@user_option
@json_option
def service_set_types(service_id, types, user, as_json):
    """Remplacer les types d'un service.

    Example: orchestrator service set-types SRV-001 --type urgent
    """
    _manual("set_types", service_id, user, as_json, list(types))


def _print_table(rows: list[dict], columns: list[tuple[str, str, str]]) -> None:
    """A plain aligned table, headers in the user's language."""

    def text(value) -> str:
        if isinstance(value, bool):
            return ("oui" if value else "non") if _french() else ("yes" if value else "no")
        if isinstance(value, list):
            return ", ".join(value)
        return "" if value is None else str(value)

    headers = [fr if _french() else en for _, fr, en in columns]
    cells = [[text(row[key]) for key, _, _ in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for line in [headers, ["-" * w for w in widths], *cells]:
        _say("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip())
