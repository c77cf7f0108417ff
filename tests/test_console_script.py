"""Each command once as a real process, through the installed ``orchestrator``
script: what every other CLI test runs in-process (``conftest.run_cli``) is
the program clinics and scripts start."""

from __future__ import annotations

import json

import pytest

from conftest import run_process

pytestmark = pytest.mark.slow  # a Python start per command


def test_every_command_as_a_real_process(tmp_path, demo_export, missing_db):
    db = str(missing_db)

    def ok(*args: str) -> str:
        return run_process("--db", db, *args, check=True).stdout

    loaded = json.loads(ok("load", str(demo_export), "--json"))
    assert loaded["services"] > 0 and loaded["pending"]
    pending = loaded["pending"]
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps({"exclude": [pending[0]], "types": {sid: ["urgent"] for sid in pending[1:]}}))
    synced = json.loads(ok("sync", "--decisions", str(decisions), "--as-of", "2026-11-27T12:00", "--json"))
    assert synced["run_id"] and synced["excluded"] == [pending[0]]
    services = json.loads(ok("services", "--json"))
    assert {s["service_id"] for s in services} == set(pending)
    assert "STF" in ok("staff")
    assert pending[1] in ok("explain", pending[1])
    changed = json.loads(ok("service", "deactivate", pending[1], "--json"))
    assert changed["run_id"]
    assert len(json.loads(ok("history", "--json"))) == 2
    ok("undo")
    audit = json.loads(ok("audit", "--quarter", "2026Q3", "--json"))
    assert audit["quarter"] == "2026Q3" and audit["status"] in ("ok", "under_threshold")
    assert "Utilisation :" in ok("demo", "--help") and "Utilisation :" in ok("dashboard", "--help")


def test_a_refusal_is_exit_2_and_a_message_from_the_real_script(missing_db):
    result = run_process("--db", str(missing_db), "audit", "--quarter", "2026Q3")
    assert result.returncode == 2 and str(missing_db) in result.stderr and "Traceback" not in result.stderr
    assert not missing_db.exists()
