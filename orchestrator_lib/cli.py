"""The ``orchestrator`` command (the command line in the README): each command is a thin wrapper over
one function of ``orchestrator_lib``. Heavy modules are imported inside the
commands so that ``orchestrator --help`` answers at once.

Exit status: 0 success, 2 bad input or refused action (message on stderr,
nothing changed), 1 anything else.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sys
from pathlib import Path
from typing import cast

import click

from . import i18n
from .errors import OrchestratorError
from .i18n import N_, _, _n

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


class _Words:
    """A Click text (a command's or an option's help) kept as a message id and said in the
    language of the moment it is shown: help is read long after the command was declared."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        msgid = obj.__dict__.get(self.name)
        if not msgid:
            return msgid
        text = _(msgid)
        return text if text != msgid else i18n.current().click_gettext(msgid)  # Click's own, or as it is

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.name] = value


class _Option(click.Option):
    help = _Words()
    metavar = _Words()


class _Argument(click.Argument):
    metavar = _Words()


class _Formatter(click.HelpFormatter):
    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_('label_colon', heading=heading)}\n")  # « Commandes : »


class _Context(click.Context):
    formatter_class = _Formatter


class _Translated:
    """A command or group whose help, headings and ``-h`` / ``--help`` speak the user's language
    (Click makes its own help option once, in the language of that moment, and keeps it)."""

    help = _Words()
    context_class: type[click.Context] = _Context

    def __init__(self, *args, **kwargs):
        kwargs["add_help_option"] = False
        super().__init__(*args, **kwargs)
        click.help_option("-h", "--help", cls=_Option, help="Show this message and exit.")(cast(click.Command, self))


class _Command(_Translated, click.Command):
    pass


class _Group(_Translated, click.Group):
    """Turns every library error into its message and exit status, never a traceback."""

    command_class = _Command

    def main(self, *args, **kwargs):
        i18n.translate_click()
        # $ORCHESTRATOR_LANG, read for each run: a program (or a test) may run several in one process.
        with i18n.speaking(os.environ.get("ORCHESTRATOR_LANG") or "fr"):
            return super().main(*args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OrchestratorError as error:
            click.echo(_("error", text=error), err=True)
            sys.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # output piped into `head` and closed: not an error
            os._exit(0)
        except Exception as error:  # anything unforeseen: exit 1, no traceback unless asked
            if os.environ.get("ORCHESTRATOR_DEBUG"):
                raise
            click.echo(_("unexpected", detail=f"{type(error).__name__}: {error}"), err=True)
            sys.exit(1)


_Group.group_class = _Group
option = functools.partial(click.option, cls=_Option)
argument = functools.partial(click.argument, cls=_Argument)


def _say(text: object) -> None:
    """A line for a person at a terminal: names from the EMR may hold control
    characters (an escape sequence could rewrite the screen); they show as spaces."""
    click.echo(re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " ", str(text)))


def _emit(document) -> None:
    """The one JSON document of ``--json`` on stdout."""
    click.echo(json.dumps(document, ensure_ascii=False, default=str))


json_option = option("--json", "as_json", is_flag=True, help=N_("help_json"))


def out_option(help_id: str):
    """``--out DIR``: the folder a report is written to (whole or not at all)."""
    return option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        metavar=N_("metavar_folder"),
        help=help_id,
    )


fail_under_option = option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    default=None,
    metavar=N_("metavar_threshold"),
    help=N_("help_fail_under"),
)
tab_option = option("--tab", type=click.Choice(["active", "inactive"]), default=None, help=N_("help_tab"))


@click.group(cls=_Group, help=N_("help_main"))
@option("--db", default=None, metavar=N_("metavar_store"), help=N_("help_db"))
@option("--clinic", default=None, metavar=N_("metavar_clinic"), help=N_("help_clinic"))
@click.version_option(package_name="orchestrator_lib", message="%(prog)s %(version)s", cls=_Option)
@click.pass_context
def main(ctx: click.Context, db: str | None, clinic: str | None) -> None:
    """Keep the orchestrator's services in step with the EMR and audit the remuneration report."""
    from . import store

    ctx.obj = store.resolve_db(db, clinic)
    if ctx.invoked_subcommand not in _WITH_PANDAS:
        ctx.with_resource(_without_pandas())


