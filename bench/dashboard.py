"""Benchmark: the Voilà dashboard in a real browser (Debian's Chromium through Playwright).

(a) Time from ``page.goto`` to the overview's ``.coverage-current`` visible, on the
    demo database, median of a few loads:
    - cold: Voilà started directly with ``--preheat_kernel=False`` (each visit
      starts a kernel and runs the notebook);
    - preheated: ``orchestrator dashboard`` (a kernel kept ready; before each
      load the bench waits until the pool is filled again).
    Right after each preheated overview, the Synchronisation tab: from the click on its
    tab to the wizard's title drawn (its first visit builds the wizard); then an undo of
    a sync run of the demo's 39 services made just before the visit (by the library,
    as another program would): from the click on the confirmation to the result shown.
(b) A search keystroke in the Services tab with 5,000 imported services: one
    character typed in ``.catalogue-search-active input``; the time runs in the
    page, from the ``keydown`` to the first change of the Actifs table
    (MutationObserver), median of about 10 keystrokes.

The 5,000-service database: an export whose ``services.csv`` has 5,000 rows
(the demo's 42 and 4,958 more) with the demo's other tables, loaded, then
imported with ``orchestrator_lib.wizard.Wizard`` (each service given a type).

(c) The server's memory (the RSS of Voilà and its kernels, psutil) after 1, 10, 25 and
    50 visits of the overview, each page closed after it: it must stay bounded.

Targets (medians): overview visible within 1.5 s preheated; keystroke under 100 ms;
Synchronisation tab drawn within 0.5 s; undo within 1 s.
Exit status: 0 targets met, 1 a target missed.

    .venv/bin/python bench/dashboard.py [--loads 5] [--keystrokes 10] [--visits 50] [--keep DIR]

Never ``playwright install``: the browser is ``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
NOTEBOOK = ROOT / "notebooks" / "tableau_de_bord.ipynb"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))
from browser_fixtures import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (the tests' browser, one definition)

OVERVIEW_TARGET = 1.5
KEYSTROKE_TARGET = 0.100
SYNC_TAB_TARGET = 0.5
UNDO_TARGET = 1.0
MEMORY_AT = (1, 10, 25, 50)
N_SERVICES = 5000
TYPES_CYCLE = ("urgent", "semi_urgent", "suivi_grossesse", "suivi_pediatrique", "suivi_regulier")
# Keys typed into an empty search box; a key is used only if it changes the Actifs table.
KEYS = "hygbqzpuflkmjwx"
POOL_FILLED = re.compile(r"Kernel pool of .* is filled")
RUNNING_AT = re.compile(r"(http://127\.0\.0\.1:\d+)/")

WATCH_KEYSTROKES = """() => {
    const input = document.querySelector('.catalogue-search-active input');
    const table = document.querySelector('.catalogue-table-active');
    window.__keystroke = {down: 0, changed: 0};
    input.addEventListener('keydown', () => { window.__keystroke = {down: performance.now(), changed: 0}; }, true);
    new MutationObserver(() => {
        const k = window.__keystroke;
        if (k.down && !k.changed) k.changed = performance.now();
    }).observe(table, {subtree: true, childList: true, characterData: true});
}"""


# In the page: milliseconds from the last click (window.__clicked, set in the capture phase)
# to the selector showing non-empty text; polled each frame by wait_for_function.
WATCH_CLICKS = """() => {
    document.addEventListener('click', () => { window.__clicked = performance.now(); }, true);
}"""
SHOWN_SINCE_CLICK = """(selector) => {
    const el = document.querySelector(selector);
    return el && el.offsetParent !== null && el.textContent.trim() ? performance.now() - window.__clicked : false;
}"""


# --- servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(db: Path) -> dict[str, str]:
    private = ("ORCHESTRATOR_TOKEN", "ORCHESTRATOR_LANG", "ORCHESTRATOR_EXPORT_DIR", "ORCHESTRATOR_FAILPOINT")
    env = {k: v for k, v in os.environ.items() if k not in private}
    env["ORCHESTRATOR_DB"] = str(db)
    return env


class Server:
    """A Voilà process in its own process group, its log read line by line, stopped by its PID."""

    def __init__(self, command: list[str], db: Path):
        self.lines: list[str] = []
        self.url: str | None = None
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env=child_env(db),
            cwd=str(ROOT),
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    def preheated(cls, db: Path) -> Server:
        return cls([str(BIN / "orchestrator"), "--db", str(db), "dashboard", "--port", str(free_port())], db)

    @classmethod
    def cold(cls, db: Path) -> Server:
        return cls(
            [
                str(BIN / "voila"),
                str(NOTEBOOK),
                "--Voila.ip=127.0.0.1",
                f"--port={free_port()}",
                "--no-browser",
                "--preheat_kernel=False",
            ],
            db,
        )

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            found = RUNNING_AT.search(line)
            if found and self.url is None:
                self.url = found.group(1)

    def pools_filled(self) -> int:
        return sum(1 for line in self.lines if POOL_FILLED.search(line))

    def wait(self, condition, what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped ({self.process.returncode}):\n" + "\n".join(self.lines))
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {what} after {timeout} s:\n" + "\n".join(self.lines[-20:]))
            time.sleep(0.05)

    def wait_listening(self) -> Server:
        self.wait(lambda: self.url is not None, "'Voilà is running at'")
        return self

    def wait_pool(self, fills: int) -> Server:
        self.wait(lambda: self.url is not None and self.pools_filled() >= fills, f"pool fill #{fills}")
        return self

    def wait_kernels_idle(self, timeout: float = 90) -> None:
        """Until every kernel of the server is idle. Voilà logs "Kernel pool … is filled" as soon as
        the spare kernel *starts*, before it has run the notebook: a visit right then waits for the
        whole notebook, as if cold. The spare kernel is ready when it stops using the CPU."""
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < 3 and time.monotonic() < deadline:
            kernels = self.kernels()
            for kernel in kernels:
                kernel.cpu_percent(None)
            time.sleep(0.4)
            busy = sum(k.cpu_percent(None) for k in kernels if k.is_running())
            quiet = quiet + 1 if kernels and busy < 10 else 0

    def processes(self) -> list:
        """The server and its kernels (not those shut down meanwhile)."""
        import psutil

        root = psutil.Process(self.process.pid)
        living = []
        for process in [root, *root.children(recursive=True)]:
            try:
                if process.status() != psutil.STATUS_ZOMBIE:
                    living.append((process, " ".join(process.cmdline())))
            except psutil.Error:  # gone meanwhile
                pass
        return living

    def kernels(self) -> list:
        return [process for process, command in self.processes() if "ipykernel" in command]

    def rss(self) -> int:
        import psutil

        total = 0
        for process, _command in self.processes():
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # Voilà then shuts its kernels down
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


# --- databases -----------------------------------------------------------------------------


def demo_db(folder: Path) -> Path:
    from orchestrator_lib.load import load_export

    db = folder / "demo.duckdb"
    load_export(DEMO, db)
    return db


def type_every_pending_service(db: Path) -> dict:
    """A sync run that imports every pending active service, each given a type."""
    from orchestrator_lib.wizard import TYPES, Wizard

    wizard = Wizard(db)
    wizard.go_to(TYPES)
    for j, service in enumerate(wizard.listed(TYPES)):
        wizard.set_types(service.service_id, [TYPES_CYCLE[j % len(TYPES_CYCLE)]])
    return wizard.apply()


def big_db(folder: Path, n_services: int = N_SERVICES) -> Path:
    """The demo export with ``n_services`` services, every one imported with a type."""
    from orchestrator_lib.demo import service_names
    from orchestrator_lib.load import load_export

    export = folder / f"export-{n_services}"
    shutil.copytree(DEMO, export)
    with open(DEMO / "services.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for i, name in enumerate(service_names(n_services - len(rows))):
        rows.append(
            {"service_id": f"SVC-{i:05d}", "name": name, "emr_status": "active", "created_at": "2025-01-06T09:00:00"}
        )
    with open(export / "services.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    db = folder / f"services-{n_services}.duckdb"
    load_export(export, db)
    summary = type_every_pending_service(db)
    print(
        f"database: {len(rows)} services in the export ({len(rows) - len(summary['active'])} of the demo's "
        f"inactive in the EMR); {len(summary['active'])} imported, active ({summary['run_id']})"
    )
    return db


# --- measurements --------------------------------------------------------------------------


def shown_after_click(page, selector: str) -> float:
    """Seconds from the page's last click to ``selector`` showing text (measured in the page)."""
    return page.wait_for_function(SHOWN_SINCE_CLICK, arg=selector, polling="raf", timeout=60_000).json_value() / 1000


