"""What the dashboard's manager features rest on, without a browser: a change's preview, the
wizard's draft, and the source *Synchroniser* reads."""

from __future__ import annotations

import shutil

from orchestrator_lib import manual
from orchestrator_lib.audit import run_audit
from orchestrator_lib.history import list_runs
from orchestrator_lib.load import configured_source, load_export
from orchestrator_lib.wizard import TYPES, Wizard, drop_draft, read_draft, save_draft, sync

from conftest import DEMO

AS_OF = "2026-11-27T12:00"


def imported(db):
    sync(db, {"exclude": ["SRV-036"], "types": {"SRV-001": ["urgent"]}}, as_of=AS_OF)
    return db


def test_a_preview_names_the_service_and_counts_what_the_change_does_without_doing_it(loaded_demo):
    db = imported(loaded_demo)
    runs = list_runs(db)
    seen = manual.preview(db, "exclude", "srv-001", as_of=AS_OF)
    assert (seen["service_id"], seen["name"], seen["changes"], seen["quarter"]) == (
        "SRV-001",
        "Consultation urgente",
        True,
        "2026Q4",
    )
    before = run_audit(db, "2026Q4", as_of=AS_OF).counted
    assert seen["counted_before"] == before and seen["counted_after"] < before
    assert list_runs(db) == runs  # nothing done
    manual.exclude(db, "SRV-001")
    assert run_audit(db, "2026Q4", as_of=AS_OF).counted == seen["counted_after"]  # what it said
    assert manual.preview(db, "exclude", "SRV-001", as_of=AS_OF)["changes"] is False


def test_a_draft_keeps_the_choices_and_gives_back_those_that_still_apply(loaded_demo):
    wizard = Wizard(loaded_demo, as_of=AS_OF)
    assert not wizard.has_choices()
    wizard.set_excluded("SRV-036")
    wizard.next()
    wizard.set_kept_inactive("SRV-025")
    wizard.next()
    wizard.set_types("SRV-001", ["urgent"])
    save_draft(wizard)
    draft = read_draft(loaded_demo)
    assert draft["step"] == TYPES
    assert draft["choices"] == {"exclude": ["SRV-036"], "inactive": ["SRV-025"], "types": {"SRV-001": ["urgent"]}}

    again = Wizard(loaded_demo, as_of=AS_OF)  # a new page: the choices come back
    again.restore(draft["choices"], draft["step"])
    assert again.step == TYPES and again.excluded == {"SRV-036"} and again.kept_inactive == {"SRV-025"}
    assert again.types_of("SRV-001") == ["urgent"]

    sync(loaded_demo, {"exclude": ["SRV-025"]}, as_of=AS_OF)  # someone else imports them all, meanwhile
    late = Wizard(loaded_demo, as_of=AS_OF)
    late.restore(draft["choices"], draft["step"])
    assert late.excluded == late.kept_inactive == set()  # no longer pending: left out, not refused
    assert late.choices() == {"exclude": [], "inactive": [], "types": {}}

    save_draft(late)  # nothing left to keep: the draft is forgotten
    assert read_draft(loaded_demo) is None
    drop_draft(loaded_demo)  # and dropping none is no error
    assert read_draft(loaded_demo) is None


def test_synchroniser_reads_the_configured_source_or_else_the_last_loaded_one(db, tmp_path, monkeypatch):
    assert configured_source(db) is None  # never loaded, nothing configured
    folder = shutil.copytree(DEMO, tmp_path / "export")
    load_export(folder, db)
    assert configured_source(db) == str(folder.resolve())
    monkeypatch.setenv("ORCHESTRATOR_EXPORT_DIR", "/elsewhere")
    assert configured_source(db) == "/elsewhere"  # what is configured comes first
    monkeypatch.delenv("ORCHESTRATOR_EXPORT_DIR")
    shutil.rmtree(folder)
    assert configured_source(db) is None  # a folder that is gone is no source
