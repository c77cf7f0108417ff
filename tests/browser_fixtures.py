"""Browser tests: the Voilà dashboard in Debian's Chromium, driven by Playwright.

Session fixtures: a temporary database holding the demo export, a dashboard
served by ``orchestrator --db DB dashboard`` (preheated kernel) in its own
process group, and the screenshot folder. ``dashboard_factory`` starts more
servers (a token-protected one, one per concurrency test); every server is
stopped by its own PID at the end.

Never ``playwright install``: the browser is Debian's ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
ORCHESTRATOR = str(Path(sys.executable).parent / "orchestrator")
# Debian's Chromium; a test of the suite itself points this elsewhere to prove a missing browser is seen.
CHROMIUM = os.environ.get("ORCHESTRATOR_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-results" / "screenshots"
# Variables of the developer's shell that would change what the dashboard shows or requires.
PRIVATE_ENV = (
    "ORCHESTRATOR_DB",
    "ORCHESTRATOR_TOKEN",
    "ORCHESTRATOR_LANG",
    "ORCHESTRATOR_EXPORT_DIR",
    "ORCHESTRATOR_FAILPOINT",
    "ORCHESTRATOR_PATIENT_KEY",
    "ORCHESTRATOR_USER",
    "ORCHESTRATOR_FHIR_URL",
    "ORCHESTRATOR_FHIR_TOKEN",
    "ORCHESTRATOR_FHIR_TIMEOUT",
)
# Headless, offline, quiet: the tests' and bench/dashboard.py's Chromium.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
POOL_FILLED = re.compile(r"Kernel pool of .* is filled")
RUNNING_AT = re.compile(r"(https?://127\.0\.0\.1:\d+)/")


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def context(context):
    """Voilà's template links Font Awesome on a CDN: offline runs must not wait for it."""
    context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    return context


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """``test-results/screenshots/`` (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# --- processes -------------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: none of the developer's settings, French."""
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE_ENV}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_demo(db: Path) -> Path:
    """A database holding the demo export (nothing imported into the orchestrator yet)."""
    result = subprocess.run(
        [ORCHESTRATOR, "--db", str(db), "load", str(DEMO), "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        env=clean_env(),
    )
    assert result.returncode == 0, result.stderr
    return db


# The suite's servers keep one kernel warm, not the product's two: each warm kernel runs the
# dashboard's notebook (~4 s of a core), and the suite's tests visit one page at a time.
KERNEL_POOL = 1


class DashboardServer:
    """``orchestrator --db DB dashboard …`` in its own process group; its log is kept."""

    def __init__(
        self, db: Path, *args: str, env: dict[str, str] | None = None, program: str = ORCHESTRATOR, cwd: Path = ROOT
    ):
        self.db = db
        self.port = free_port()
        self.lines: list[str] = []
        self.url: str | None = None
        self.process = subprocess.Popen(
            [program, "--db", str(db), "dashboard", "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env={"ORCHESTRATOR_KERNEL_POOL": str(KERNEL_POOL), **(env or clean_env())},
            cwd=str(cwd),
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def pools_filled(self) -> int:
        return sum(1 for line in self.lines if POOL_FILLED.search(line))

    def wait_ready(self, timeout: float = 90, pools: int = 1) -> DashboardServer:
        """Until Voilà listens (its URL: it may move to another port) and ``pools`` pool fills were logged."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.url is None:
                for line in self.lines:
                    found = RUNNING_AT.search(line)
                    if found:
                        self.url = found.group(1)
            if self.url and self.pools_filled() >= pools:
                return self
            if self.process.poll() is not None:
                raise AssertionError(f"the dashboard stopped ({self.process.returncode}):\n{self.log}")
            time.sleep(0.1)
        raise AssertionError(f"the dashboard was not ready after {timeout} s:\n{self.log}")

    def stop(self) -> None:
        """SIGTERM to our own PID (Voilà then shuts its kernels down), SIGKILL to our group if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._reader.join(timeout=5)


@pytest.fixture(scope="session")
def dashboard_factory():
    """``start(db, *args, env=None)`` → a ready ``DashboardServer``; all are stopped at the end."""
    started: list[DashboardServer] = []

    def start(db: Path, *args: str, env: dict[str, str] | None = None, wait: bool = True) -> DashboardServer:
        server = DashboardServer(db, *args, env=env)
        started.append(server)
        return server.wait_ready() if wait else server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The session's database: the demo export, loaded, nothing imported."""
    return load_demo(tmp_path_factory.mktemp("dashboard") / "clinic.duckdb")


@pytest.fixture(scope="session")
def dashboard(dashboard_factory, demo_db) -> DashboardServer:
    """The dashboard of ``demo_db``, its kernel pool filled."""
    return dashboard_factory(demo_db)


def open_dashboard(page, url: str, timeout: float = 60_000):
    """Load the dashboard and wait for the overview's coverage (Voilà streams the page)."""
    page.goto(url, wait_until="commit")
    page.locator(".coverage-current").wait_for(state="visible", timeout=timeout)
    return page


def full_screenshot(page, path) -> None:
    """A full-page screenshot. Voilà's page does not scroll: its ``#rendered_cells`` box does, so
    ``full_page=True`` alone stops at the viewport; the viewport is stretched to the content first."""
    size = page.viewport_size
    height = page.evaluate("""() => {
        const box = document.querySelector('#rendered_cells');
        return box ? Math.ceil(box.getBoundingClientRect().top + box.scrollHeight) + 16 : 0; }""")
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(height, 16_000)})
        page.wait_for_timeout(300)  # one layout pass
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """What the browser tests share besides fixtures (test modules cannot import a conftest safely)."""
    return SimpleNamespace(
        ROOT=ROOT,
        DEMO=DEMO,
        ORCHESTRATOR=ORCHESTRATOR,
        clean_env=clean_env,
        free_port=free_port,
        load_demo=load_demo,
        open_dashboard=open_dashboard,
        full_screenshot=full_screenshot,
    )