@main.command(help=N_("help_load"))
@argument("folder", type=click.Path(path_type=Path), required=False, metavar=N_("metavar_export_folder"))
@option("--fhir", "fhir_url", metavar="URL", help=N_("help_load_fhir"))
@option("--full", is_flag=True, help=N_("help_load_full"))
@json_option
@click.pass_obj
def load(db, folder: Path | None, fhir_url: str | None, full: bool, as_json: bool) -> None:
    """Load the EMR: an export folder of four tables, or a FHIR R4 server."""
    from . import load as loading

    if folder and fhir_url:
        raise click.UsageError(_("load_one_source"))
    source = fhir_url or (str(folder) if folder else loading.configured_source(db))
    if not source:
        raise click.UsageError(_("load_no_source"))
    progress = not as_json and sys.stderr.isatty()
    if fhir_url:  # an explicit --fhir is a server even when it does not look like one
        result = loading.load_fhir(fhir_url, db, full=full, progress=progress)
    else:
        result = loading.load_source(source, db, full=full, progress=progress)
    _report_load(result, as_json)


def _report_load(result, as_json: bool) -> None:
    from .wording import load_summary

    for warning in result.warnings:  # stderr: stdout holds only the JSON document
        click.echo(_("warning", text=warning), err=True)
    if as_json:
        _emit(result.to_json())
        return
    if result.read:
        click.echo(result.read)
    click.echo(load_summary(result))


@main.command(help=N_("help_demo"))
@option(
    "--scale",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar=N_("metavar_size"),
    help=N_("help_demo_scale"),
)
@json_option
@click.pass_obj
def demo(db, scale: int, as_json: bool) -> None:
    """Write the demo clinic's export under data/demo/ and load it."""
    from .demo import write_demo_export
    from .load import load_export

    folder = Path("data") / "demo" if scale == 1 else Path("data") / "demo" / f"scale-{scale}"
    write_demo_export(folder, scale=scale)
    _report_load(load_export(folder, db, progress=not as_json and sys.stderr.isatty()), as_json)


@main.command(help=N_("help_services"))
@tab_option
@option("--search", default=None, metavar=N_("metavar_text"), help=N_("help_search"))
@json_option
@click.pass_obj
def services(db, tab: str | None, search: str | None, as_json: bool) -> None:
    """List the imported services (Active / Inactive tabs)."""
    from . import store, wording
    from .catalogue import list_services, list_types

    with store.reading(db) as con:
        rows = list_services(tab=tab, search=search, con=con)
        labels = {t["code"]: t for t in list_types(con=con)} if not as_json else {}
    if as_json:
        _emit(rows)
        return
    for row in rows:
        row["state"] = wording.state(row["status"], row["excluded"])
        row["types"] = wording.types(row["types"], labels)
    _print_table(
        rows,
        [
            ("service_id", N_("col_service")),
            ("name", N_("col_name")),
            ("state", N_("col_state")),
            ("types", N_("col_types")),
        ],
    )


@main.command(help=N_("help_staff"))
@tab_option
@json_option
@click.pass_obj
def staff(db, tab: str | None, as_json: bool) -> None:
    """List Personnel médical (Active / Inactive tabs)."""
    from . import wording
    from .catalogue import list_staff

    rows = list_staff(db, tab=tab)
    if as_json:
        _emit(rows)
        return
    for row in rows:
        row["state"] = wording.state(row["status"])
        row["role"] = wording.role(row["role"])
        row["specialty"] = (row["specialty"] or "") + ("" if row["primary_care"] else f" — {_('not_handled')}")
        row["responsible"] = _("yes") if row["responsible"] else ""
        row["volunteer"] = wording.volunteer(row["volunteer"])
    _print_table(
        rows,
        [
            ("staff_id", N_("col_member")),
            ("name", N_("col_name")),
            ("state", N_("col_state")),
            ("license", N_("col_license")),
            ("role", N_("col_role")),
            ("specialty", N_("col_specialty")),
            ("responsible", N_("col_responsible")),
            ("volunteer", N_("col_volunteer")),
        ],
    )


