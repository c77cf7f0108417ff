"""The command line of the synchronisation (the command line in the README): `orchestrator sync`,
`history`, `undo`, `explain` and `service …`, as scripts use them.

Each test gets a private copy of one small clinic (built once in-process):

- pending: S-1 Vaccination, S-2 Pause, S-3 Précédent, S-10 (appointment exactly
  at AS_OF), S-20;
- imported: IMP-A active (urgent), IMP-I inactive with types and a future
  appointment (automatic reactivation), IMP-X excluded with a future appointment;
- OLD: inactive in the EMR, never pending.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from orchestrator_lib import manual
from orchestrator_lib.load import load_export
from orchestrator_lib.wizard import Wizard

from conftest import run_cli, run_process, snapshot, states, write_export

AS_OF = "2026-11-27T12:00"
FUTURE = "2026-12-04T09:00"
SUMMARY_KEYS = ["run_id", "active", "inactive", "excluded", "auto_reactivated", "auto_deactivated", "what_if"]
WHAT_IF_KEYS = ["counted_before", "counted_after", "coverage_before", "coverage_after"]
RUN_KEYS = {"run_id", "kind", "applied_at", "applied_by", "as_of", "undoes", "undone_by", "changes", "decisions"}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clinic")
    db = folder / "clinic.duckdb"
    imported = (
        "service_id,name,emr_status\n"
        "IMP-A,Imported active,active\n"
        "IMP-I,Imported inactive,active\n"
        "IMP-X,Imported excluded,active\n"
        "OLD,Ancien service,inactive\n"
    )
    empty = {
        "appointments": "appointment_id,service_id,staff_id,start\n",
        "availabilities": "availability_id,service_id,staff_id,start,end\n",
    }
    load_export(write_export(folder / "first", {"services": imported, **empty}), db)
    wizard = Wizard(db, as_of=AS_OF)
    wizard.apply_decisions(
        {"exclude": ["IMP-X"], "types": {"IMP-A": ["urgent"], "IMP-I": ["suivi_regulier", "semi_urgent"]}}
    )
    wizard.apply()  # run-0001
    manual.deactivate(db, "IMP-I")  # run-0002
    services = imported + (
        "S-1,Vaccination,active\n"
        "S-2,Pause,active\n"
        "S-3,Précédent rendez-vous,active\n"
        "S-10,Suivi dix,active\n"
        "S-20,Suivi vingt,active\n"
    )
    appointments = (
        "appointment_id,service_id,staff_id,start,status\n"
        f"APT-1,S-10,STF-1,{AS_OF},booked\n"
        f"APT-2,IMP-I,STF-1,{FUTURE},booked\n"
        f"APT-3,IMP-X,STF-1,{FUTURE},booked\n"
        f"APT-4,S-2,STF-1,{FUTURE},cancelled\n"
        f"APT-5,S-3,STF-1,2026-11-01T09:00,fulfilled\n"
        f"APT-6,GONE,STF-1,2026-11-01T09:00,fulfilled\n"
    )
    load_export(
        write_export(
            folder / "second",
            {"services": services, "appointments": appointments, "availabilities": empty["availabilities"]},
        ),
        db,
    )
    return db


@pytest.fixture
def clinic(template, db) -> Path:
    for suffix in ("", ".wal", ".key"):
        if Path(f"{template}{suffix}").exists():
            shutil.copyfile(f"{template}{suffix}", f"{db}{suffix}")
    return db


def decisions_file(tmp_path, content, name="decisions.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def orchestrator(*args, env=None, real=False):
    """The command line: in-process through click (fast) or, with ``real``, the
    installed console script in its own process, exactly as scripts run it."""
    return (run_process if real else run_cli)(*args, env=env)


def sync(db, path, *options, env=None, real=False):
    return orchestrator("--db", str(db), "sync", "--decisions", str(path), *options, env=env, real=real)


def one_json(result):
    """The single JSON document of stdout (the contract: nothing else there)."""
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1, result.stdout
    return json.loads(result.stdout)


def assert_refused(result, before, db, *mentions):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.strip() and "Traceback" not in result.stderr
    for text in mentions:
        assert text in result.stderr
    assert snapshot(db) == before


GOOD = {
    "exclude": ["S-3"],
    "inactive": ["S-2", "S-10"],
    "types": {"S-1": ["urgent"], "S-10": ["semi_urgent", "urgent"]},
}
GOOD_SUMMARY = {
    "active": ["IMP-I", "S-1", "S-10"],
    "inactive": ["S-2", "S-20"],
    "excluded": ["S-3"],
    "auto_reactivated": ["IMP-I", "S-10"],
    "auto_deactivated": ["S-20"],
}


# --- sync ----------------------------------------------------------------------------------


def test_sync_json_is_exactly_the_contract(clinic, tmp_path):
    document = one_json(sync(clinic, decisions_file(tmp_path, GOOD), "--as-of", AS_OF, "--json", real=True))
    assert list(document) == SUMMARY_KEYS
    what_if = document.pop("what_if")
    assert document == {"run_id": "run-0003", **GOOD_SUMMARY}
    assert list(what_if) == ["2026Q4", "2026Q3"]  # the quarter of --as-of and the one before
    assert all(list(figures) == WHAT_IF_KEYS for figures in what_if.values())
    now = states(clinic)
    assert now["S-1"] == (False, "active", ["urgent"])
    assert now["S-10"] == (False, "active", ["semi_urgent", "urgent"])
    assert now["IMP-I"] == (False, "active", ["semi_urgent", "suivi_regulier"])
    assert now["S-2"] == now["S-20"] == (False, "inactive", [])
    assert now["S-3"] == (True, "inactive", [])
    assert now["IMP-X"] == (True, "inactive", [])
    assert "OLD" not in now


def test_sync_lists_are_sorted_and_decisions_may_be_partial(clinic, tmp_path):
    document = one_json(
        sync(
            clinic,
            decisions_file(tmp_path, {"types": {"S-20": ["urgent"], "S-2": ["urgent"], "S-10": ["urgent"]}}),
            "--as-of",
            AS_OF,
            "--json",
        )
    )
    assert document["active"] == ["IMP-I", "S-10", "S-2", "S-20"]
    assert document["inactive"] == document["auto_deactivated"] == ["S-1", "S-3"]
    assert document["excluded"] == [] and document["auto_reactivated"] == ["IMP-I"]
    for key in SUMMARY_KEYS[1:-1]:
        assert document[key] == sorted(document[key])


def test_dry_run_writes_nothing_and_shows_the_same_result(clinic, tmp_path):
    path = decisions_file(tmp_path, GOOD)
    before = snapshot(clinic)
    dry = one_json(sync(clinic, path, "--as-of", AS_OF, "--dry-run", "--json", real=True))
    assert snapshot(clinic) == before
    assert list(dry) == SUMMARY_KEYS
    assert {k: v for k, v in dry.items() if k not in ("run_id", "what_if")} == GOOD_SUMMARY
    human = sync(clinic, path, "--as-of", AS_OF, "--dry-run")
    assert human.returncode == 0 and human.stdout.strip()
    assert snapshot(clinic) == before
    real = one_json(sync(clinic, path, "--as-of", AS_OF, "--json"))
    assert {k: v for k, v in real.items() if k != "run_id"} == {k: v for k, v in dry.items() if k != "run_id"}


@pytest.mark.parametrize(
    "decisions, mention",
    [
        ({"exclude": ["IMP-A"]}, "IMP-A"),  # imported: not listed at step 1
        ({"exclude": ["NOPE"]}, "NOPE"),  # unknown id
        ({"exclude": ["OLD"]}, "OLD"),  # inactive in the EMR
        ({"exclude": ["S-3"], "inactive": ["S-3"]}, "S-3"),  # step 2 does not list an excluded id
        ({"inactive": ["IMP-X"]}, "IMP-X"),  # imported excluded: not listed at step 2
        ({"exclude": ["S-3"], "types": {"S-3": ["urgent"]}}, "S-3"),  # both excluded and typed
        ({"inactive": ["S-2"], "types": {"S-2": ["urgent"]}}, "S-2"),  # kept inactive, no future appointment
        ({"inactive": ["S-2"], "types": {"S-2": []}}, "S-2"),  # … even with no type
        ({"types": {"IMP-A": ["semi_urgent"]}}, "IMP-A"),  # imported active, other types
        ({"types": {"IMP-X": ["urgent"]}}, "IMP-X"),  # imported excluded, future appointment
        ({"types": {"NOPE": ["urgent"]}}, "NOPE"),
        ({"types": {"S-1": ["chirurgie"]}}, "chirurgie"),  # unknown type
        ({"types": {"S-1": ["urgent", "Urgent"]}}, "Urgent"),
        ({"exclude": ["S-3"], "inactive": ["S-2"], "types": {"S-1": ["urgent"], "NOPE": ["urgent"]}}, "NOPE"),
    ],
)
def test_refused_decisions_exit_2_and_apply_nothing(clinic, tmp_path, decisions, mention):
    before = snapshot(clinic)
    result = sync(clinic, decisions_file(tmp_path, decisions), "--as-of", AS_OF, "--json")
    assert_refused(result, before, clinic, mention)


def test_malformed_json_names_line_and_column(clinic, tmp_path):
    path = decisions_file(tmp_path, '{\n  "exclude": ["S-3"],\n  "types" {"S-1": ["urgent"]}\n}\n')
    before = snapshot(clinic)
    assert_refused(sync(clinic, path, "--json", real=True), before, clinic, "decisions.json", "ligne 3", "colonne 11")
    english = sync(clinic, path, "--json", env={"ORCHESTRATOR_LANG": "en"})
    assert_refused(english, before, clinic, "line 3", "column 11")


@pytest.mark.parametrize("content", ["", "   \n", "{", '{"exclude": ["S-3",]}', "exclude: [S-3]"])
def test_unparsable_decisions_are_refused(clinic, tmp_path, content):
    before = snapshot(clinic)
    assert_refused(sync(clinic, decisions_file(tmp_path, content), "--json"), before, clinic, "decisions.json")


def test_decisions_not_in_utf8_are_bad_input(clinic, tmp_path):
    path = decisions_file(tmp_path, '{"exclude": ["S-3"], "inactive": ["Précédent"]}'.encode("cp1252"))
    before = snapshot(clinic)
    assert_refused(sync(clinic, path, "--json", real=True), before, clinic, "decisions.json")


def test_absurdly_nested_decisions_are_bad_input(clinic, tmp_path):
    path = decisions_file(tmp_path, '{"types": {"S-1": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    before = snapshot(clinic)
    assert_refused(sync(clinic, path, "--json"), before, clinic, "decisions.json")


@pytest.mark.parametrize(
    "decisions",
    [
        [],
        ["S-1"],
        None,
        "S-1",
        {"exclude": "S-3"},
        {"exclude": [3]},
        {"exclude": None},
        {"inactive": {"S-2": True}},
        {"types": ["S-1"]},
        {"types": {"S-1": "urgent"}},
        {"types": {"S-1": [1]}},
        {"remove": ["S-1"]},
        {"exclude": [], "Types": {}},
    ],
)
def test_wrong_shape_is_refused(clinic, tmp_path, decisions):
    before = snapshot(clinic)
    assert_refused(sync(clinic, decisions_file(tmp_path, decisions), "--json"), before, clinic, "decisions.json")


def test_bom_and_empty_decisions_are_accepted(clinic, tmp_path):
    path = decisions_file(tmp_path, b'\xef\xbb\xbf{"exclude": [], "inactive": [], "types": {"S-1": ["urgent"]}}')
    document = one_json(sync(clinic, path, "--as-of", AS_OF, "--dry-run", "--json"))
    assert "S-1" in document["active"]
    document = one_json(sync(clinic, decisions_file(tmp_path, {}, "empty.json"), "--as-of", AS_OF, "--json"))
    assert document["auto_deactivated"] == ["S-1", "S-10", "S-2", "S-20", "S-3"]


def test_missing_decisions_file_is_refused(clinic, tmp_path):
    before = snapshot(clinic)
    assert_refused(sync(clinic, tmp_path / "absent.json", "--json"), before, clinic, "absent.json")


# --- --as-of ------------------------------------------------------------------------------------

KEPT_TYPED = {"inactive": ["S-10"], "types": {"S-10": ["urgent"]}}  # S-10 has an appointment at exactly AS_OF


@pytest.mark.parametrize(
    "as_of",
    [
        "2026-11-27T12:00",
        "2026-11-27T12:00:00-05:00",
        "2026-11-27T17:00:00+00:00",
        "2026-11-27T17:00Z",
        "2026-11-27T11:00:00-06:00",
    ],
)
def test_as_of_with_an_offset_is_local_time(clinic, tmp_path, as_of):
    document = one_json(sync(clinic, decisions_file(tmp_path, KEPT_TYPED), "--as-of", as_of, "--json"))
    assert "S-10" in document["auto_reactivated"] and "S-10" in document["active"]
    assert states(clinic)["S-10"] == (False, "active", ["urgent"])
    history = one_json(orchestrator("--db", str(clinic), "history", "--json"))
    assert history[0]["as_of"] == "2026-11-27T12:00:00"


@pytest.mark.parametrize("as_of", ["2026-11-27T12:00:01", "2026-11-27T17:00:01+00:00"])
def test_after_as_of_the_kept_inactive_service_is_not_listed_at_step_3(clinic, tmp_path, as_of):
    before = snapshot(clinic)
    assert_refused(
        sync(clinic, decisions_file(tmp_path, KEPT_TYPED), "--as-of", as_of, "--json"), before, clinic, "S-10"
    )


@pytest.mark.parametrize("as_of", ["hier", "2026-13-01", "27/11/2026"])
def test_bad_as_of_is_refused(clinic, tmp_path, as_of):
    before = snapshot(clinic)
    assert_refused(sync(clinic, decisions_file(tmp_path, GOOD), "--as-of", as_of, "--json"), before, clinic, "--as-of")


# --- history, undo, explain -----------------------------------------------------------------------


def test_history_json_shape(clinic, tmp_path):
    run_id = one_json(sync(clinic, decisions_file(tmp_path, GOOD), "--as-of", AS_OF, "--user", "marie", "--json"))[
        "run_id"
    ]
    runs = one_json(orchestrator("--db", str(clinic), "history", "--json"))
    assert isinstance(runs, list) and [r["run_id"] for r in runs] == [run_id, "run-0002", "run-0001"]
    for run in runs:
        assert set(run) == RUN_KEYS
        assert isinstance(run["decisions"], dict) and isinstance(run["changes"], int)
        assert isinstance(run["applied_at"], str)
    latest = runs[0]
    assert (latest["kind"], latest["applied_by"], latest["as_of"], latest["undoes"], latest["undone_by"]) == (
        "sync",
        "marie",
        "2026-11-27T12:00:00",
        None,
        None,
    )
    assert latest["decisions"] == {
        "auto_deactivated": 1,
        "auto_reactivated": 2,
        "excluded": 1,
        "kept_inactive": 1,
        "typed": 1,
    }
    assert latest["changes"] == 6
    assert runs[1]["kind"] == "manual" and runs[1]["decisions"] == {"deactivate": 1}


def test_undo_json_shape_and_refusals(clinic, tmp_path):
    before = snapshot(clinic)["services"]
    run_id = one_json(sync(clinic, decisions_file(tmp_path, GOOD), "--as-of", AS_OF, "--json"))["run_id"]
    undone = one_json(orchestrator("--db", str(clinic), "undo", "--json", real=True))
    assert set(undone) == {"run_id"} and undone["run_id"] != run_id
    assert snapshot(clinic)["services"] == before
    runs = {r["run_id"]: r for r in one_json(orchestrator("--db", str(clinic), "history", "--json"))}
    assert runs[run_id]["undone_by"] == undone["run_id"]
    assert runs[undone["run_id"]]["kind"] == "undo" and runs[undone["run_id"]]["undoes"] == run_id
    unchanged = snapshot(clinic)
    assert_refused(orchestrator("--db", str(clinic), "undo", run_id, "--json", real=True), unchanged, clinic, run_id)
    assert_refused(orchestrator("--db", str(clinic), "undo", undone["run_id"], "--json"), unchanged, clinic)
    assert_refused(orchestrator("--db", str(clinic), "undo", "run-0999", "--json"), unchanged, clinic, "run-0999")
    # run-0002 (deactivate IMP-I) depends on run-0001 (which imported IMP-I).
    assert_refused(orchestrator("--db", str(clinic), "undo", "run-0001", "--json"), unchanged, clinic, "run-0002")


def test_undo_with_nothing_to_undo(tmp_path, db):
    load_export(write_export(tmp_path / "export"), db)
    before = snapshot(db)
    assert_refused(orchestrator("--db", str(db), "undo", "--json"), before, db)


@pytest.mark.parametrize(
    "service_id, expected",
    [
        ("S-1", ["pending"]),
        ("OLD", ["emr_inactive"]),
        ("GONE", ["unknown"]),  # referred to by an appointment only
        ("imp-a", ["imported_active", "since_run"]),  # as a person types it
        ("IMP-A", ["imported_active", "since_run"]),
        ("IMP-I", ["imported_inactive", "since_run", "will_reactivate"]),
        ("IMP-X", ["imported_excluded", "since_run", "excluded_with_future"]),
    ],
)
def test_explain_json_shape(clinic, service_id, expected):
    found = one_json(orchestrator("--db", str(clinic), "explain", service_id, "--as-of", AS_OF, "--json"))
    assert set(found) == {"kind", "service_id", "name", "future_appointments", "facts"}
    assert found["kind"] == "service" and found["service_id"] == service_id.upper()
    assert [fact["code"] for fact in found["facts"]] == expected
    assert all(set(fact) == {"code", "values", "text"} and fact["text"] for fact in found["facts"])


def test_explain_future_appointments_depend_on_as_of(clinic):
    def future(as_of):
        return one_json(orchestrator("--db", str(clinic), "explain", "S-10", "--as-of", as_of, "--json"))[
            "future_appointments"
        ]

    assert future(AS_OF) == 1
    assert future("2026-11-27T17:00:01+00:00") == 0


# --- service … ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, state",
    [
        (
            ["activate", "IMP-I", "--type", "urgent", "--type", "suivi_regulier"],
            (False, "active", ["suivi_regulier", "urgent"]),
        ),
        (["activate", "IMP-X", "--type", "semi_urgent"], (False, "active", ["semi_urgent"])),
        (["deactivate", "IMP-A"], (False, "inactive", ["urgent"])),
        (["exclude", "IMP-A"], (True, "inactive", ["urgent"])),
        (["include", "IMP-X"], (False, "inactive", [])),
        (["set-types", "IMP-A", "--type", "suivi_grossesse"], (False, "active", ["suivi_grossesse"])),
        (["set-types", "IMP-I"], (False, "inactive", [])),
    ],
)
def test_service_commands_succeed(clinic, args, state):
    document = one_json(orchestrator("--db", str(clinic), "service", *args, "--user", "marie", "--json"))
    assert set(document) == {"run_id"}
    assert states(clinic)[args[1]] == state
    latest = one_json(orchestrator("--db", str(clinic), "history", "--json"))[0]
    assert (latest["run_id"], latest["kind"], latest["applied_by"], latest["changes"]) == (
        document["run_id"],
        "manual",
        "marie",
        1,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["activate", "IMP-I"],  # no type
        ["activate", "IMP-I", "--type", "chirurgie"],  # unknown type
        ["activate", "S-1", "--type", "urgent"],  # not imported
        ["activate", "NOPE", "--type", "urgent"],
        ["set-types", "IMP-A"],  # active needs a type
        ["set-types", "IMP-A", "--type", "urgent", "--type", "nope"],
        ["deactivate", "S-1"],
    ],
)
def test_service_commands_refused(clinic, args):
    before = snapshot(clinic)
    assert_refused(orchestrator("--db", str(clinic), "service", *args, "--json"), before, clinic)


@pytest.mark.parametrize(
    "args",
    [
        ["deactivate", "IMP-I"],  # already inactive
        ["exclude", "IMP-X"],  # already excluded
        ["include", "imp-a"],  # already included (any case)
    ],
)
def test_a_manual_change_that_changes_nothing_records_nothing(clinic, args):
    before = snapshot(clinic)
    assert one_json(orchestrator("--db", str(clinic), "service", *args, "--json")) == {"run_id": None}
    said = orchestrator("--db", str(clinic), "service", *args)
    assert said.returncode == 0 and "rien à changer" in said.stdout
    assert snapshot(clinic) == before


def test_service_ids_are_matched_without_regard_to_case(clinic):
    document = one_json(orchestrator("--db", str(clinic), "service", "deactivate", "imp-a", "--json"))
    assert document["run_id"] and states(clinic)["IMP-A"] == (False, "inactive", ["urgent"])


def test_explain_knows_staff_and_refuses_an_unknown_id(clinic):
    member = one_json(orchestrator("--db", str(clinic), "explain", "stf-1", "--as-of", AS_OF, "--json"))
    assert (member["kind"], member["staff_id"]) == ("staff", "STF-1")
    assert member["facts"][0]["code"] == "staff_active" and member["facts"][0]["text"]
    before = snapshot(clinic)
    assert_refused(orchestrator("--db", str(clinic), "explain", "NOPE", "--json"), before, clinic, "NOPE")


def test_service_commands_in_a_real_process(clinic):
    before = snapshot(clinic)
    assert_refused(orchestrator("--db", str(clinic), "service", "activate", "IMP-I", real=True), before, clinic)
    result = orchestrator("--db", str(clinic), "service", "deactivate", "IMP-A", real=True)
    assert result.returncode == 0 and "IMP-A" in result.stdout
    found = one_json(orchestrator("--db", str(clinic), "explain", "IMP-A", "--json", real=True))
    assert found["facts"][0]["code"] == "imported_inactive"
    runs = one_json(orchestrator("--db", str(clinic), "history", "--json"))
    assert runs[0]["kind"] == "manual" and set(runs[0]) == RUN_KEYS