def visit(browser, url: str, undo: Server | None = None) -> dict[str, float]:
    """One visit: seconds from ``goto`` to ``.coverage-current`` visible and to the HTML's last
    byte; with ``undo`` (the server), then, once the spare kernel Voilà starts after each visit
    has run the notebook (as when a person reads the overview first), the Synchronisation
    tab's first drawing and an undo of the last run.

    ``browser`` is one browser context for every visit, as a person's browser: a page closed
    there sends Voilà's shutdown request (a context closed with its page would not)."""
    page = browser.new_page()
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    try:
        started = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.locator(".coverage-current").wait_for(state="visible", timeout=120_000)
        times = {"overview": time.perf_counter() - started}
        times["html"] = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd") / 1000
        if undo:
            undo.wait_kernels_idle()
            page.evaluate(WATCH_CLICKS)
            page.locator(".dashboard-tabs > .lm-TabBar").get_by_role("tab", name="Synchronisation", exact=True).click()
            times["sync_tab"] = shown_after_click(page, ".wizard-view .wizard-title")
            page.locator(".sync-undo").click()
            page.locator(".sync-undo-confirm").click()
            times["undo"] = shown_after_click(page, ".sync-undo-error")
            if page.locator(".sync-undo-error [role=alert]").count():
                raise RuntimeError("the undo was refused: " + page.locator(".sync-undo-error").inner_text())
        return times
    finally:
        page.close(run_before_unload=True)


