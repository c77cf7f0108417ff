"""A real PostgreSQL server for the tests of the shared store (DuckLake's catalogue).

Debian's PostgreSQL 15 (``make test`` installs the ``postgresql`` package), started
by the suite in a temporary folder of its own, listening on 127.0.0.1 only, on a free
port, with ``trust`` authentication for local connections: no password exists to
leak. ``initdb`` refuses to run as root, so under root the server runs as the
``postgres`` user the package creates.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

# $ORCHESTRATOR_TEST_POSTGRES: another folder of PostgreSQL's programs (the suite's own test
# of a missing server points it nowhere).
BINARIES = Path(os.environ.get("ORCHESTRATOR_TEST_POSTGRES") or "/usr/lib/postgresql/15/bin")
USER = "orchestrator"


def available() -> bool:
    return (BINARIES / "initdb").exists() and (BINARIES / "pg_ctl").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """``PostgresServer()`` starts it; ``dsn`` is its libpq connection string; ``stop()``."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="orchestrator-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            str(BINARIES / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        self._run(
            str(BINARIES / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c max_connections=200",
            "start",
        )
        self._wait_ready()
        self.create_database("orchestrator")

    @property
    def dsn(self) -> str:
        return self.dsn_of("orchestrator")

    def dsn_of(self, database: str) -> str:
        return f"dbname={database} host=127.0.0.1 port={self.port} user={USER}"

    def create_database(self, name: str) -> str:
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return self.dsn_of(name)

    def psql(self, database: str, sql: str) -> str:
        result = subprocess.run(
            ["psql", "-X", "-q", "-At", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", database, "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout

    def _run(self, *command: str) -> None:
        if self._as_root:
            command = ("runuser", "-u", "postgres", "--", *command)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode:
            log = self.folder / "server.log"
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
                + (log.read_text() if log.exists() else "")
            )

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not listen on port {self.port}")

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(RuntimeError):
                self._run(str(BINARIES / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