# --- the synchronisation wizard, history, explanations ---------------------------------

as_of_option = option("--as-of", "as_of", default=None, metavar=N_("metavar_time"), help=N_("help_as_of"))
user_option = option("--user", default=None, metavar=N_("metavar_name"), help=N_("help_user"))


@main.command(help=N_("help_sync"))
@option(
    "--decisions",
    "decisions_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar=N_("metavar_file"),
    help=N_("help_decisions"),
)
@as_of_option
@option("--dry-run", is_flag=True, help=N_("help_dry_run"))
@user_option
@json_option
@click.pass_obj
def sync(db, decisions_file: Path, as_of, dry_run: bool, user, as_json: bool) -> None:
    """Sync the pending services as a decisions file says."""
    from .wizard import sync as run_sync
    from .wording import sync_summary

    summary = run_sync(db, decisions_file, as_of=as_of, user=user, dry_run=dry_run)
    if as_json:
        _emit(summary)
        return
    click.echo(sync_summary(summary, dry_run=dry_run and summary["run_id"] is not None))
    for quarter, figures in summary["what_if"].items():
        click.echo(
            _(
                "sync_what_if",
                quarter=i18n.quarter(quarter),
                before=figures["counted_before"],
                after=figures["counted_after"],
                coverage_before=_pct(figures["coverage_before"]),
                coverage_after=_pct(figures["coverage_after"]),
            )
        )


@main.command("history", help=N_("help_history"))
@json_option
@click.pass_obj
def history_command(db, as_json: bool) -> None:
    """List the runs (syncs, manual changes, undos)."""
    from . import store, wording
    from .history import list_runs
    from .rates import changes

    with store.reading(db) as con:
        runs = list_runs(db, con=con)
        amounts = changes(db, con=con)
    if as_json:
        _emit(runs)
        return
    for run in runs:
        run["kind"] = wording.run_kind(run["kind"])
        run["applied_at"] = wording.when(run["applied_at"])
        run["applied_by"] = wording.person(run["applied_by"])
        run["decisions"] = wording.decisions(run["decisions"])
        run["state"] = (
            _("undone_by", run=run["undone_by"])
            if run["undone_by"]
            else (_("undoes", run=run["undoes"]) if run["undoes"] else "")
        )
    _print_table(
        runs,
        [
            ("run_id", N_("col_run")),
            ("kind", N_("col_kind")),
            ("applied_at", N_("col_when")),
            ("applied_by", N_("col_who")),
            ("decisions", N_("col_decisions")),
            ("state", N_("col_run_state")),
        ],
    )
    # The clinic's amounts are decisions too: their changes follow (``orchestrator rates``).
    if amounts:
        click.echo()
        click.echo(_("history_rates"))
        for change in amounts:
            _say(f"  • {wording.rate_change(change)}")


@main.command(help=N_("help_undo"))
@argument("run_id", required=False, metavar=N_("metavar_run_id"))
@user_option
@json_option
@click.pass_obj
def undo(db, run_id: str | None, user, as_json: bool) -> None:
    """Undo the latest run (or RUN_ID when no later run depends on it)."""
    from .history import undo as undo_run

    undo_id = undo_run(db, run_id, user=user)
    _emit({"run_id": undo_id}) if as_json else click.echo(_("undone", run_id=undo_id))


@main.command(help=N_("help_explain"))
@argument("item_id", metavar=N_("metavar_id"))
@as_of_option
@json_option
@click.pass_obj
def explain(db, item_id: str, as_of, as_json: bool) -> None:
    """Say where a service is (or why it is missing from a list), or where a staff member stands."""
    from .explain import explain as explain_item
    from .wording import fact

    found = explain_item(db, item_id, as_of=as_of)
    subject = found.get("service_id") or found["staff_id"]
    facts = [{**f, "text": fact(f, subject, found.get("type_labels"))} for f in found["facts"]]
    if as_json:
        _emit({k: v for k, v in found.items() if k != "type_labels"} | {"facts": facts})
        return
    _say(f"{subject} — {found['name']}")
    for f in facts:
        _say(f"  • {f['text']}")


