"""Real processes on ONE database for a bounded time.

While a manager applies and undoes wizard runs in the dashboard (Chromium →
Voilà kernel, which writes), two other programs read the same DuckDB file in
loops: ``orchestrator audit --quarter 2026Q3 --json`` and ``orchestrator
services --json``. A DuckDB file is read-write by one process or read-only by
many, never both: the library must make everyone wait their turn, so every
call exits 0 with valid JSON, the page never shows a red box, and the history
is exactly what the browser did.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DURATION = 20  # seconds of browser activity (at least MIN_CYCLES apply + undo cycles)
MIN_CYCLES = 2
MAX_CYCLES = 60
CALL_TIMEOUT = 90  # one CLI call; the library itself waits at most $ORCHESTRATOR_LOCK_TIMEOUT for the lock
# Each apply: exclude one service, type two, leave the rest without a type (automatic deactivation).
EXCLUDE = "SRV-036"
TYPED = {"SRV-001": "urgent", "SRV-002": "semi_urgent"}
ACTIVE = re.compile(r"\bmod-active\b")

WATCH_ALERTS = """() => {
    window.__alerts = [];
    const seen = () => document.querySelectorAll('[role=alert]').forEach(
        e => window.__alerts.push(e.textContent.trim() || '(empty alert)'));
    seen();
    new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
# The newest run the page reports: an apply's (the wizard's result) or an undo's (under the history).
NEW_RUN_ID = """previous => {
    const e = [...document.querySelectorAll('.wizard-result [data-run-id], .sync-undo-error [data-run-id]')]
        .find(e => e.offsetParent !== null && e.dataset.runId !== previous && e.dataset.runId !== '');
    return e !== undefined;
}"""
NEWEST_RUN_ID = """previous => [...document.querySelectorAll('.wizard-result [data-run-id], .sync-undo-error [data-run-id]')]
    .find(e => e.offsetParent !== null && e.dataset.runId !== previous && e.dataset.runId !== '').dataset.runId"""


class CliLoop(threading.Thread):
    """``orchestrator --db DB ARGS`` again and again until stopped; every call is kept."""

    def __init__(self, kit, db, *args: str):
        super().__init__(daemon=True)
        self.command = [kit.ORCHESTRATOR, "--db", str(db), *args]
        self.env = kit.clean_env(ORCHESTRATOR_LOCK_TIMEOUT="60")
        self.stop_event = threading.Event()
        self.calls: list[dict] = []

    def run(self) -> None:
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                result = subprocess.run(
                    self.command, capture_output=True, text=True, timeout=CALL_TIMEOUT, env=self.env
                )
            except subprocess.TimeoutExpired:
                self.calls.append({"rc": "timeout", "stderr": "", "json": None, "seconds": CALL_TIMEOUT})
                continue
            try:
                document = json.loads(result.stdout)
            except json.JSONDecodeError:
                document = None
            self.calls.append(
                {
                    "rc": result.returncode,
                    "stderr": result.stderr,
                    "json": document,
                    "stdout": result.stdout[:300],
                    "seconds": time.monotonic() - started,
                }
            )

    def failures(self) -> list[dict]:
        return [c for c in self.calls if c["rc"] != 0 or c["json"] is None or c["stderr"].strip()]


def run_cli(kit, db, *args: str):
    result = subprocess.run(
        [kit.ORCHESTRATOR, "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT,
        env=kit.clean_env(),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_browser_writes_while_cli_reads(page, dashboard_factory, kit, tmp_path):
    db = kit.load_demo(tmp_path / "shared.duckdb")
    server = dashboard_factory(db)
    kit.open_dashboard(page, server.url)
    page.evaluate(WATCH_ALERTS)
    page.locator(".dashboard-tabs > .lm-TabBar").get_by_role("tab", name="Synchronisation", exact=True).click()
    wizard = page.locator(".wizard-view")
    title = wizard.locator(".wizard-title")
    search = wizard.locator(".wizard-search input")
    page_label = wizard.locator(".wizard-page-label")

    def row(service_id: str, part: str):
        """The visible row of a service, by its visible part (a pooled row's hidden part may hold another's text)."""
        return wizard.locator(".wizard-row:visible").filter(has=page.locator(f"{part}:visible", has_text=service_id))

    expect(title).to_have_text("1. Services exclus", timeout=60_000)

    def new_run_id(previous: str | None) -> str:
        page.wait_for_function(NEW_RUN_ID, arg=previous, timeout=90_000)
        return page.evaluate(NEWEST_RUN_ID, previous)

    def no_alert() -> None:
        expect(page.locator("[role=alert]")).to_have_count(0, timeout=1)

    audits = CliLoop(kit, db, "audit", "--quarter", "2026Q3", "--json")
    listings = CliLoop(kit, db, "services", "--json")
    audits.start()
    listings.start()
    done: list[tuple[str, str]] = []  # (kind, run_id) in the order the browser made them
    last: str | None = None
    started = time.monotonic()
    try:
        while len(done) < 2 * MAX_CYCLES and (len(done) < 2 * MIN_CYCLES or time.monotonic() - started < DURATION):
            # One apply through the wizard.
            expect(title).to_have_text("1. Services exclus")
            expect(page_label).to_have_text("1–25 sur 39")
            search.fill(EXCLUDE)
            expect(page_label).to_have_text("1–1 sur 1")
            row(EXCLUDE, ".wizard-row-check").locator("input[type=checkbox]").check()
            wizard.locator(".wizard-next").click()
            expect(title).to_have_text("2. Services inactifs")
            expect(page_label).to_have_text("1–25 sur 38")
            wizard.locator(".wizard-next").click()
            expect(title).to_have_text("3. Services actifs : types")
            expect(page_label.locator('[data-step="3"]')).to_have_count(1)  # the rows of step 3 are drawn
            for service_id, code in TYPED.items():
                button = row(service_id, ".wizard-row-name").locator(f".wizard-type-{code}")
                button.click()
                expect(button).to_have_class(ACTIVE, timeout=20_000)
            wizard.locator(".wizard-next").click()
            expect(title).to_have_text("Appliquer")
            no_alert()
            wizard.locator(".wizard-apply").click()
            last = new_run_id(last)
            done.append(("sync", last))
            no_alert()
            # And its undo, from the history's one undo control, confirmed.
            page.locator(".sync-undo").click()
            page.locator(".sync-undo-confirm").click()
            last = new_run_id(last)
            done.append(("undo", last))
            no_alert()
    finally:
        elapsed = time.monotonic() - started
        for loop in (audits, listings):
            loop.stop_event.set()
        for loop in (audits, listings):
            loop.join(timeout=CALL_TIMEOUT + 10)

    # The readers: many calls, every one exit 0 with one JSON document and nothing on stderr.
    for loop, expected_type in ((audits, dict), (listings, list)):
        assert not loop.is_alive()
        assert len(loop.calls) >= 5, f"{loop.command}: only {len(loop.calls)} calls in {elapsed:.0f} s"
        assert loop.failures() == [], loop.failures()[:3]
        assert all(isinstance(c["json"], expected_type) for c in loop.calls)
    assert all(c["json"]["quarter"] == "2026Q3" for c in audits.calls)

    # The page never showed a red box.
    assert page.evaluate("window.__alerts") == []
    assert len(done) >= 2 * MIN_CYCLES

    # The history is exactly what the browser did, oldest first: sync, its undo, sync, its undo…
    runs = list(reversed(run_cli(kit, db, "history", "--json")))
    assert [(r["kind"], r["run_id"]) for r in runs] == done
    for sync, undo in zip(runs[0::2], runs[1::2]):
        assert undo["undoes"] == sync["run_id"] and sync["undone_by"] == undo["run_id"]
        assert sync["decisions"]["excluded"] == 1 and sync["decisions"].get("typed") == len(TYPED)
        assert undo["changes"] == sync["changes"]
    # Every apply was undone: nothing is imported any more.
    assert run_cli(kit, db, "services", "--json") == []
    print(
        f"\n{len(done) // 2} apply+undo cycles in {elapsed:.0f} s; "
        f"{len(audits.calls)} audits (slowest {max(c['seconds'] for c in audits.calls):.1f} s), "
        f"{len(listings.calls)} listings (slowest {max(c['seconds'] for c in listings.calls):.1f} s), all exit 0"
    )
