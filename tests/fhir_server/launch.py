"""Start the local FHIR R4 server of ``tests/fhir_server`` (Medplum's router, in memory).

    from fhir_server.launch import running_fhir_server   # tests/ on sys.path

    with running_fhir_server() as base:                   # "http://127.0.0.1:<port>/fhir/R4"
        requests.get(f"{base}/metadata")

    with running_fhir_server(token="secret") as base:     # every request needs the bearer token
        ...

A benchmark can load this file by path (it needs only the standard library and
``requests``)::

    spec = importlib.util.spec_from_file_location("fhir_launch", ROOT / "tests/fhir_server/launch.py")

``python tests/fhir_server/launch.py`` runs a server until Ctrl-C and prints its base URL.

The first use installs ``node_modules`` from the committed lockfile (``npm ci``). The
server is Node 20 with ``--experimental-websocket``; it stores everything in memory and
forgets it when it stops. ``reset_fhir_server(base)`` empties it without a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import requests

HERE = Path(__file__).resolve().parent
LOCKFILE = HERE / "package-lock.json"
INSTALLED = HERE / "node_modules" / ".package-lock.json"  # written by npm ci / npm install
READY_TIMEOUT = 60.0
NPM_TIMEOUT = 600.0
BASE_LINE = "FHIR_BASE="
# Variables of the caller's environment that must not reach the server.
SERVER_ENV = ("PORT", "FHIR_TOKEN", "FHIR_VALIDATE", "NODE_OPTIONS")


class FhirServerError(RuntimeError):
    """The FHIR server could not be installed or started."""


def node_missing() -> str | None:
    """Why the server cannot start here (no Node, no npm to install its packages), or None.
    ``ORCHESTRATOR_TEST_NODE`` names another program, to prove a missing Node is seen."""
    node = os.environ.get("ORCHESTRATOR_TEST_NODE", "node")
    if shutil.which(node) is None:
        return f"{node} is not on PATH: the test FHIR server needs Node.js 20+"
    if not _installed() and shutil.which("npm") is None:
        return "npm is not on PATH: the test FHIR server's packages cannot be installed"
    return None


def ensure_node_modules() -> None:
    """``npm ci`` in tests/fhir_server when node_modules is missing or older than the lockfile.

    Several processes (pytest-xdist workers, a bench) may ask at once: a file lock lets one install.
    """
    if _installed():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise FhirServerError("npm is not on PATH: the test FHIR server needs Node.js 20+ and npm")
    digest = hashlib.sha1(str(HERE).encode()).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / f"orchestrator-fhir-server-npm-{digest}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _installed():
                return
            result = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=HERE,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
            if result.returncode != 0:
                raise FhirServerError(
                    f"npm ci in {HERE} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                )
            INSTALLED.touch()  # newer than the lockfile from now on
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _installed() -> bool:
    return INSTALLED.exists() and INSTALLED.stat().st_mtime >= LOCKFILE.stat().st_mtime


def _session() -> requests.Session:
    """A session that ignores proxy variables: the server is on 127.0.0.1."""
    session = requests.Session()
    session.trust_env = False
    return session


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Hand every stdout line over (so the pipe never fills), then None at the end."""
    try:
        for line in stream:
            lines.put(line.rstrip("\n"))
    finally:
        lines.put(None)


def _stderr_text(stderr: IO[bytes]) -> str:
    stderr.flush()
    stderr.seek(0)
    text = stderr.read().decode("utf-8", "replace").strip()
    return text[-8000:] if text else "(nothing on stderr)"


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's own process group, SIGKILL if it has not gone in 10 s."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def running_fhir_server(
    token: str | None = None, *, validate: bool = False, timeout: float = READY_TIMEOUT
) -> Iterator[str]:
    """A fresh, empty FHIR R4 server on 127.0.0.1 (any free port) for the ``with`` block.

    Yields its base URL, ``http://127.0.0.1:<port>/fhir/R4``. With ``token``, every request must
    send ``Authorization: Bearer <token>`` (else 401). With ``validate=True``, resources are
    validated against the R4 definitions before they are stored (about 4 times slower writes).
    The server (and its process group) is always stopped on exit.
    """
    if (why := node_missing()) is not None:
        raise FhirServerError(why)
    node = shutil.which(os.environ.get("ORCHESTRATOR_TEST_NODE", "node"))
    ensure_node_modules()
    env = {k: v for k, v in os.environ.items() if k not in SERVER_ENV}
    env["PORT"] = "0"
    if token:
        env["FHIR_TOKEN"] = token  # through the environment: never on a command line
    if validate:
        env["FHIR_VALIDATE"] = "1"
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [node, "--experimental-websocket", "server.mjs"],
            cwd=HERE,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
        try:
            lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(
                target=_read_lines, args=(process.stdout, lines), daemon=True, name="fhir-server-stdout"
            ).start()
            base = _wait_base(process, lines, stderr, deadline, timeout)
            _wait_metadata(process, base, token, stderr, deadline, timeout)
            yield base
        finally:
            _stop(process)
            if process.stdout:
                process.stdout.close()


def _wait_base(
    process: subprocess.Popen, lines: queue.Queue[str | None], stderr: IO[bytes], deadline: float, timeout: float
) -> str:
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FhirServerError(
                f"the FHIR server printed no {BASE_LINE} line within {timeout:.0f} s; stderr:\n{_stderr_text(stderr)}"
            )
        try:
            line = lines.get(timeout=min(remaining, 0.5))
        except queue.Empty:
            continue
        if line is None:
            process.wait(timeout=5)
            raise FhirServerError(
                f"the FHIR server stopped before it was ready (exit code "
                f"{process.returncode}); stderr:\n{_stderr_text(stderr)}"
            )
        if line.startswith(BASE_LINE):
            return line[len(BASE_LINE) :].strip()


def _wait_metadata(
    process: subprocess.Popen, base: str, token: str | None, stderr: IO[bytes], deadline: float, timeout: float
) -> None:
    last = ""
    session = _session()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FhirServerError(
                f"the FHIR server stopped ({process.returncode}) before /metadata "
                f"answered; stderr:\n{_stderr_text(stderr)}"
            )
        try:
            response = session.get(f"{base}/metadata", headers=_auth(token), timeout=5)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise FhirServerError(
        f"{base}/metadata did not answer 200 within {timeout:.0f} s ({last}); stderr:\n{_stderr_text(stderr)}"
    )


def reset_fhir_server(base: str, token: str | None = None) -> None:
    """Forget every resource of a running test server (``POST /_reset``, outside the FHIR base)."""
    root = base.rsplit("/fhir/R4", 1)[0]
    response = _session().post(f"{root}/_reset", headers=_auth(token), timeout=30)
    response.raise_for_status()


if __name__ == "__main__":
    token = os.environ.get("FHIR_TOKEN") or None
    with running_fhir_server(token, validate=os.environ.get("FHIR_VALIDATE") == "1") as url:
        print(f"FHIR_BASE={url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