def preheated_visits(browser, server: Server, db: Path, loads: int) -> list[dict[str, float]]:
    visits = []
    for i in range(loads):
        run = type_every_pending_service(db)  # what this visit undoes, made as another program would
        assert len(run["active"]) == 39, run  # the demo clinic's active services
        server.wait_pool(i + 1)  # the spare kernel is started again after each visit…
        server.wait_kernels_idle()  # …and has run the notebook
        visits.append(visit(browser, server.url, undo=server))
    return visits


def memory_after_visits(browser, server: Server, visits: int) -> list[tuple[int, int, int, float]]:
    """(visits, RSS of the server's process tree, its kernels, seconds of that visit) at each of MEMORY_AT."""
    marks = []
    for n in range(1, visits + 1):
        seconds = visit(browser, server.url)["overview"]
        if n in MEMORY_AT or n == visits:
            time.sleep(2)  # the closed page's kernel is shut down
            marks.append((n, server.rss(), len(server.kernels()), seconds))
    return marks


def keystrokes(browser, url: str, db: Path, count: int) -> list[float]:
    from orchestrator_lib.catalogue import list_services
    from orchestrator_lib.i18n import number, speaking

    total = len(list_services(db, "active"))
    keys = [k for k in KEYS if len(list_services(db, "active", k)) != total][:count]
    page = browser.new_page()
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(url, wait_until="commit")
    page.locator(".coverage-current").wait_for(state="visible", timeout=120_000)
    page.locator(".dashboard-tabs > .lm-TabBar").get_by_role("tab", name="Services", exact=True).click()
    table = page.locator(".catalogue-table-active")
    with speaking("fr"):  # the page's language, and its way of writing numbers
        full = f"sur {number(total)}"
    table.get_by_text(full).wait_for(timeout=120_000)
    page.evaluate(WATCH_KEYSTROKES)
    search = page.locator(".catalogue-search-active input")
    search.click()
    timings = []
    for i, key in enumerate(keys[:1] + keys):  # the first keystroke warms up and is not counted
        page.keyboard.press(key)
        page.wait_for_function("() => window.__keystroke.changed > 0", timeout=30_000)
        elapsed = page.evaluate("() => window.__keystroke.changed - window.__keystroke.down") / 1000
        if i:
            timings.append(elapsed)
        page.keyboard.press("Backspace")  # back to the full list (not timed)
        table.get_by_text(full).wait_for(timeout=30_000)
    page.close(run_before_unload=True)
    return timings