@main.command(help=N_("help_audit"))
@option("--quarter", default=None, metavar=N_("metavar_quarter"), help=N_("help_quarter"))
@out_option(N_("help_out"))
@fail_under_option
@option(
    "--verify",
    "pack_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar=N_("metavar_folder"),
    help=N_("help_verify"),
)
@option("--quiet", "-q", is_flag=True, help=N_("help_quiet"))
@as_of_option
@json_option
@click.pass_obj
def audit(
    db,
    quarter: str | None,
    out_dir: Path | None,
    fail_under: float | None,
    pack_dir: Path | None,
    quiet: bool,
    as_of,
    as_json: bool,
) -> None:
    """Audit a quarter's remuneration report."""
    from . import store
    from .audit import run_audit

    if pack_dir is not None:
        if quarter is not None or out_dir is not None or fail_under is not None:
            raise click.UsageError(_("verify_alone"))
        _verify_pack(db, pack_dir, as_json)
        return
    if quarter is None:
        raise click.UsageError(_("audit_needs_quarter"))
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


def _verify_pack(db, folder: Path, as_json: bool) -> None:
    """``audit --verify DIR``: exit 0 when the pack still matches the database, 3 when not."""
    from .evidence import verify
    from .wording import pack_table, when

    found = verify(db, folder)
    if as_json:
        _emit({**found, "quarter": str(found["quarter"])})
    else:
        values = {"quarter": i18n.quarter(found["quarter"]), "at": when(found["generated_at"])}
        verdict = N_("pack_matches") if found["matches"] else N_("pack_differs")
        click.echo(_(verdict, **values))
        if found["items_changed"]:
            click.echo(f"  • {_('pack_items_changed')}")
        heading = N_("pack_table_changed_items_same") if found["matches"] else N_("pack_table_changed")
        for table in found["tables_changed"]:
            click.echo(f"  • {_(heading, table=pack_table(table))}")
        for name in found["files_changed"]:
            click.echo(f"  • {_('pack_file_changed', file=name)}")
    if not found["same_rules"]:
        click.echo(_("pack_other_rules"), err=True)
    if not found["matches"]:
        sys.exit(3)


def _pct(value: float | None) -> str:
    return i18n.percent(value) if value is not None else _("audit_no_coverage")


def _threshold(value: float | None) -> str:
    """``95 %`` or ``92,5 %``: the threshold as the user gave it."""
    return "—" if value is None else i18n.percent(value, 0 if value == int(value) else 1)


def _alarm(result, db) -> str:
    values = {
        "quarter": i18n.quarter(result.quarter),
        "coverage": _pct(result.coverage_pct),
        "db": db,
        "threshold": _threshold(result.threshold),
        "counted": result.counted,
        "owed": result.owed,
    }
    if result.status == "no_data":
        return _("audit_alarm_no_data", **values) if result.threshold is not None else _("audit_no_data", **values)
    return _("audit_alarm_under", **values)


def _print_audit(result, written: Path | None) -> None:
    from .wording import action_with_stake, describe_extent, funnel, money

    a, v = result.counts["appointments"], result.counts["availabilities"]
    click.echo(
        _n(
            "audit_summary",
            result.counted,
            quarter=i18n.quarter(result.quarter),
            coverage=_pct(result.coverage_pct),
            owed=result.owed,
            appointments=a["counted"],
            appointments_owed=a["owed"],
            availabilities=v["counted"],
            availabilities_owed=v["owed"],
        )
    )
    if result.period == "in_progress":
        click.echo(_("audit_in_progress"))
    if result.excluded:
        click.echo(_n("audit_excluded", result.excluded))
    click.echo(describe_extent(result.extent))
    click.echo(funnel(result.funnel))
    if result.money:
        click.echo(money(result.money))
    if result.status == "ok" and result.threshold is not None:
        click.echo(
            _(
                "audit_status_ok",
                quarter=i18n.quarter(result.quarter),
                coverage=_pct(result.coverage_pct),
                threshold=_threshold(result.threshold),
            )
        )
    for issue in result.issues[:20]:
        _say(f"  • {action_with_stake(issue)}")
    if len(result.issues) > 20:
        click.echo(_n("audit_more", len(result.issues) - 20))
    if written is not None:
        click.echo(_("audit_written", out=written))


