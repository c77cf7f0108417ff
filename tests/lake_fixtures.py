"""The shared store's fixtures: a real PostgreSQL (``postgres_server.py``) for the session of
each test process, and for each test a DuckLake store of its own: a new catalogue database
in it and a data folder under the test's temporary folder."""

from __future__ import annotations

import itertools

import pytest
from postgres_server import PostgresServer

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def lake(postgres, tmp_path, monkeypatch) -> str:
    """``ducklake:postgres:…`` of an empty store; its data path and key folder are set in the
    environment, as an operator sets them (README, Shared store)."""
    dsn = postgres.create_database(f"lake_{next(_numbers)}")
    monkeypatch.setenv("ORCHESTRATOR_DATA_PATH", str(tmp_path / "lake-data"))
    monkeypatch.setenv("ORCHESTRATOR_KEY_DIR", str(tmp_path / "keys"))
    return f"ducklake:postgres:{dsn}"