def describe(values: list[float]) -> str:
    return (
        f"median {1000 * statistics.median(values):.0f} ms (min {1000 * min(values):.0f}, "
        f"max {1000 * max(values):.0f}; {len(values)} runs)"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="page loads per server (default 5)")
    parser.add_argument("--keystrokes", type=int, default=10, help="timed keystrokes (default 10)")
    parser.add_argument("--visits", type=int, default=50, help="visits before the last memory reading (default 50)")
    parser.add_argument("--keep", type=Path, help="build the databases here and keep them")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        small = demo_db(folder)
        started = time.perf_counter()
        big = big_db(folder)
        print(f"5,000-service database built in {time.perf_counter() - started:.1f} s")

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            browser = chromium.new_context()
            servers = []
            try:
                cold = Server.cold(small)
                servers.append(cold)
                cold.wait_listening()
                cold_visits = [visit(browser, cold.url) for _ in range(args.loads)]
                cold.stop()
                print(
                    f"{'overview visible, cold (voila --preheat_kernel=False):':58}"
                    f"{describe([v['overview'] for v in cold_visits])}; "
                    f"HTML complete at {1000 * statistics.median(v['html'] for v in cold_visits):.0f} ms"
                )

                warm = Server.preheated(small)
                servers.append(warm)
                warm_visits = preheated_visits(browser, warm, small, args.loads)
                print(
                    f"{'overview visible, preheated (orchestrator dashboard):':58}"
                    f"{describe([v['overview'] for v in warm_visits])}; "
                    f"HTML complete at {1000 * statistics.median(v['html'] for v in warm_visits):.0f} ms"
                )
                print(
                    f"{'Synchronisation tab drawn (first visit of the tab):':58}{describe([v['sync_tab'] for v in warm_visits])}"
                )
                print(
                    f"{'undo of a 39-service sync, confirmed → result shown:':58}{describe([v['undo'] for v in warm_visits])}"
                )
                memory = memory_after_visits(browser, warm, args.visits)
                warm.stop()
                for n, rss, kernels, seconds in memory:
                    print(
                        f"{f'server memory after {n} visits:':58}{rss / 2**20:.0f} MiB, {kernels} kernels "
                        f"(that visit {seconds:.2f} s)"
                    )

                big_server = Server.preheated(big)
                servers.append(big_server)
                big_server.wait_pool(1)
                big_server.wait_kernels_idle()
                key_times = keystrokes(browser, big_server.url, big, args.keystrokes)
                print(f"{f'search keystroke, Services tab, {N_SERVICES:,} services:':58}{describe(key_times)}")
            finally:
                for server in servers:
                    server.stop()
                chromium.close()

    targets = [
        ("overview visible preheated", [v["overview"] for v in warm_visits], OVERVIEW_TARGET),
        ("search keystroke", key_times, KEYSTROKE_TARGET),
        ("Synchronisation tab drawn", [v["sync_tab"] for v in warm_visits], SYNC_TAB_TARGET),
        ("undo", [v["undo"] for v in warm_visits], UNDO_TARGET),
    ]
    for name, values, target in targets:
        met = statistics.median(values) < target
        print(f"target {name} < {1000 * target:.0f} ms (median): {'met' if met else 'MISSED'}")
    # Bounded: the last reading no more than 20 % above the reading after 10 visits.
    base = next((rss for n, rss, _k, _s in memory if n >= 10), memory[0][1])
    bounded = memory[-1][1] <= 1.2 * base
    print(f"server memory bounded (after {memory[-1][0]} visits ≤ 1.2 × after 10): {'met' if bounded else 'MISSED'}")
    return 0 if bounded and all(statistics.median(v) < t for _n, v, t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
