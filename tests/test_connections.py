"""One command is one read connection and at most one write transaction: the
database is opened once to read and, for a command that changes something, once
to write (and nothing holds it in between)."""

from __future__ import annotations

import json

import pytest

from orchestrator_lib import store

from conftest import run_cli

AS_OF = "2026-11-27T12:00"


@pytest.fixture
def opened(monkeypatch):
    """The connections opened since the fixture started: True for read-only."""
    seen: list[bool] = []
    real = store._open

    def counting(path, read_only, *args, **kwargs):
        seen.append(read_only)
        return real(path, read_only, *args, **kwargs)

    monkeypatch.setattr(store, "_open", counting)
    return seen


@pytest.fixture
def clinic(loaded_demo, tmp_path):
    """The demo clinic synced once, and the decisions file that did it."""
    from orchestrator_lib import Wizard

    ids = [s.service_id for s in Wizard(loaded_demo, as_of=AS_OF).listed(1)]
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps({"exclude": [ids[0]], "types": {sid: ["urgent"] for sid in ids[1:]}}))
    return loaded_demo, decisions, ids[1]


COMMANDS = {
    "sync --dry-run": (lambda d, f, s: ["sync", "--decisions", str(f), "--as-of", AS_OF, "--dry-run"], 0),
    "sync": (lambda d, f, s: ["sync", "--decisions", str(f), "--as-of", AS_OF], 1),
    "services": (lambda d, f, s: ["services", "--json"], 0),
    "staff": (lambda d, f, s: ["staff", "--json"], 0),
    "explain": (lambda d, f, s: ["explain", s], 0),
    "history": (lambda d, f, s: ["history", "--json"], 0),
    "history in words": (lambda d, f, s: ["history"], 0),  # the runs and the clinic's amounts
    "rates": (lambda d, f, s: ["rates"], 0),
    "audit": (lambda d, f, s: ["audit", "--quarter", "2026Q3", "--json"], 0),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_reads_once_and_writes_at_most_once(clinic, opened, command):
    db, decisions, service = clinic
    args, writes = COMMANDS[command]
    result = run_cli("--db", str(db), *args(db, decisions, service))
    assert result.returncode == 0, result.stderr
    assert opened.count(True) == 1 and opened.count(False) == writes, opened


@pytest.mark.parametrize(
    "change",
    [
        ["deactivate"],
        ["activate", "--type", "semi_urgent"],
        ["exclude"],
        ["set-types", "--type", "urgent", "--type", "suivi_regulier"],
    ],
)
def test_a_change_by_hand_reads_once_and_writes_once(clinic, opened, change):
    db, decisions, service = clinic
    run_cli("--db", str(db), "sync", "--decisions", str(decisions), "--as-of", AS_OF, check=True)
    opened.clear()
    run_cli("--db", str(db), "service", change[0], service, *change[1:], check=True)
    assert opened == [True, False]
    opened.clear()
    run_cli("--db", str(db), "undo", check=True)
    assert opened == [True, False]