@main.command(help=N_("help_region"))
@option("--quarter", required=True, metavar=N_("metavar_quarter"), help=N_("help_quarter"))
@out_option(N_("help_region_out"))
@fail_under_option
@as_of_option
@json_option
@click.pass_obj
def region(db, quarter: str, out_dir: Path | None, fail_under: float | None, as_of, as_json: bool) -> None:
    """Audit a quarter for every clinic of the store, and the group's total."""
    from .region import run_region

    if out_dir is None:
        result = run_region(db, quarter, as_of=as_of, fail_under=fail_under)
    else:
        _need_pandas()
        from .report import region_report

        result, out_dir = region_report(db, quarter, out_dir, as_of=as_of, fail_under=fail_under)
    if as_json:
        _emit(result.to_json())
    else:
        _print_region(result, out_dir)
    if fail_under is not None and result.status != "ok":
        sys.exit(3)


def _print_region(result, written: Path | None) -> None:
    from .wording import region_rows

    click.echo(
        _n(
            "region_summary",
            len(result.clinics),
            quarter=i18n.quarter(result.quarter),
            coverage=_pct(result.coverage_pct),
            counted=result.counted,
            owed=result.owed,
        )
    )
    for line in region_rows(result):
        _say(f"  {line}")
    if written is not None:
        click.echo(_("audit_written", out=written))


@main.command("migrate-store", help=N_("help_migrate_store"))
@option("--to", "target", required=True, metavar=N_("metavar_store"), help=N_("help_migrate_to"))
@option("--to-clinic", "target_clinic", default=None, metavar=N_("metavar_clinic"), help=N_("help_migrate_to_clinic"))
@json_option
@click.pass_obj
def migrate_store(db, target: str, target_clinic: str | None, as_json: bool) -> None:
    """Copy a clinic (its data, decisions and history) into another store."""
    from . import store
    from .moves import copy_clinic

    # Into a shared store, the clinic keeps its name; into a file, it becomes the file's own clinic.
    destination = store.resolve_db(
        target, target_clinic or (db.clinic if target.startswith(store.LAKE_PREFIX) else "main")
    )
    copied = copy_clinic(db, destination)
    if as_json:
        _emit({"from": str(db), "to": str(destination), "clinic": destination.clinic, "rows": copied})
        return
    click.echo(_n("migrate_done", sum(copied.values()), source=db, target=destination.where, clinic=destination.clinic))


@main.command(help=N_("help_maintain"))
@option("--keep", default="7 days", show_default=True, metavar=N_("metavar_duration"), help=N_("help_maintain_keep"))
@json_option
@click.pass_obj
def maintain(db, keep: str, as_json: bool) -> None:
    """Keep the shared store's data path compact (DuckLake's own upkeep)."""
    from .moves import maintain_store

    done = maintain_store(db, keep)
    if as_json:
        _emit(done or {})
    elif done is None:
        click.echo(_("maintain_not_lake", db=db))
    else:
        click.echo(_("maintain_done", **done))


@main.command(help=N_("help_dashboard"))
@option("--host", default="127.0.0.1", show_default=True, metavar=N_("metavar_address"), help=N_("help_host"))
@option("--port", type=int, default=8866, show_default=True, metavar=N_("metavar_port"), help=N_("help_port"))
@option("--token", default=None, metavar=N_("metavar_token"), help=N_("help_token"))
@option("--group", is_flag=True, help=N_("help_dashboard_group"))
@click.pass_obj
def dashboard(db, host: str, port: int, token: str | None, group: bool) -> None:
    """Serve the managers' dashboard (Voilà)."""
    from .server import serve

    serve(db, host=host, port=port, token=token, group=group)


