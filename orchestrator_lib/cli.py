"""The ``orchestrator`` command (SPEC §5): each command is a thin wrapper over
one function of ``orchestrator_lib``. Heavy modules are imported inside the
commands so that ``orchestrator --help`` answers at once.

Exit status: 0 success, 2 bad input or refused action (message on stderr,
nothing changed), 1 anything else.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .errors import OrchestratorError
from .messages import msg


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
        except Exception as error:  # anything unforeseen: exit 1, no traceback unless asked
            if os.environ.get("ORCHESTRATOR_DEBUG"):
                raise
            click.echo(msg("unexpected", detail=f"{type(error).__name__}: {error}"), err=True)
            sys.exit(1)


def _french() -> bool:
    from .messages import language

    return language() == "fr"


def _emit(document) -> None:
    """The one JSON document of ``--json`` on stdout."""
    click.echo(json.dumps(document, ensure_ascii=False, default=str))


json_option = click.option("--json", "as_json", is_flag=True, help="Un seul document JSON sur stdout.")
tab_option = click.option("--tab", type=click.Choice(["active", "inactive"]), default=None,
                          help="Onglet Actifs (active) ou Inactifs (inactive).")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Base DuckDB (sinon $ORCHESTRATOR_DB, sinon data/orchestrator.duckdb).")
@click.version_option(package_name="orchestrator_lib")
@click.pass_context
def main(ctx: click.Context, db: Path | None) -> None:
    """Synchroniser les services de l'orchestrateur avec le DMÉ et auditer le
    rapport de rémunération. / Keep the orchestrator's services in step with
    the EMR and audit the remuneration report."""
    ctx.obj = db


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@json_option
@click.pass_obj
def load(db, folder: Path, as_json: bool) -> None:
    """Charger une exportation du DMÉ (dossier de quatre tables).

    Example: orchestrator load data/demo --json
    """
    from .load import load_export

    result = load_export(folder, db, progress=not as_json and sys.stderr.isatty())
    _report_load(result, as_json)


def _report_load(result, as_json: bool) -> None:
    if as_json:
        _emit(result.to_json())
    elif not result.changed:
        click.echo(msg("nothing_changed"))
    else:
        click.echo(msg("loaded", services=result.services, staff=result.staff,
                       appointments=result.appointments, availabilities=result.availabilities,
                       pending=len(result.pending)))


@main.command()
@click.option("--scale", type=click.IntRange(min=1), default=1, show_default=True,
              help="Taille de la clinique (1 = l'exportation de démonstration livrée).")
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
    _print_table(rows, [("service_id", "Service", "Service"), ("name", "Nom", "Name"),
                        ("status", "État", "Status"), ("excluded", "Exclu", "Excluded"),
                        ("types", "Types", "Types")])


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
    _print_table(rows, [("staff_id", "Membre", "Member"), ("name", "Nom", "Name"),
                        ("status", "État", "Status"), ("license", "Permis", "Licence"),
                        ("role", "Type", "Role"), ("specialty", "Spécialité", "Specialty"),
                        ("responsible", "Responsable", "Responsible")])


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
        click.echo("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip())
