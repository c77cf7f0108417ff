"""The synchronisation wizard (docs/rules.md, the wizard), its history and undo, manual changes
(docs/rules.md, service states), explanations and what-if, on small hand-made exports.

Every test writes its own tiny export so that its data is obvious: a few
services, two staff members (one active, one inactive) and appointments dated
relative to ``AS_OF``, a Friday of quarter 2026Q4.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestrator_lib import history, manual
from orchestrator_lib.errors import InputError, RefusedError
from orchestrator_lib.explain import explain
from orchestrator_lib.load import load_export
from orchestrator_lib.wizard import APPLY, EXCLUDE, INACTIVE, TYPES, Wizard
from orchestrator_lib.wording import fact

from conftest import snapshot, states, write_export

AS_OF = "2026-11-27T12:00"
PAST = "2026-11-20T09:00"  # same quarter, before AS_OF
FUTURE = "2026-12-04T09:00"  # same quarter, after AS_OF
STAFF = "staff_id,name,status\nSTF-A,Dre Active,active\nSTF-I,Dr Inactif,inactive\n"
SUMMARY_KEYS = ["run_id", "active", "inactive", "excluded", "auto_reactivated", "auto_deactivated", "what_if"]


# --- helpers ---------------------------------------------------------------------------


def make_clinic(tmp_path, db, services, appointments=(), availabilities=(), *, folder="export"):
    """Load an export of ``services`` [(id, name, emr_status)], ``appointments``
    [(service_id, start, status, staff_id)] and ``availabilities``
    [(service_id, start, staff_id)] into ``db``."""
    svc = "service_id,name,emr_status\n" + "".join(f"{sid},{name},{status}\n" for sid, name, status in services)
    apt = "appointment_id,service_id,staff_id,start,status\n" + "".join(
        f"APT-{n},{a[0]},{a[3] if len(a) > 3 else 'STF-A'},{a[1]},{a[2] if len(a) > 2 else 'booked'}\n"
        for n, a in enumerate(appointments)
    )
    av = "availability_id,service_id,staff_id,start,end\n" + "".join(
        f"AV-{n},{sid},{staff},{start},{start}\n" for n, (sid, start, staff) in enumerate(availabilities)
    )
    export = write_export(
        tmp_path / folder, {"services": svc, "staff": STAFF, "appointments": apt, "availabilities": av}
    )
    load_export(export, db)
    return db


def sync(db, exclude=(), inactive=(), types=None, user=None) -> dict:
    """One wizard run with these choices, applied."""
    wizard = Wizard(db, as_of=AS_OF, user=user)
    wizard.apply_decisions({"exclude": list(exclude), "inactive": list(inactive), "types": types or {}})
    return wizard.apply()


def assert_invariants(db) -> None:
    """docs/rules.md, service states: excluded ⇒ inactive; active ⇒ at least one type."""
    for sid, (excluded, status, types) in states(db).items():
        assert not excluded or status == "inactive", sid
        assert status != "active" or types, sid


def copy_db(source: Path, target: Path) -> Path:
    """A private copy of a template database (and of its key file)."""
    for suffix in ("", ".wal", ".key"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    return target


def ids(services) -> list[str]:
    return [s.service_id for s in services]


def services_table(db) -> list:
    return snapshot(db)["services"]


def changes_of(db, run_id) -> dict[str, history.Change]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {c.service_id: c for c in history.run_changes(con, run_id)}
    finally:
        con.close()


ACTIVE_EMR = [
    ("SRV-VAC", "Vaccination", "active"),
    ("SRV-PRE", "Précédent rendez-vous", "active"),
    ("SRV-PAU", "Pause", "active"),
    ("SRV-OLD", "Ancien service", "inactive"),
]


@pytest.fixture(scope="module")
def small_template(tmp_path_factory):
    """ACTIVE_EMR, nothing imported; SRV-PAU and SRV-OLD have a future appointment."""
    folder = tmp_path_factory.mktemp("small")
    return make_clinic(folder, folder / "clinic.duckdb", ACTIVE_EMR, [("SRV-PAU", FUTURE), ("SRV-OLD", FUTURE)])


@pytest.fixture
def small(small_template, db):
    return copy_db(small_template, db)


# --- pending services and search --------------------------------------------------------


def test_pending_are_emr_active_services_never_imported(small):
    db = small
    wizard = Wizard(db, as_of=AS_OF)
    assert ids(wizard.listed(EXCLUDE)) == ["SRV-PAU", "SRV-PRE", "SRV-VAC"]  # SRV-OLD is inactive in the EMR
    sync(db, types={"SRV-VAC": ["urgent"]}, exclude=["SRV-PAU"], inactive=["SRV-PRE"])
    assert ids(Wizard(db, as_of=AS_OF).listed(EXCLUDE)) == []  # every one was imported, whatever its state


def test_a_service_deactivated_in_the_emr_is_never_pending(small):
    db = small
    wizard = Wizard(db, as_of=AS_OF)
    for step in (EXCLUDE, INACTIVE, TYPES):
        assert "SRV-OLD" not in ids(wizard.listed(step))
    with pytest.raises(RefusedError) as refused:
        wizard.set_excluded("SRV-OLD")
    assert refused.value.key == "not_listed"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("vaccin", ["SRV-VAC"]),
        ("VACCIN", ["SRV-VAC"]),
        ("precedent", ["SRV-PRE"]),
        ("PRÉCÉDENT", ["SRV-PRE"]),
        ("Précédent", ["SRV-PRE"]),
        ("pRécEdent rendez", ["SRV-PRE"]),
        ("srv-pau", ["SRV-PAU"]),
        ("SRV-PRE", ["SRV-PRE"]),
        ("srv-", ["SRV-PAU", "SRV-PRE", "SRV-VAC"]),
        ("", ["SRV-PAU", "SRV-PRE", "SRV-VAC"]),
        ("ancien", []),  # inactive in the EMR: never listed, so never found
        ("introuvable", []),
    ],
)
def test_search_by_name_or_id_ignoring_case_and_accents(small, text, expected):
    db = small
    assert ids(Wizard(db, as_of=AS_OF).search(EXCLUDE, text)) == expected


def test_search_only_looks_in_the_list_of_its_step(small):
    db = small
    wizard = Wizard(db, as_of=AS_OF)
    wizard.set_excluded("SRV-VAC")
    assert ids(wizard.search(EXCLUDE, "vaccin")) == ["SRV-VAC"]
    assert ids(wizard.search(INACTIVE, "vaccin")) == []
    assert ids(wizard.search(TYPES, "vaccin")) == []
    assert ids(wizard.search(TYPES, "précé")) == ["SRV-PRE"]


# --- the lists of steps 2 and 3 ---------------------------------------------------------


def test_step_2_lists_pending_services_not_excluded(small):
    db = small
    wizard = Wizard(db, as_of=AS_OF)
    wizard.set_excluded("SRV-PRE")
    assert ids(wizard.listed(INACTIVE)) == ["SRV-PAU", "SRV-VAC"]
    wizard.set_excluded("SRV-PRE", False)
    assert ids(wizard.listed(INACTIVE)) == ["SRV-PAU", "SRV-PRE", "SRV-VAC"]


@pytest.fixture(scope="module")
def mixed_template(tmp_path_factory):
    """Pending P-* services and imported I-* services in every state, with or without a future appointment."""
    folder = tmp_path_factory.mktemp("mixed")
    db = folder / "clinic.duckdb"
    services = [
        ("I-INACT-F", "Imported inactive future", "active"),
        ("I-INACT", "Imported inactive no future", "active"),
        ("I-ACT-F", "Imported active future", "active"),
        ("I-EXCL-F", "Imported excluded future", "active"),
    ]
    appointments = [(sid, FUTURE) for sid in ("I-INACT-F", "I-ACT-F", "I-EXCL-F")]
    make_clinic(folder, db, services, appointments)
    sync(
        db,
        types={"I-INACT-F": ["semi_urgent", "suivi_regulier"], "I-ACT-F": ["urgent"], "I-INACT": ["urgent"]},
        exclude=["I-EXCL-F"],
    )
    manual.deactivate(db, "I-INACT-F")
    manual.deactivate(db, "I-INACT")
    pending = [
        ("P-TYPED", "Pending to type", "active"),
        ("P-EXCL", "Pending excluded", "active"),
        ("P-KEPT", "Pending kept inactive no future", "active"),
        ("P-KEPT-F", "Pending kept inactive future", "active"),
    ]
    appointments += [(sid, FUTURE) for sid in ("P-EXCL", "P-KEPT-F")]
    make_clinic(folder, db, services + pending, appointments, folder="export-2")
    return db


@pytest.fixture
def mixed(mixed_template, db):
    """A private copy of the mixed clinic (runs 0001 to 0003 already applied)."""
    return copy_db(mixed_template, db)


def test_step_3_lists_pending_kept_inactive_with_future_and_imported_to_reactivate(mixed):
    wizard = Wizard(mixed, as_of=AS_OF)
    assert ids(wizard.listed(EXCLUDE)) == ["P-EXCL", "P-KEPT", "P-KEPT-F", "P-TYPED"]
    wizard.set_excluded("P-EXCL")
    wizard.set_kept_inactive("P-KEPT")
    wizard.set_kept_inactive("P-KEPT-F")
    assert ids(wizard.listed(INACTIVE)) == ["P-KEPT", "P-KEPT-F", "P-TYPED"]
    assert ids(wizard.listed(TYPES)) == ["I-INACT-F", "P-KEPT-F", "P-TYPED"]
    # Automatic reactivation: the previous types are preselected.
    assert wizard.types_of("I-INACT-F") == ["semi_urgent", "suivi_regulier"]
    assert wizard.types_of("P-KEPT-F") == [] and wizard.types_of("P-TYPED") == []


FUTURE_CASES = [
    (PAST, "booked", False),  # past only: no reactivation
    ("2026-11-27T11:59:59", "booked", False),  # one second before as_of
    (AS_OF, "booked", True),  # exactly at as_of counts as future
    (FUTURE, "booked", True),
    (FUTURE, "noshow", True),  # any status but cancelled
    (FUTURE, "fulfilled", True),
    (FUTURE, "cancelled", False),  # a cancelled future appointment does not reactivate
]


@pytest.fixture(scope="module")
def futures_template(tmp_path_factory):
    """For each case k: I-k imported with type urgent then deactivated, and P-k
    pending; both have one appointment as in FUTURE_CASES[k]."""
    folder = tmp_path_factory.mktemp("futures")
    db = folder / "clinic.duckdb"
    imported = [(f"I-{k}", f"Imported {k}", "active") for k in range(len(FUTURE_CASES))]
    make_clinic(folder, db, imported)
    sync(db, types={sid: ["urgent"] for sid, _, _ in imported})
    for sid, _, _ in imported:
        manual.deactivate(db, sid)
    pending = [(f"P-{k}", f"Pending {k}", "active") for k in range(len(FUTURE_CASES))]
    appointments = [
        (f"{side}-{k}", start, status) for k, (start, status, _) in enumerate(FUTURE_CASES) for side in "IP"
    ]
    make_clinic(folder, db, imported + pending, appointments, folder="export-2")
    return db


@pytest.mark.parametrize(
    "case", range(len(FUTURE_CASES)), ids=[f"{status}@{start}" for start, status, _ in FUTURE_CASES]
)
def test_future_appointment_rule_for_kept_inactive_and_imported(futures_template, db, case):
    _, _, future = FUTURE_CASES[case]
    db = copy_db(futures_template, db)
    mine = (f"I-{case}", f"P-{case}")

    def only_mine(service_ids):
        return [sid for sid in service_ids if sid in mine]

    wizard = Wizard(db, as_of=AS_OF)
    wizard.set_kept_inactive(f"P-{case}")
    assert only_mine(ids(wizard.listed(TYPES))) == (list(mine) if future else [])
    if future:
        assert wizard.types_of(f"I-{case}") == ["urgent"]  # previous types preselected
        wizard.set_types(f"P-{case}", ["suivi_regulier"])
    summary = wizard.apply()
    now = states(db)
    if future:
        assert only_mine(summary["auto_reactivated"]) == list(mine)
        assert now[f"P-{case}"] == (False, "active", ["suivi_regulier"])
        assert now[f"I-{case}"] == (False, "active", ["urgent"])
    else:
        assert only_mine(summary["auto_reactivated"]) == [] and only_mine(summary["inactive"]) == [f"P-{case}"]
        assert now[f"P-{case}"] == (False, "inactive", [])
        assert now[f"I-{case}"] == (False, "inactive", ["urgent"])  # untouched


def test_an_excluded_imported_service_is_never_listed_nor_reactivated(mixed):
    before = states(mixed)["I-EXCL-F"]
    wizard = Wizard(mixed, as_of=AS_OF)
    for step in (EXCLUDE, INACTIVE, TYPES):
        assert "I-EXCL-F" not in ids(wizard.listed(step))
        assert wizard.search(step, "I-EXCL-F") == []
    with pytest.raises(RefusedError) as refused:
        wizard.set_types("I-EXCL-F", ["urgent"])
    assert refused.value.key == "not_listed"
    summary = wizard.apply()
    assert all("I-EXCL-F" not in summary[key] for key in SUMMARY_KEYS[1:])
    assert states(mixed)["I-EXCL-F"] == before == (True, "inactive", [])


# --- types --------------------------------------------------------------------------------


def test_choosing_a_type_again_removes_it_and_several_types_may_be_chosen(small):
    db = small
    wizard = Wizard(db, as_of=AS_OF)
    wizard.toggle_type("SRV-VAC", "urgent")
    assert wizard.types_of("SRV-VAC") == ["urgent"]
    wizard.toggle_type("SRV-VAC", "suivi_regulier")
    wizard.toggle_type("SRV-VAC", "semi_urgent")
    assert wizard.types_of("SRV-VAC") == ["urgent", "semi_urgent", "suivi_regulier"]  # catalogue order
    wizard.toggle_type("SRV-VAC", "urgent")
    assert wizard.types_of("SRV-VAC") == ["semi_urgent", "suivi_regulier"]
    wizard.toggle_type("SRV-VAC", "semi_urgent")
    wizard.toggle_type("SRV-VAC", "suivi_regulier")
    assert wizard.types_of("SRV-VAC") == []
    wizard.set_types("SRV-PRE", ["suivi_pediatrique", "suivi_grossesse"])
    assert wizard.types_of("SRV-PRE") == ["suivi_grossesse", "suivi_pediatrique"]
    assert wizard.plan().summary()["active"] == ["SRV-PRE"]


def test_type_choices_are_checked(small):
    db = small
    wizard = Wizard(db, as_of=AS_OF)
    with pytest.raises(InputError) as unknown:
        wizard.toggle_type("SRV-VAC", "chirurgie")
    assert unknown.value.key == "type_unknown"
    with pytest.raises(InputError):
        wizard.set_types("SRV-VAC", ["urgent", "chirurgie"])
    assert wizard.types_of("SRV-VAC") == []
    wizard.set_excluded("SRV-PAU")
    with pytest.raises(RefusedError) as refused:
        wizard.toggle_type("SRV-PAU", "urgent")
    assert refused.value.key == "not_listed"
    with pytest.raises(RefusedError):
        wizard.toggle_type("SRV-OLD", "urgent")
    assert wizard.type_codes == ["urgent", "semi_urgent", "suivi_grossesse", "suivi_pediatrique", "suivi_regulier"]


# --- Previous -----------------------------------------------------------------------------


def test_previous_keeps_every_choice_and_updates_later_lists(small):
    db = small
    wizard = Wizard(db, as_of=AS_OF)
    assert wizard.step == EXCLUDE
    assert wizard.next() == INACTIVE
    wizard.set_kept_inactive("SRV-PAU")  # has a future appointment: back at step 3
    assert wizard.next() == TYPES
    assert ids(wizard.listed(TYPES)) == ["SRV-PAU", "SRV-PRE", "SRV-VAC"]
    wizard.toggle_type("SRV-VAC", "urgent")
    wizard.toggle_type("SRV-VAC", "suivi_regulier")
    wizard.toggle_type("SRV-PRE", "semi_urgent")
    wizard.toggle_type("SRV-PAU", "suivi_regulier")

    assert wizard.previous() == INACTIVE and wizard.previous() == EXCLUDE and wizard.previous() == EXCLUDE
    wizard.set_excluded("SRV-VAC")  # had types chosen at step 3
    assert ids(wizard.listed(INACTIVE)) == ["SRV-PAU", "SRV-PRE"]
    assert ids(wizard.listed(TYPES)) == ["SRV-PAU", "SRV-PRE"]
    assert wizard.types_of("SRV-PRE") == ["semi_urgent"] and wizard.types_of("SRV-PAU") == ["suivi_regulier"]
    assert summary_without_run_id(wizard) == {
        "active": ["SRV-PAU", "SRV-PRE"],
        "inactive": [],
        "excluded": ["SRV-VAC"],
        "auto_reactivated": ["SRV-PAU"],
        "auto_deactivated": [],
    }

    wizard.set_excluded("SRV-VAC", False)  # un-exclude: its types come back
    assert wizard.go_to(TYPES) == TYPES
    assert ids(wizard.listed(TYPES)) == ["SRV-PAU", "SRV-PRE", "SRV-VAC"]
    assert wizard.types_of("SRV-VAC") == ["urgent", "suivi_regulier"]
    assert "SRV-PAU" in wizard.kept_inactive

    wizard.go_to(INACTIVE)
    wizard.set_kept_inactive("SRV-PRE")  # no future appointment: leaves step 3
    assert ids(wizard.listed(TYPES)) == ["SRV-PAU", "SRV-VAC"]
    wizard.set_kept_inactive("SRV-PRE", False)
    assert wizard.types_of("SRV-PRE") == ["semi_urgent"]
    assert wizard.next() == TYPES and wizard.next() == APPLY and wizard.next() == APPLY
    with pytest.raises(ValueError):
        wizard.go_to(0)


def summary_without_run_id(wizard) -> dict:
    summary = wizard.plan().summary()
    assert summary.pop("run_id") == "dry-run"
    return summary


# --- Apply ----------------------------------------------------------------------------------


def test_apply_final_states_summary_and_invariants(mixed):
    wizard = Wizard(mixed, as_of=AS_OF, user="marie")
    wizard.set_excluded("P-EXCL")
    wizard.set_kept_inactive("P-KEPT")
    wizard.set_kept_inactive("P-KEPT-F")
    wizard.set_types("P-TYPED", ["urgent", "suivi_regulier"])
    wizard.set_types("P-KEPT-F", ["suivi_grossesse"])
    # I-INACT-F keeps its preselected types: automatic reactivation.
    plan_summary = wizard.plan().summary()
    summary = wizard.apply()
    assert list(summary) == SUMMARY_KEYS
    assert summary.pop("what_if")
    assert summary == {
        **plan_summary,
        "run_id": "run-0004",
        "active": ["I-INACT-F", "P-KEPT-F", "P-TYPED"],
        "inactive": ["P-KEPT"],
        "excluded": ["P-EXCL"],
        "auto_reactivated": ["I-INACT-F", "P-KEPT-F"],
        "auto_deactivated": [],
    }
    now = states(mixed)
    assert now["P-TYPED"] == (False, "active", ["suivi_regulier", "urgent"])
    assert now["P-KEPT-F"] == (False, "active", ["suivi_grossesse"])
    assert now["I-INACT-F"] == (False, "active", ["semi_urgent", "suivi_regulier"])
    assert now["P-EXCL"] == (True, "inactive", [])
    assert now["P-KEPT"] == (False, "inactive", [])
    assert now["I-INACT"] == (False, "inactive", ["urgent"])  # no future appointment: untouched
    assert now["I-EXCL-F"] == (True, "inactive", [])
    assert now["I-ACT-F"] == (False, "active", ["urgent"])
    assert_invariants(mixed)
    # After Apply the wizard starts again on what is left.
    assert wizard.step == EXCLUDE and ids(wizard.listed(EXCLUDE)) == [] and ids(wizard.listed(TYPES)) == []


def test_listed_in_step_3_without_a_type_is_deactivated_automatically(mixed):
    wizard = Wizard(mixed, as_of=AS_OF)
    wizard.set_excluded("P-EXCL")
    wizard.set_kept_inactive("P-KEPT-F")
    wizard.set_types("I-INACT-F", [])  # preselected types removed
    summary = wizard.apply()
    assert summary["active"] == []
    assert summary["inactive"] == ["I-INACT-F", "P-KEPT", "P-KEPT-F", "P-TYPED"]
    assert summary["auto_deactivated"] == ["I-INACT-F", "P-KEPT", "P-KEPT-F", "P-TYPED"]
    assert summary["auto_reactivated"] == [] and summary["excluded"] == ["P-EXCL"]
    now = states(mixed)
    for sid in ("P-KEPT", "P-KEPT-F", "P-TYPED"):
        assert now[sid] == (False, "inactive", [])
    assert now["I-INACT-F"][:2] == (False, "inactive")
    assert_invariants(mixed)


def test_summary_lists_are_sorted_ids(tmp_path, db):
    services = [(sid, f"Service {sid}", "active") for sid in ("S-10", "S-2", "S-1", "S-30", "S-3", "S-20")]
    make_clinic(tmp_path, db, services)
    summary = sync(db, exclude=["S-30", "S-3"], inactive=["S-20"], types={"S-2": ["urgent"], "S-10": ["urgent"]})
    assert list(summary) == SUMMARY_KEYS
    summary.pop("what_if")
    assert summary == {
        "run_id": "run-0001",
        "active": ["S-10", "S-2"],
        "inactive": ["S-1", "S-20"],
        "excluded": ["S-3", "S-30"],
        "auto_reactivated": [],
        "auto_deactivated": ["S-1"],
    }
    assert isinstance(summary["run_id"], str)


def test_invariants_hold_after_every_apply_manual_change_and_undo(mixed):
    assert_invariants(mixed)
    sync(mixed, exclude=["P-EXCL"], inactive=["P-KEPT", "P-KEPT-F"], types={"P-TYPED": ["urgent"]})
    assert_invariants(mixed)
    for action in (
        lambda: manual.activate(mixed, "P-EXCL", ["urgent"]),
        lambda: manual.exclude(mixed, "P-EXCL"),
        lambda: manual.include(mixed, "P-EXCL"),
        lambda: manual.set_types(mixed, "P-EXCL", ["semi_urgent"]),
        lambda: manual.activate(mixed, "P-EXCL", ["semi_urgent"]),
        lambda: manual.deactivate(mixed, "P-TYPED"),
        lambda: history.undo(mixed),
        lambda: history.undo(mixed),
    ):
        action()
        assert_invariants(mixed)


# --- history ---------------------------------------------------------------------------------


def test_history_records_who_when_as_of_and_every_decision(mixed):
    started = dt.datetime.now(dt.UTC)
    wizard = Wizard(mixed, as_of="2026-11-27T12:00:00-05:00", user="marie")
    wizard.set_excluded("P-EXCL")
    wizard.set_kept_inactive("P-KEPT")
    wizard.set_kept_inactive("P-KEPT-F")  # no type: automatic deactivation
    wizard.set_types("P-TYPED", ["urgent"])
    run_id = wizard.apply()["run_id"]
    run = history.list_runs(mixed)[0]
    assert run["run_id"] == run_id and run["kind"] == "sync" and run["applied_by"] == "marie"
    assert run["as_of"] == "2026-11-27T12:00:00"
    applied_at = dt.datetime.fromisoformat(run["applied_at"])
    assert started - dt.timedelta(seconds=5) <= applied_at <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    assert run["undoes"] is None and run["undone_by"] is None
    assert run["decisions"] == {
        "auto_reactivated": 1,
        "auto_deactivated": 1,
        "excluded": 1,
        "kept_inactive": 1,
        "typed": 1,
    }
    assert run["changes"] == 5
    changes = changes_of(mixed, run_id)
    assert {sid: c.decision for sid, c in changes.items()} == {
        "I-INACT-F": "auto_reactivated",
        "P-KEPT-F": "auto_deactivated",
        "P-EXCL": "excluded",
        "P-KEPT": "kept_inactive",
        "P-TYPED": "typed",
    }
    assert changes["I-INACT-F"].before == history.State(False, "inactive", ("semi_urgent", "suivi_regulier"))
    assert changes["I-INACT-F"].after == history.State(False, "active", ("semi_urgent", "suivi_regulier"))
    assert changes["P-TYPED"].before is None
    assert changes["P-TYPED"].after == history.State(False, "active", ("urgent",))
    assert changes["P-TYPED"].name == "Pending to type"


def test_the_default_user_is_recorded(small, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_USER", "jean")
    db = small
    sync(db, types={"SRV-VAC": ["urgent"]})
    assert history.list_runs(db)[0]["applied_by"] == "jean"


def test_nothing_is_written_before_apply(mixed):
    before = snapshot(mixed)
    wizard = Wizard(mixed, as_of=AS_OF)
    wizard.set_excluded("P-EXCL")
    wizard.set_kept_inactive("P-KEPT")
    wizard.toggle_type("P-TYPED", "urgent")
    wizard.set_types("I-INACT-F", ["urgent"])
    wizard.search(EXCLUDE, "pending")
    wizard.next(), wizard.next(), wizard.previous(), wizard.go_to(APPLY)
    assert snapshot(mixed) == before
    wizard.plan()
    assert snapshot(mixed) == before
    wizard.what_if()
    assert snapshot(mixed) == before
    explain(mixed, "P-TYPED", wizard=wizard)
    wizard.refresh()
    assert snapshot(mixed) == before
    assert wizard.types_of("P-TYPED") == ["urgent"]  # a refresh keeps the choices


# --- undo ----------------------------------------------------------------------------------------


def test_undo_restores_the_exact_previous_services_table(mixed):
    before = services_table(mixed)
    runs_before = len(history.list_runs(mixed))
    summary = sync(
        mixed,
        exclude=["P-EXCL"],
        inactive=["P-KEPT", "P-KEPT-F"],
        types={"P-TYPED": ["urgent"], "P-KEPT-F": ["semi_urgent"]},
    )
    assert summary["auto_reactivated"] == ["I-INACT-F", "P-KEPT-F"]
    assert services_table(mixed) != before
    undo_id = history.undo(mixed)
    assert services_table(mixed) == before
    runs = history.list_runs(mixed)
    assert len(runs) == runs_before + 2
    assert runs[0]["run_id"] == undo_id and runs[0]["kind"] == "undo" and runs[0]["undoes"] == summary["run_id"]
    assert runs[1]["run_id"] == summary["run_id"] and runs[1]["undone_by"] == undo_id
    # The pending services are pending again.
    assert ids(Wizard(mixed, as_of=AS_OF).listed(EXCLUDE)) == ["P-EXCL", "P-KEPT", "P-KEPT-F", "P-TYPED"]
    assert_invariants(mixed)


def test_undo_of_a_run_a_later_run_depends_on_is_refused(mixed):
    first = sync(mixed, types={"P-TYPED": ["urgent"], "P-EXCL": ["urgent"]})["run_id"]
    second = manual.deactivate(mixed, "P-TYPED")
    before = snapshot(mixed)
    with pytest.raises(RefusedError) as refused:
        history.undo(mixed, first)
    assert refused.value.key == "undo_depends" and second in str(refused.value)
    assert snapshot(mixed) == before
    history.undo(mixed, second)
    history.undo(mixed, first)  # nothing depends on it any more
    assert "P-TYPED" not in states(mixed)


def test_undo_twice_and_undo_of_an_undo_are_refused(mixed):
    run_id = sync(mixed, types={"P-TYPED": ["urgent"]})["run_id"]
    undo_id = history.undo(mixed, run_id)
    before = snapshot(mixed)
    for target, key in ((run_id, "undo_already"), (undo_id, "undo_of_undo"), ("run-9999", "run_unknown")):
        with pytest.raises(RefusedError) as refused:
            history.undo(mixed, target)
        assert refused.value.key == key
        assert snapshot(mixed) == before


def test_undo_with_nothing_to_undo_is_refused(small):
    db = small
    before = snapshot(db)
    with pytest.raises(RefusedError) as refused:
        history.undo(db)
    assert refused.value.key == "undo_nothing"
    assert snapshot(db) == before
    sync(db, types={"SRV-VAC": ["urgent"]})
    history.undo(db)
    with pytest.raises(RefusedError) as refused:
        history.undo(db)
    assert refused.value.key == "undo_nothing"


def test_undo_without_id_undoes_the_most_recent_run(mixed):
    runs_before = history.list_runs(mixed)
    state_before = services_table(mixed)
    first = sync(mixed, types={"P-TYPED": ["urgent"]}, exclude=["P-EXCL"], inactive=["P-KEPT", "P-KEPT-F"])["run_id"]
    after_first = services_table(mixed)
    second = manual.activate(mixed, "P-KEPT", ["suivi_regulier"])
    history.undo(mixed)
    assert services_table(mixed) == after_first
    history.undo(mixed)
    assert services_table(mixed) == state_before
    undone = {r["run_id"]: r["undone_by"] for r in history.list_runs(mixed)}
    assert undone[first] and undone[second]
    assert len(history.list_runs(mixed)) == len(runs_before) + 4


# --- two wizards at once ---------------------------------------------------------------------


def test_a_stale_wizard_is_refused_and_writes_nothing(mixed):
    first = Wizard(mixed, as_of=AS_OF, user="marie")
    second = Wizard(mixed, as_of=AS_OF, user="jean")
    first.set_types("P-TYPED", ["urgent"])
    first.set_excluded("P-EXCL")
    first.apply()
    second.set_types("P-TYPED", ["suivi_regulier"])
    before = snapshot(mixed)
    with pytest.raises(RefusedError) as refused:
        second.apply()
    assert refused.value.key == "stale_state"
    assert snapshot(mixed) == before
    assert second.types_of("P-TYPED") == ["suivi_regulier"]  # the choices are not lost


def test_a_refreshed_wizard_keeps_its_choices_but_not_stale_preselections(mixed):
    wizard = Wizard(mixed, as_of=AS_OF)
    assert wizard.types_of("I-INACT-F") == ["semi_urgent", "suivi_regulier"]  # preselected
    wizard.set_types("P-TYPED", ["urgent"])
    # Meanwhile someone undoes every run: the I-* services are pending again.
    for run_id in ("run-0003", "run-0002", "run-0001"):
        history.undo(mixed, run_id)
    wizard.refresh()
    assert ids(wizard.listed(EXCLUDE)) == [
        "I-ACT-F",
        "I-EXCL-F",
        "I-INACT",
        "I-INACT-F",
        "P-EXCL",
        "P-KEPT",
        "P-KEPT-F",
        "P-TYPED",
    ]
    assert wizard.types_of("I-INACT-F") == []  # its old types were never chosen in this wizard
    assert wizard.types_of("P-TYPED") == ["urgent"]  # a choice that still applies is kept
    summary = wizard.apply()
    assert summary["active"] == ["P-TYPED"]
    assert states(mixed)["I-INACT-F"] == (False, "inactive", [])
    assert_invariants(mixed)


def test_a_manual_change_meanwhile_makes_the_wizard_stale(mixed):
    wizard = Wizard(mixed, as_of=AS_OF)
    assert "I-INACT-F" in ids(wizard.listed(TYPES))
    manual.activate(mixed, "I-INACT-F", ["urgent"])
    before = snapshot(mixed)
    with pytest.raises(RefusedError) as refused:
        wizard.apply()
    assert refused.value.key == "stale_state" and "I-INACT-F" in str(refused.value)
    assert snapshot(mixed) == before


# --- manual changes ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imported_template(tmp_path_factory):
    """A active (urgent, semi_urgent), B inactive with type suivi_regulier, X excluded."""
    folder = tmp_path_factory.mktemp("imported")
    db = folder / "clinic.duckdb"
    make_clinic(folder, db, [("A", "Alpha", "active"), ("B", "Bêta", "active"), ("X", "Xi", "active")])
    sync(db, types={"A": ["urgent", "semi_urgent"], "B": ["suivi_regulier"]}, exclude=["X"])
    manual.deactivate(db, "B")
    return db


@pytest.fixture
def imported(imported_template, db):
    return copy_db(imported_template, db)


def test_activate_reincludes_an_excluded_service(imported):
    run_id = manual.activate(imported, "X", ["suivi_grossesse"], user="marie")
    assert states(imported)["X"] == (False, "active", ["suivi_grossesse"])
    run = history.list_runs(imported)[0]
    assert (run["run_id"], run["kind"], run["applied_by"], run["decisions"]) == (
        run_id,
        "manual",
        "marie",
        {"activate": 1},
    )


def test_activate_needs_a_known_type(imported):
    before = snapshot(imported)
    with pytest.raises(RefusedError) as refused:
        manual.activate(imported, "X", [])
    assert refused.value.key == "activate_needs_type"
    with pytest.raises(InputError) as unknown:
        manual.activate(imported, "X", ["chirurgie"])
    assert unknown.value.key == "type_unknown"
    assert snapshot(imported) == before


def test_deactivate_keeps_the_types(imported):
    manual.deactivate(imported, "A")
    assert states(imported)["A"] == (False, "inactive", ["semi_urgent", "urgent"])
    assert history.list_runs(imported)[0]["decisions"] == {"deactivate": 1}


def test_exclude_makes_inactive_and_include_keeps_inactive(imported):
    manual.exclude(imported, "A")
    excluded, status, _ = states(imported)["A"]
    assert (excluded, status) == (True, "inactive")
    manual.include(imported, "A")
    excluded, status, _ = states(imported)["A"]
    assert (excluded, status) == (False, "inactive")
    manual.include(imported, "X")
    assert states(imported)["X"][:2] == (False, "inactive")
    assert [r["kind"] for r in history.list_runs(imported)[:3]] == ["manual"] * 3
    assert_invariants(imported)


def test_set_types(imported):
    manual.set_types(imported, "A", ["suivi_pediatrique"])
    assert states(imported)["A"] == (False, "active", ["suivi_pediatrique"])
    before = snapshot(imported)
    with pytest.raises(RefusedError) as refused:
        manual.set_types(imported, "A", [])
    assert refused.value.key == "activate_needs_type"
    assert snapshot(imported) == before
    manual.set_types(imported, "B", [])  # an inactive service may have no type
    assert states(imported)["B"] == (False, "inactive", [])
    assert history.list_runs(imported)[0]["decisions"] == {"set_types": 1}


def test_each_manual_change_is_one_manual_run(imported):
    count = len(history.list_runs(imported))
    run_ids = [
        manual.exclude(imported, "A"),
        manual.include(imported, "A"),
        manual.activate(imported, "A", ["urgent"]),
        manual.set_types(imported, "A", ["semi_urgent"]),
        manual.deactivate(imported, "A"),
    ]
    runs = history.list_runs(imported)
    assert len(runs) == count + 5
    assert [r["run_id"] for r in runs[:5]] == run_ids[::-1]
    assert all(r["kind"] == "manual" and r["changes"] == 1 for r in runs[:5])


def test_manual_changes_refused(imported):
    before = snapshot(imported)
    for action, key in (
        (lambda: manual.deactivate(imported, "NOPE"), "not_imported"),
        (lambda: manual.activate(imported, "NOPE", ["urgent"]), "not_imported"),
    ):
        with pytest.raises(RefusedError) as refused:
            action()
        assert refused.value.key == key
    assert snapshot(imported) == before


def test_manual_changes_that_change_nothing_record_no_run(imported):
    before = snapshot(imported)
    assert manual.deactivate(imported, "B") is None
    assert manual.include(imported, "A") is None
    assert manual.exclude(imported, "X") is None
    assert snapshot(imported) == before


# --- explain ------------------------------------------------------------------------------------


def codes(found) -> list[str]:
    return [fact["code"] for fact in found["facts"]]


def test_explain_codes(mixed, tmp_path):
    assert codes(explain(mixed, "P-TYPED", as_of=AS_OF)) == ["pending"]
    with pytest.raises(InputError, match="NOPE"):
        explain(mixed, "NOPE", as_of=AS_OF)
    assert codes(explain(mixed, "p-typed", as_of=AS_OF)) == ["pending"]
    assert "imported_active" in codes(explain(mixed, "I-ACT-F", as_of=AS_OF))
    found = explain(mixed, "I-EXCL-F", as_of=AS_OF)
    assert codes(found)[0] == "imported_excluded" and "will_reactivate" not in codes(found)
    found = explain(mixed, "I-INACT-F", as_of=AS_OF)
    assert codes(found)[0] == "imported_inactive" and "will_reactivate" in codes(found)
    assert found["future_appointments"] == 1
    assert "will_reactivate" not in codes(explain(mixed, "I-INACT", as_of=AS_OF))
    # The future is judged at as_of.
    assert "will_reactivate" not in codes(explain(mixed, "I-INACT-F", as_of="2026-12-31T00:00"))
    found = explain(mixed, "P-TYPED", as_of=AS_OF)
    assert found["service_id"] == "P-TYPED" and found["name"] == "Pending to type"
    assert all(fact(f, found["service_id"], found["type_labels"]) for f in found["facts"])


def test_explain_emr_inactive_and_absent_from_export(tmp_path, db):
    make_clinic(tmp_path, db, [("A", "Alpha", "active"), ("B", "Bêta", "inactive")])
    assert codes(explain(db, "B", as_of=AS_OF)) == ["emr_inactive"]
    sync(db, types={"A": ["urgent"]})
    make_clinic(tmp_path, db, [("B", "Bêta", "inactive")], folder="export-2")  # A left the EMR
    found = codes(explain(db, "A", as_of=AS_OF))
    assert found[0] == "imported_active" and "absent_from_export" in found


def test_explain_wizard_choices(mixed):
    wizard = Wizard(mixed, as_of=AS_OF)
    wizard.set_excluded("P-EXCL")
    wizard.set_kept_inactive("P-KEPT-F")
    wizard.set_kept_inactive("P-KEPT")
    wizard.set_types("P-KEPT-F", ["urgent"])
    assert codes(explain(mixed, "P-EXCL", wizard=wizard)) == ["pending", "chosen_excluded"]
    assert codes(explain(mixed, "P-KEPT-F", wizard=wizard)) == ["pending", "chosen_kept_inactive_future"]
    assert codes(explain(mixed, "P-KEPT", wizard=wizard)) == ["pending", "chosen_kept_inactive"]
    assert codes(explain(mixed, "P-TYPED", wizard=wizard)) == ["pending", "chosen_no_type"]
    wizard.toggle_type("P-TYPED", "urgent")
    assert codes(explain(mixed, "P-TYPED", wizard=wizard)) == ["pending", "chosen_types"]


# --- what-if --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def counted_template(tmp_path_factory):
    """Service W (pending) with items in 2026Q4 (current), 2026Q3 (previous) and outside both."""
    appointments = [
        ("W", "2026-10-01T00:00", "fulfilled", "STF-A"),  # first instant of Q4
        ("W", PAST, "noshow", "STF-A"),
        ("W", FUTURE, "booked", "STF-A"),
        ("W", "2026-12-31T23:30", "booked", "STF-A"),
        ("W", FUTURE, "cancelled", "STF-A"),  # cancelled: ignored
        ("W", FUTURE, "booked", "STF-I"),  # inactive staff: not gained
        ("W", FUTURE, "booked", "STF-GONE"),  # staff missing: not gained
        ("W", "2026-09-30T23:59", "fulfilled", "STF-A"),  # last minute of Q3
        ("W", "2026-06-30T10:00", "fulfilled", "STF-A"),  # Q2: outside
        ("W", "2027-01-01T00:00", "booked", "STF-A"),  # Q1 2027: outside
        ("V", FUTURE, "booked", "STF-A"),
    ]
    availabilities = [
        ("W", PAST, "STF-A"),
        ("W", FUTURE, "STF-A"),
        ("W", FUTURE, "STF-I"),
        ("W", "2026-08-01T08:00", "STF-A"),
        ("V", FUTURE, "STF-A"),
    ]
    folder = tmp_path_factory.mktemp("counted")
    return make_clinic(
        folder,
        folder / "clinic.duckdb",
        [("W", "Walk-in", "active"), ("V", "Vaccination", "active")],
        appointments,
        availabilities,
    )


@pytest.fixture
def counted(counted_template, db):
    return copy_db(counted_template, db)


def test_what_if_counts_what_activating_a_service_gains(counted):
    wizard = Wizard(counted, as_of=AS_OF)
    wizard.set_types("W", ["urgent"])
    wizard.set_excluded("V")
    impact = wizard.what_if()
    assert impact["quarters"] == {"current": "2026Q4", "previous": "2026Q3"}
    assert impact["totals"] == {
        "current": {"appointments": 4, "availabilities": 2},
        "previous": {"appointments": 1, "availabilities": 1},
    }
    assert sorted(
        (s["service_id"], s["quarter"], s["appointments"], s["availabilities"], s["decision"])
        for s in impact["services"]
    ) == [("W", "2026Q3", 1, 1, "typed"), ("W", "2026Q4", 4, 2, "typed")]


def test_what_if_gains_nothing_without_a_type_or_when_excluded(counted):
    wizard = Wizard(counted, as_of=AS_OF)
    wizard.set_excluded("V")
    zero = {"appointments": 0, "availabilities": 0}
    assert wizard.what_if()["totals"] == {"current": zero, "previous": zero}
    assert wizard.what_if()["services"] == []


def test_what_if_of_an_automatic_reactivation_matches_what_apply_does(counted):
    sync(counted, types={"W": ["urgent"], "V": ["urgent"]})
    manual.deactivate(counted, "V")
    wizard = Wizard(counted, as_of=AS_OF)
    assert ids(wizard.listed(TYPES)) == ["V"] and wizard.types_of("V") == ["urgent"]
    impact = wizard.what_if()
    assert impact["totals"]["current"] == {"appointments": 1, "availabilities": 1}
    assert impact["totals"]["previous"] == {"appointments": 0, "availabilities": 0}


FOLDED = [
    "Précédent",
    "ÉCHOGRAPHIE",
    " Vaccination ",
    "Santé mentale",
    "Œdème",
    "Straße",
    "Ångström",
    "ﬁchier",
    "Ça va",
    "naïve",
    "Île-d'Orléans",
    "SRV-036 Prélèvements",
]


def test_the_wizard_folds_text_as_the_sql_does(loaded_demo):
    """wizard.fold (Python, the search over what the wizard read) and fold_text (SQL,
    the services tab's search) are one rule: they agree on every name."""
    from orchestrator_lib import store
    from orchestrator_lib.wizard import fold

    with store.reading(loaded_demo) as con:
        names = [
            r[0] for r in con.execute("SELECT name FROM emr_services UNION ALL SELECT name FROM emr_staff").fetchall()
        ]
        for text in FOLDED + names:
            assert fold(text.strip()) == store.scalar(con, "SELECT fold_text(?)", [text]), text