@main.group(help=N_("help_service"))
def service() -> None:
    """Change an imported service by hand (every change goes to the history)."""


type_option = option("--type", "types", multiple=True, metavar=N_("metavar_type"), help=N_("help_type"))


def _manual(action: str, service_id: str, user, as_json: bool, *args) -> None:
    """Run one function of ``manual`` on the database of the root ``--db`` option."""
    from . import manual

    db = click.get_current_context().find_root().obj
    run_id = getattr(manual, action)(db, service_id, *args, user=user)
    if as_json:
        _emit({"run_id": run_id})
    else:
        click.echo(
            _("changed", run_id=run_id, service_id=service_id) if run_id else _("no_change", service_id=service_id)
        )


@service.command("activate", help=N_("help_activate"))
@argument("service_id", metavar=N_("metavar_service_id"))
@type_option
@user_option
@json_option
def service_activate(service_id, types, user, as_json):
    """Activate with at least one type (includes an excluded service again)."""
    _manual("activate", service_id, user, as_json, list(types))


def _simple_change(name: str, action: str, doc: str) -> None:
    """Register ``orchestrator service NAME SERVICE_ID``: one manual change without options."""

    @service.command(name, help=doc)
    @argument("service_id", metavar=N_("metavar_service_id"))
    @user_option
    @json_option
    def command(service_id, user, as_json):
        _manual(action, service_id, user, as_json)


_simple_change("deactivate", "deactivate", N_("help_deactivate"))
_simple_change("exclude", "exclude", N_("help_exclude"))
_simple_change("include", "include", N_("help_include"))


@service.command("set-types", help=N_("help_set_types"))
@argument("service_id", metavar=N_("metavar_service_id"))
@type_option
@user_option
@json_option
def service_set_types(service_id, types, user, as_json):
    """Replace a service's types."""
    _manual("set_types", service_id, user, as_json, list(types))


@main.group(help=N_("help_rates"), invoke_without_command=True)
@json_option
@click.pass_context
def rates(ctx, as_json: bool) -> None:
    """The clinic's own amounts for the money at stake, and every change made to them."""
    if ctx.invoked_subcommand is None:
        _show_rates(ctx.find_root().obj, as_json)


def _show_rates(db, as_json: bool, amounts: dict | None = None) -> None:
    from . import rates as clinic_rates
    from . import store
    from .wording import rate_change
    from .wording import rates as said

    with store.reading(db) as con:  # one read for the amounts and their changes
        amounts = clinic_rates.current(con=con) if amounts is None else amounts
        changes = clinic_rates.changes(con=con)
    if as_json:
        _emit({"rates": amounts, "changes": changes})
        return
    click.echo(_("rates_set", rates=said(amounts)) if amounts else _("rates_none"))
    for change in changes:
        _say(f"  • {rate_change(change)}")


@rates.command("set", help=N_("help_rates_set"))
@option("--availability", default=None, metavar=N_("metavar_amount"), help=N_("help_rate_availability"))
@option("--held", default=None, metavar=N_("metavar_amount"), help=N_("help_rate_held"))
@user_option
@json_option
def rates_set(availability, held, user, as_json):
    from . import rates as clinic_rates

    if availability is None and held is None:
        raise click.UsageError(_("rates_set_nothing"))
    db = click.get_current_context().find_root().obj
    _show_rates(db, as_json, clinic_rates.set_rates(db, availability=availability, held=held, user=user))


@rates.command("clear", help=N_("help_rates_clear"))
@user_option
@json_option
def rates_clear(user, as_json):
    from . import rates as clinic_rates

    db = click.get_current_context().find_root().obj
    _show_rates(db, as_json, clinic_rates.clear_rates(db, user=user))


def _print_table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    """A plain aligned table: (key, header's message id) per column, values already in words."""

    def text(value) -> str:
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, list):
            return ", ".join(value)
        return "" if value is None else str(value)

    headers = [_(header) for _key, header in columns]
    cells = [[text(row[key]) for key, _header in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for line in [headers, ["-" * w for w in widths], *cells]:
        _say("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip())
